"""search-index.js: rows per page, the first section for previews, truncation, determinism."""

from __future__ import annotations

import json

import pytest

from generator.emit import search_index as si
from generator.parse.markdown import make_markdown, render_body
from generator.parse.page import BODY_CHARS, first_section
from tests.conftest import DEMO
from tests.helpers import build, output


def load(js: bytes) -> dict:
    text = js.decode("utf-8")
    assert text.startswith("window.KBWIKI_SEARCH=") and text.endswith(";\n")
    return json.loads(text[len("window.KBWIKI_SEARCH="):-2])


def rows_by_title(data: dict) -> dict[str, dict]:
    return {row[1]: dict(zip(data["fields"], row)) for row in data["pages"]}


@pytest.mark.parametrize("body, expected", [
    ("Lead text.\n\n## One\n\nFirst.\n\n## Two\n\nSecond.", ("", "Lead text.")),
    ("## One\n\nFirst words.\n\n## Two\n\nSecond.", ("One", "First words.")),
    ("## Only\n\nAll of it.", ("Only", "All of it.")),
    ("No headings at all.", ("", "No headings at all.")),
    ("", ("", "")),
])
def test_first_section(body, expected):
    assert first_section(render_body(make_markdown(), body)) == expected


def test_demo_index_has_every_page_with_its_fields(tmp_path):
    site = build(DEMO)
    data = load(output(site, "search-index.js").encode("utf-8"))
    assert data["fields"] == list(si.FIELDS)
    rows = rows_by_title(data)
    assert len(rows) == len(site.wiki.entries)
    seed = rows["Thinking Machines Interaction Model"]
    assert seed["url"] == "entities/thinking-machines-interaction-model.html"
    assert data["types"][seed["type"]] == "entity" and data["type_labels"][seed["type"]] == "Entity"
    assert seed["aliases"] == ["TML interaction model"]
    assert "multimodal" in seed["tags"]
    assert seed["section"] == "What it is"
    assert seed["section_text"].startswith("Thinking Machines Lab's first interaction model")
    assert len(seed["body"]) <= BODY_CHARS and seed["body"].endswith("…")


def test_index_is_deterministic_and_compact(make_vault):
    long_body = "word " * 5000
    content = make_vault({"a.md": f"---\ntitle: A\n---\n{long_body}\n", "b.md": "# B\n\nSee [[A]]. 日本語のテキスト。\n"})
    first, second = build(content), build(content)
    assert si.search_index_bytes(first.wiki) == si.search_index_bytes(second.wiki)
    data = load(si.search_index_bytes(first.wiki))
    rows = rows_by_title(data)
    assert len(rows["A"]["body"]) == BODY_CHARS
    assert "日本語のテキスト" in rows["B"]["body"]
    assert len(si.search_index_bytes(first.wiki)) < 3 * BODY_CHARS
