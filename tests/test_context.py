"""Backlink context (parse/context.py): the sentence, list item, table cell, heading, callout title or footnote
that holds a link, as plain text cut around it, the link text marked; code never used."""

import pytest

from generator.config import Config
from generator.parse.context import CONTEXT_CHARS, LinkContext, pack_contexts, sentence, unpack_contexts
from generator.parse.page import parse_source
from generator.parse.sources import SourceFile
from generator.parse.text import cut_around


def contexts(text: str) -> dict[str, str]:
    """Each linked target's context in a page's text, the link text marked [like this]; a front-matter
    link as `front matter: <key>`."""
    parsed, _ = parse_source(SourceFile("notes/page.md", text.encode()), Config())
    found = {}
    for c in unpack_contexts(parsed.contexts):
        target = parsed.refs[c.ref].target
        found[target] = f"{c.text[:c.start]}[{c.text[c.start:c.end]}]{c.text[c.end:]}" if c.text else f"front matter: {c.key}"
    return found


@pytest.mark.parametrize("text, target, shown", [
    # a paragraph: the sentence holding the link, not its neighbours
    ("First one. Then [[B]] is here. And a third.", "B", "Then [B] is here."),
    ("Ends here! Does [[B]] know? Yes.", "B", "Does [B] know?"),
    # abbreviations, initials and decimals do not end a sentence; a lower-case word after a point does not either
    ("See Dr. Smith on [[B]] today. Next.", "B", "See Dr. Smith on [B] today."),
    ("Use tools, e.g. [[B]], often. Next.", "B", "Use tools, e.g. [B], often."),
    ("A. Turing wrote of [[B]] first. Next.", "B", "A. Turing wrote of [B] first."),
    ("Version 4.7 of [[B]] is out. Next.", "B", "Version 4.7 of [B] is out."),
    ("It costs approx. five [[B]] units. Next.", "B", "It costs approx. five [B] units."),
    # a paragraph over several lines is one text
    ("One line\nand [[B]] on the next\nline. Other.", "B", "One line and [B] on the next line."),
    # quotes and brackets closing a sentence stay with it
    ('He said "go to [[Bee]]." Then left.', "Bee", 'He said "go to [Bee]."'),
    # Markdown goes, text stays: emphasis, code, other links, labels, a fragment, a Markdown link
    ("Some **bold** and `code` near [[B|the bee]] and [[C]].", "B", "Some bold and code near [the bee] and C."),
    ("Read [[B#Part]] now.", "B", "Read [B › Part] now."),
    ("Read [the notes](b.md) and [site](https://x.org).", "b.md", "Read [the notes] and site."),
    ("Footnoted[^1] text on [[B]]. ^block-1", "B", "Footnoted text on [B]."),
    ("Escaped \\*stars\\* by [[B]].", "B", "Escaped *stars* by [B]."),
    # a list item whole (its sentence only when it is long); a nested item is its own
    ("- First item.\n- Second. With [[B]] in it.\n  - nested [[C]]", "B", "Second. With [B] in it."),
    ("1. Ordered with [[B]]\n2. Next", "B", "Ordered with [B]"),
    ("- [ ] a task for [[B]]", "B", "a task for [B]"),
    # a table cell alone, a `|` inside a wiki link (escaped) kept
    ("| Name | Note |\n| --- | --- |\n| one | about [[B\\|bee]] here |\n| two | other |", "B", "about [bee] here"),
    # a heading
    ("## All about [[B]] ##\n\nText.", "B", "All about [B]"),
    # a callout: the title line alone, then the sentence of its text
    ("> [!note] Title with [[B]]\n> Body text. Mentions [[C]] too.", "B", "Title with [B]"),
    ("> [!note] Title\n> Body text. Mentions [[C]] too.", "C", "Mentions [C] too."),
    ("> Quoted first. Then [[B]] quoted.", "B", "Then [B] quoted."),
    # a footnote's sentence
    ("Text.[^n]\n\n[^n]: A note. It cites [[B]] here. More.", "B", "It cites [B] here."),
    # CJK text without spaces: 。！？ end sentences
    ("これは最初の文です。[[B]]は重要です。最後の文。", "B", "[B]は重要です。"),
    ("第一句！我们用[[B]]来做。第三句？", "B", "我们用[B]来做。"),
    # an embed shows its target
    ("Here is ![[B]] embedded.", "B", "Here is [B] embedded."),
])
def test_the_context_of_a_link(text, target, shown):
    assert contexts(text)[target] == shown


@pytest.mark.parametrize("text", [
    "```\n[[B]] in a fence\n```\n\nText [[B]] here.",
    "    [[B]] indented code\n\nText [[B]] here.",
    "Code `[[B]]` and then. Text [[B]] here.",
    "$$\n[[B]]\n$$\n\nText [[B]] here.",
])
def test_code_is_never_a_context(text):
    assert contexts(text)["B"] == "Text [B] here."


def test_a_link_only_in_code_has_no_context():
    assert "B" not in contexts("```\n[[B]]\n```\n\n    [[B]]\n")


def test_an_indented_paragraph_of_a_list_item_is_not_code():
    assert contexts("- item\n\n    more about [[B]] here.\n")["B"] == "more about [B] here."


def test_each_target_keeps_its_first_context_and_front_matter_its_key():
    text = "---\ntitle: Page\nrelated: ['[[C]]']\nsources:\n  - \"[[D]]\"\n---\nFirst [[B]] here. Second [[B]] there. Also [[C]].\n"
    found = contexts(text)
    assert found["B"] == "First [B] here."
    assert found["D"] == "front matter: sources"
    parsed, _ = parse_source(SourceFile("notes/page.md", text.encode()), Config())
    kept = unpack_contexts(parsed.contexts)
    assert [parsed.refs[c.ref].target for c in kept] == ["C", "D", "B", "C"]  # the front-matter C and the text's C
    assert [c.key for c in kept if not c.text] == ["related", "sources"]


def test_a_long_sentence_is_cut_around_the_link_at_spaces():
    words = " ".join(f"word{i}" for i in range(80))
    found = contexts(f"{words} [[B]] {words}.")["B"]
    assert len(found) <= CONTEXT_CHARS + 2 and found.startswith("…word") and found.endswith("…")
    assert "[B]" in found and " word" in found and "  " not in found


@pytest.mark.parametrize("text, span, limit, expected", [
    ("short text", (0, 5), 20, ("short text", 0, 5)),
    ("aaaa bbbb cccc LINK dddd eeee ffff", (15, 19), 16, ("…cccc LINK dddd…", 6, 10)),
    ("LINK aaaa bbbb cccc dddd", (0, 4), 12, ("LINK aaaa…", 0, 4)),  # no room used before: all of it after
    ("一二三四五六七八九十LINK一二三四五六七八九十", (10, 14), 12, ("…八九十LINK一二三…", 4, 8)),  # no spaces: between characters
    ("x " + "L" * 30 + " y", (2, 32), 10, ("LLLLLLLLL…", 0, 10)),  # a link longer than the limit is cut itself
])
def test_cut_around(text, span, limit, expected):
    assert cut_around(text, *span, limit) == expected


def test_a_sentence_end_inside_the_link_text_does_not_count():
    text = "Before. See Acme Inc. Holdings today. After."
    start = text.index("Acme")
    assert sentence(text, start, start + len("Acme Inc. Holdings")) == ("See Acme Inc. Holdings today.", 4, 22)


def test_packed_contexts_round_trip():
    found = (LinkContext(0, "", key="related"), LinkContext(3, "Tab-free text — with [[x]] … and CJK 東京", 5, 9))
    assert unpack_contexts(pack_contexts(found)) == found
    assert pack_contexts(()) == b"" and unpack_contexts(b"") == ()


def test_one_context_is_read_from_its_line_alone():
    from generator.parse.context import context_of
    found = tuple(LinkContext(ref, f"Sentence {ref}\twith a tab, linking 1\t2 and 10", ref, ref + 4, "" if ref % 3 else "links")
                  for ref in (0, 1, 2, 10, 11, 12, 100, 101))  # 1 and 10, 10 and 100: one number starts another
    packed = pack_contexts(found)
    for ref in range(0, 120):
        expected = next((c for c in found if c.ref == ref), None)
        assert context_of(packed, ref) == expected, ref
    assert context_of(b"", 0) is None


def test_html_around_a_link_is_plain_escaped_text_later():
    found = contexts('Raw <b>bold</b> & "quotes" near [[B|<i>label</i>]].')["B"]
    assert found == 'Raw bold & "quotes" near [label].'


def test_readable_contexts_read_as_the_packed_ones():
    """model.lean() keeps a page's contexts readable() (uncompressed) for rendering; every reader takes both forms."""
    from generator.parse.context import LinkContext, context_of, pack_contexts, readable, unpack_contexts
    contexts = (LinkContext(0, "See Alpha here.", 4, 9, ""), LinkContext(3, "a\ttab and é", 0, 1, "related"),
                LinkContext(12, "", key="links"))
    packed = pack_contexts(contexts)
    open_form = readable(packed)
    assert open_form != packed and readable(open_form) is open_form and readable(b"") == b""
    assert unpack_contexts(open_form) == unpack_contexts(packed) == contexts
    for ref in (0, 1, 2, 3, 12, 120):  # 1 and 2 have none; 12 is not 1, nor 120 12
        assert context_of(open_form, ref) == context_of(packed, ref)
    assert [context_of(open_form, r) for r in (0, 3, 12)] == list(contexts)
