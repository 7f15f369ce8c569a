"""lint.py: orphans, dead ends, no summary, unlinked mentions; and the prose they are found in."""

from __future__ import annotations

import pytest

from generator.config import Config, LintConfig
from generator.wiki.lint import MentionIndex, lint
from generator.parse.markdown import make_markdown, render_body
from generator.build.pipeline import analyse, page_texts
from generator.parse.sources import read_pages
from tests.helpers import build


def _texts(content):
    """The files' bytes, where lint reads a mention's line from (a parsed page keeps no Markdown)."""
    return page_texts(read_pages(content)[0])


def _lint(content):
    wiki, _ = analyse(Config(content_dir=content))
    return lint(wiki, texts=_texts(content))


def _by_code(diagnostics, code):
    return sorted((d.src_path, d.line, d.message) for d in diagnostics if d.code == code)


def test_prose_leaves_out_links_code_and_headings():
    body = render_body(make_markdown(), "## Alan Turing\n\nAlan [[Turing]] Machine, `Alan Turing`.\n\n"
                                        "```\nAlan Turing\n```\n\nSee [Alan Turing](alan.md) and Ada Lovelace.\n")
    assert "Alan Turing" not in body.prose
    assert "Ada Lovelace" in body.prose
    assert "Alan\nMachine" in body.prose  # a link leaves a break: no mention spans it
    assert "Alan Turing" in body.text  # the search text is unchanged
    split = render_body(make_markdown(), "Ends with Ada\n\nLovelace starts this.\n\n- Ada\n- Lovelace\n")
    assert "Ada Lovelace" not in split.prose and "Ada\nLovelace" in split.prose  # blocks end a run


@pytest.mark.parametrize("text, found", [
    ("Ada Lovelace wrote it.", ["ada lovelace"]),
    ("ADA   LOVELACE wrote it.", ["ada lovelace"]),  # case and spacing do not matter
    ("Adam Lovelaces wrote it.", []),  # whole words only
    ("Ada\nLovelace", []),  # never across a break
    ("The Analytical Engine by Ada Lovelace", ["analytical engine", "ada lovelace"]),
    ("The Analytical Engine Notes", ["analytical engine notes"]),  # longest name wins
    ("Use C++ or Go", []),  # short names are ignored
    ("Node.js and node js", ["node.js"]),  # punctuation inside a name must match
])
def test_mention_index(text, found):
    index = MentionIndex(["Ada Lovelace", "Analytical Engine", "Analytical Engine Notes", "Go", "C++", "Node.js"])
    assert [m.name for m in index.find(text)] == found


def test_orphans_dead_ends_and_summaries(make_vault):
    content = make_vault({
        "index.md": "# Home\n\nStart at [[A]].\n",
        "a.md": "# A\n\nLinks to [[B]].\n",
        "b.md": "# B\n\n## Only a heading\n",
        "lonely.md": "# Lonely\n\nNobody links here and it links nowhere.\n",
    })
    found = _lint(content)
    assert [p for p, _, _ in _by_code(found, "orphan")] == ["lonely.md"]  # index.md is exempt
    assert [p for p, _, _ in _by_code(found, "dead-end")] == ["b.md", "lonely.md"]
    assert [p for p, _, _ in _by_code(found, "no-summary")] == ["b.md"]
    assert all(d.level == "warning" for d in found)


def test_self_link_is_still_a_dead_end(make_vault):
    content = make_vault({"index.md": "Home: [[Loop]]\n", "loop.md": "# Loop\n\nSee [[Loop]] again.\n"})
    assert [p for p, _, _ in _by_code(_lint(content), "dead-end")] == ["loop.md"]


def test_unlinked_mentions(make_vault):
    content = make_vault({
        "index.md": "# Home\n\n[[Ada Lovelace]] and [[Charles Babbage]] and [[Engine]].\n",
        "ada.md": "---\ntitle: Ada Lovelace\naliases: [Countess of Lovelace]\n---\n"
                  "She worked with Charles Babbage.\n\nCharles babbage again, `Analytical Engine` in code.\n\n"
                  "## Analytical Engine\n",
        "babbage.md": "---\ntitle: Charles Babbage\n---\nHe met the countess of lovelace. [[Ada Lovelace]] twice.\n"
                      "He built the Analytical Engine.\n",
        "engine.md": "---\ntitle: Analytical Engine\n---\n[[Charles Babbage]] designed it; Analytical Engine is itself.\n",
    })
    found = {(d.src_path, d.line, d.column, d.message, d.hint) for d in _lint(content) if d.code == "unlinked-mention"}
    assert found == {
        ("ada.md", 5, 17, 'mentions "Charles Babbage" (2 times) without linking it', "Link it: [[Charles Babbage]]"),
        ("babbage.md", 5, 14, 'mentions "Analytical Engine" without linking it', "Link it: [[Analytical Engine]]"),
    }  # babbage.md links Ada already; code and headings in ada.md are skipped; engine.md names itself


def test_unlinked_mention_position_skips_headings_and_earlier_lines(make_vault):
    content = make_vault({
        "ada.md": "---\ntitle: Ada Lovelace\n---\nHello.\n",
        "x.md": "# X\n\n## Ada Lovelace, a heading\n\nNothing here.\nThen ADA LOVELACE appears, ada lovelace again.\n",
        "y.md": "---\ntitle: Y\n---\nFirst line.\n\n> Quoted: Ada   Lovelace.\n",
    })
    found = {(d.src_path, d.line, d.column, d.message) for d in _lint(content) if d.code == "unlinked-mention"}
    assert found == {
        ("x.md", 6, 6, 'mentions "ADA LOVELACE" (2 times) without linking it'),  # the line after the heading's
        ("y.md", 0, 0, 'mentions "Ada Lovelace" without linking it'),  # the prose's spacing is in no line: no place
    }


def test_mention_by_alias_hints_the_alias(make_vault):
    content = make_vault({
        "ada.md": "---\ntitle: Ada Lovelace\naliases: [Countess of Lovelace]\n---\nHello.\n",
        "b.md": "The Countess of Lovelace wrote notes.\n",
    })
    [item] = [d for d in _lint(content) if d.code == "unlinked-mention"]
    assert (item.src_path, item.hint) == ("b.md", "Link it: [[Ada Lovelace|Countess of Lovelace]]")


def test_build_reports_lint_warnings_and_strict_fails(make_vault, tmp_path):
    from generator.cli import main
    content = make_vault({"index.md": "# Home\n\nNothing linked.\n", "lonely.md": "# Lonely\n\nHi.\n"})
    site = build(content)
    assert any(d.code == "orphan" and d.src_path == "lonely.md" for d in site.diagnostics)
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "out"), "--strict"]) == 1
    assert not (tmp_path / "out").exists()


def test_mention_scan_agrees_with_word_by_word_scan_on_tricky_text():
    from generator.wiki.lint import MentionIndex
    index = MentionIndex(["Straße Bahn", "Istanbul Office", "Attention Is All You Need", "GPT-4 Turbo", "Ünïcode Names"])
    texts = ["We took the STRASSE bahn to İstanbul office. attention is all you need!",
             "gpt-4 turbo and GPT 4 Turbo; ünïcode names and ÜNÏCODE NAMES\nIstanbul\nOffice",
             "ﬁne Straße Bahn straße bahn Attention is\nall you need"]
    for text in texts:
        assert index.find(text) == index._find_by_tokens(text)
    assert [m.written for m in index.find(texts[1])] == ["gpt-4 turbo", "ünïcode names", "ÜNÏCODE NAMES"]


@pytest.mark.parametrize("text, reported", [
    ("The agent ran.", False),  # a short one-word name in lower case: a common word here
    ("The Agent ran.", True),  # written as the name
    ("Agents and an agentic run.", False),  # whole words only, as ever
], ids=["lower case", "capitalised", "other words"])
def test_short_one_word_names_in_lower_case_are_common_words(make_vault, text, reported):
    content = make_vault({"agent.md": "---\ntitle: Agent\n---\nHello.\n", "b.md": f"{text}\n"})
    assert bool(_by_code(_lint(content), "unlinked-mention")) is reported


def test_longer_one_word_names_are_found_in_lower_case(make_vault):
    content = make_vault({"attention.md": "---\ntitle: Attention\n---\nHello.\n", "b.md": "Pay attention here.\n"})
    assert [p for p, _, _ in _by_code(_lint(content), "unlinked-mention")] == ["b.md"]


def test_a_name_on_too_many_pages_is_left_out_and_listed(make_vault):
    from generator.wiki.lint import left_out_names
    pages = {f"log{i:02}.md": f"# Log {i}\n\nMarcus swung; Marcus again. Lovelace too.\n" for i in range(30)}
    pages.update({"marcus.md": "# Marcus\n\nHello.\n", "ada.md": "# Lovelace\n\nHi.\n",
                  "other.md": "# Other\n\nMarcus wrote it.\n"})
    content = make_vault(pages)
    wiki, _ = analyse(Config(content_dir=content))
    found = lint(wiki, texts=_texts(content), config=Config(content_dir=content, lint=LintConfig(mention_max_share=1.0)))
    assert {d.subject for d in found if d.code == "unlinked-mention"} == {"marcus", "lovelace"}  # 31 and 30 of 33
    found = lint(wiki, texts=_texts(content), config=Config(content_dir=content, lint=LintConfig(mention_max_share=0.02)))
    assert not [d for d in found if d.code == "unlinked-mention"]
    assert left_out_names(wiki, 0.02) == {"lovelace": 30, "marcus": 31}
    found = lint(wiki, texts=_texts(content), config=Config(content_dir=content, lint=LintConfig(mention_max_share=0.92)))
    assert {d.subject for d in found if d.code == "unlinked-mention"} == {"lovelace"}  # 31 > 0.92 x 33 > 30


def test_a_name_is_suggested_once_per_page_with_its_count(make_vault):
    content = make_vault({"ada.md": "---\ntitle: Ada Lovelace\naliases: [Countess Lovelace]\n---\nHi.\n",
                          "b.md": "Ada Lovelace, the Countess Lovelace, and ada lovelace.\n"})
    [item] = _by_code(_lint(content), "unlinked-mention")
    assert item[0] == "b.md" and "(3 times)" in item[2]


def test_mention_index_finds_what_trying_every_name_at_every_word_finds():
    """find() skips the names of two words or more where the next word is not a second word of one: the
    same mentions as looking every length up at every word (a reference written here)."""
    import random
    from generator.wiki.lint import _WORD, normalize
    rng = random.Random(11)
    vocab = ["the", "model", "card", "lab", "alpha", "beta", "notes", "open", "source", "ai"]
    names = sorted({" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 3))) for _ in range(25)})
    index = MentionIndex(names)
    by_words = {tuple(_WORD.findall(normalize(n))): normalize(n) for n in names if len(normalize(n)) >= 4}
    longest = max(len(w) for w in by_words)
    for _ in range(300):
        text = " ".join(rng.choice(vocab + ["x", "y"]) for _ in range(rng.randint(0, 30)))
        words, expected, i = _WORD.findall(text.casefold()), [], 0
        while i < len(words):
            hit = next((n for n in range(longest, 0, -1) if tuple(words[i:i + n]) in by_words and i + n <= len(words)), 0)
            if hit:
                expected.append(by_words[tuple(words[i:i + hit])])
            i += hit or 1
        assert [m.name for m in index.find(text)] == expected, text
