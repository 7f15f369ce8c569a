"""The search and preview shards (search/): rows, page numbers, shards by hash and prefix, tokens, stems, edits."""

from __future__ import annotations

import json
import random

import pytest

from benchmarks.corpus import generate, write_kbwiki
from generator.build.pipeline import analyse
from generator.config import Config
from generator.emit import search_index as si
from generator.emit import search_terms as terms
from generator.emit.search_shards import prefix_codes, row_terms
from generator.parse.markdown import make_markdown, render_body
from generator.parse.page import BODY_CHARS, first_section
from tests.conftest import DEMO
from tests.helpers import build

CALL = "window.KBWIKI_SHARD("


def load(data: bytes) -> tuple[str, int, object]:
    """(kind, number, data) of one shard file."""
    text = data.decode("utf-8")
    assert text.startswith(CALL) and text.endswith(");\n")
    kind, number, rest = text[len(CALL):-3].split(",", 2)
    return json.loads(kind), int(number), json.loads(rest)


def files(outputs) -> dict[str, tuple[str, int, object]]:
    return {o.out_path: load(o.data) for o in outputs if o.out_path.startswith("search/")}


@pytest.fixture(scope="module")
def big_wiki(tmp_path_factory):
    """A generated wiki of 300 pages: several shards of every kind."""
    content = write_kbwiki(generate(300, seed=3), tmp_path_factory.mktemp("big") / "content")
    wiki, _ = analyse(Config(content_dir=content, out_dir=content.parent / "site"))
    return wiki


@pytest.mark.parametrize("body, expected", [
    ("Lead text.\n\n## One\n\nFirst.\n\n## Two\n\nSecond.", ("", "Lead text.")),
    ("## One\n\nFirst words.\n\n## Two\n\nSecond.", ("One", "First words.")),
    ("## Only\n\nAll of it.", ("Only", "All of it.")),
    ("No headings at all.", ("", "No headings at all.")),
    ("", ("", "")),
])
def test_first_section(body, expected):
    assert first_section(render_body(make_markdown(), body)) == expected


def test_demo_has_one_shard_of_each_kind_with_every_page(tmp_path):
    site = build(DEMO)
    found = files(site.outputs)
    assert sorted(found) == ["search/docs-0.js", "search/meta.js", "search/preview-0.js", "search/terms-0.js"]
    meta = found["search/meta.js"][2]
    assert meta["fields"] == list(si.FIELDS) and (meta["previews"], meta["terms"], meta["docs"]) == (1, 1, 1)
    rows = {row[1]: dict(zip(si.FIELDS, row)) for row in found["search/docs-0.js"][2]}
    assert len(rows) == len(site.wiki.entries)
    assert list(rows) == sorted(rows, key=str.lower)  # pages are numbered in title order
    seed = rows["Thinking Machines Interaction Model"]
    assert seed["url"] == "entities/thinking-machines-interaction-model.html"
    assert meta["types"][seed["type"]] == "entity" and meta["type_labels"][seed["type"]] == "Entity"
    assert seed["aliases"] == ["TML interaction model"] and "multimodal" in seed["tags"]
    assert seed["section"] == "What it is"
    assert seed["section_text"].startswith("Thinking Machines Lab's first interaction model")
    assert len(seed["body"]) <= BODY_CHARS and seed["body"].endswith("…")
    assert seed["stem"] == "thinking-machines-interaction-model"
    previews = found["search/preview-0.js"][2]
    assert [p[0] for p in previews] == sorted(p[0] for p in previews)
    assert ["entities/thinking-machines-interaction-model.html", "Thinking Machines Interaction Model"] == previews[
        [p[0] for p in previews].index(seed["url"])][:2]


def test_files_are_deterministic_and_compact(make_vault):
    long_body = "word " * 5000
    content = make_vault({"a.md": f"---\ntitle: A\n---\n{long_body}\n", "b.md": "# B\n\nSee [[A]]. 日本語のテキスト。\n"})
    first, second = build(content), build(content)
    assert [list(o) if i == 0 else o for i, o in enumerate(si.search_outputs(first.wiki))] == [
        list(o) if i == 0 else o for i, o in enumerate(si.search_outputs(second.wiki))]
    found = files(first.outputs)
    rows = {row[1]: dict(zip(si.FIELDS, row)) for row in found["search/docs-0.js"][2]}
    assert len(rows["A"]["body"]) == BODY_CHARS
    assert "日本語のテキスト" in rows["B"]["body"]
    assert sum(len(o.data) for o in first.outputs if o.out_path.startswith("search/")) < 6 * BODY_CHARS


def test_a_big_wiki_is_split_by_hash_by_number_and_by_prefix(big_wiki):
    outputs, term_data = si.search_outputs(big_wiki)
    outputs = list(outputs)
    found = files(outputs)
    layout = si.search_layout(big_wiki)
    counts = si.shard_counts(300)
    assert counts == {"previews": 5, "terms": 5, "docs": 19} == layout.counts
    assert {kind for kind, _, _ in found.values()} == {"meta", "preview", "docs", "terms"}
    assert len(found) == 1 + 5 + 5 + 19
    for path, (kind, number, data) in found.items():
        assert path == ("search/meta.js" if kind == "meta" else f"search/{kind}-{number}.js")
        if kind == "preview":  # every page in the shard its URL hashes to
            assert data and all(terms.shard_of(row[0], 5) == number for row in data)
        if kind == "docs":  # DOC_PAGES pages a block, by number
            assert [row[0] for row in data] == [big_wiki.entries[s].out_path for s in layout.order[number * 16:(number + 1) * 16]]
        if kind == "terms":
            assert json.loads(term_data[number]) == data
            assert all(terms.shard_of(t[:3], 5) == number and len(t) >= 3 for t in data["t"])
            assert all(terms.shard_of(p, 5) == number and len(p) < 3 for p in data["p"])
    assert max(len(o.data) for o in outputs if "/preview-" in o.out_path) < 64 * 1024


def test_term_shards_joined_from_blocks_on_every_core_are_the_whole_index_split(big_wiki, monkeypatch):
    from generator.build.parallel import map_forked
    from generator.emit import search_shards as shards
    rows = si.search_row_texts(big_wiki, big_wiki.entries, si.search_types(big_wiki))
    layout = si.search_layout(big_wiki)
    row = lambda n: json.loads(rows[layout.order[n]])  # noqa: E731
    whole = shards.TermIndex(5)  # the index of every page at once, split by shard only when encoded
    for n in range(len(layout.order)):
        whole.add_page(n, row(n)[1], row_terms(row(n)))
    expected = dict(whole.encoded())
    monkeypatch.setattr(shards, "BLOCK", 7)  # 300 pages: 43 blocks, terms spread over many of them
    assert shards.term_shards(row, len(layout.order), 5) == expected
    forked = lambda work, items: map_forked(work, items, least=2, chunk=3)  # noqa: E731
    assert shards.term_shards(row, len(layout.order), 5, forked) == expected
    monkeypatch.setattr(shards, "JOIN_GROUPS", 2)  # shards joined two at a time: 0-1, 2-3, 4
    assert shards.term_shards(row, len(layout.order), 5, forked) == expected
    assert shards.term_shards(row, 0, 5) == dict(shards.TermIndex(5).encoded())  # no pages: every shard empty


def test_postings_of_a_term_and_a_prefix(big_wiki):
    """Every page with a term in its row is in that term's postings, with its fields' bits, by gap."""
    outputs, term_data = si.search_outputs(big_wiki)
    layout = si.search_layout(big_wiki)
    rows = si.search_row_texts(big_wiki, big_wiki.entries, si.search_types(big_wiki))
    page_terms = [row_terms(json.loads(rows[slug])) for slug in layout.order]
    term = max((t for found in page_terms for t in found if len(t) >= 3), key=lambda t: sum(t in f for f in page_terms))
    shard = json.loads(term_data[terms.shard_of(term[:3], 5)])
    gaps = shard["t"][term]
    pages = [sum(gaps[0:i + 1:2]) for i in range(0, len(gaps), 2)]
    assert pages == [n for n, found in enumerate(page_terms) if term in found]
    assert gaps[1::2] == [page_terms[n][term] for n in pages]
    prefix = term[:1]
    summary = json.loads(term_data[terms.shard_of(prefix, 5)])["p"][prefix]
    assert sum(1 for _ in summary[::2]) == sum(1 for found in page_terms if any(t.startswith(prefix) for t in found))


@pytest.mark.parametrize("text, expected", [
    ("Hello, World!", ["hello", "world"]),
    ("Café CAFÉS naïve", ["cafe", "cafes", "naive"]),
    ("snake_case kebab-case", ["snake", "case", "kebab", "case"]),
    ("東京タワー", ["東京", "京タ", "タワ", "ー"]),  # the long-vowel mark is of the Common script, as in JS
    ("北", ["北"]),
    ("AI東京2024年", ["ai", "東京", "2024", "年"]),
    ("ｆｕｌｌｗｉｄｔｈ ＡＢＣ", ["fullwidth", "abc"]),
    ("한국어 텍스트", ["한국", "국어", "텍스", "스트"]),
    ("", []),
])
def test_tokens(text, expected):
    assert terms.tokens(text) == expected


@pytest.mark.parametrize("stem, words", [
    ("ConstitutionalAI", "Constitutional AI"), ("HTTPServer", "HTTP Server"), ("iPhone", "i Phone"),
    ("kebab-case-name", "kebab-case-name"), ("snake_case", "snake_case"), ("GPT4Vision", "GPT4 Vision"),
])
def test_stem_words_split_camel_case(stem, words):
    assert terms.stem_words(stem) == words


def test_the_stem_adds_only_the_words_the_title_and_aliases_lack():
    found = terms.page_terms("Constitutional AI", [], [], "", "", "", "ConstitutionalAI")
    assert found["constitutionalai"] == terms.STEM
    assert found["constitutional"] == terms.TITLE | terms.HEAD and found["ai"] == terms.TITLE
    same = terms.page_terms("Interaction Models", [], [], "", "", "", "interaction-models")
    assert all(not bits & terms.STEM for bits in same.values())  # a stem that repeats the title changes nothing


def test_prefix_codes_keep_the_best_term_and_every_field():
    codes = prefix_codes({"cat": terms.TEXT, "ca": terms.TITLE, "cow": terms.SUMMARY})
    assert codes["c"] == (terms.TEXT | terms.TITLE | terms.SUMMARY) | (terms.TITLE << 7)  # "ca" scores best, not exact for "c"
    assert codes["ca"] == (terms.TEXT | terms.TITLE) | (terms.TITLE << 7) | (1 << 13)  # "ca" itself: exact


def test_an_edit_rewrites_only_the_shards_it_changes_with_the_bytes_of_a_full_build(big_wiki):
    types = si.search_types(big_wiki)
    rows = si.search_row_texts(big_wiki, big_wiki.entries, types)
    outputs, term_data = si.search_outputs(big_wiki, rows, types)
    outputs = list(outputs)
    rng = random.Random(11)
    slugs = sorted(big_wiki.entries)
    for step in range(8):
        edited = rng.sample(slugs, rng.choice([1, 1, 3]))
        new_rows = dict(rows)
        for slug in edited:
            row = json.loads(rows[slug])
            row[8] = rng.choice(["", f"brand new words zq{step} 東京 {row[8][:200]}", row[8][::-1], "xylophone " * step])
            row[7] = rng.choice([row[7], f"Changed section {step}"])
            new_rows[slug] = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        changed, term_data = si.edited_outputs(big_wiki, rows, new_rows, edited, term_data)
        full, full_terms = si.search_outputs(big_wiki, new_rows, types)
        full = list(full)
        assert term_data == full_terms, f"step {step}"
        before = {o.out_path: o.data for o in outputs}
        after = {o.out_path: o.data for o in full}
        assert {o.out_path: o.data for o in changed} == {p: d for p, d in after.items() if before[p] != d}, f"step {step}"
        assert changed or edited == [] or all(before[p] == after[p] for p in after)
        assert len(changed) < len(after) / 2  # an edit rewrites a few shards, not all
        outputs, rows = full, new_rows
