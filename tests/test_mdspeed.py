"""mdspeed.py and the other speed-ups of make_markdown(): the same output as stock Python-Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.parse import mdspeed
from generator.parse.markdown import make_markdown, render_body
from tests.conftest import CORPORA, DEMO

SHORT = settings(max_examples=300, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
LONG = settings(SHORT, max_examples=20_000, derandomize=False)

# Every character some inline pattern or tree processor looks for, and a few words to link.
PIECES = st.sampled_from(list("[]()!`*_\\<>&=^#|%~:/.-\"' \n\t") + ["[[", "]]", "![[", "  \n", "==", "%%", "[^1]", "[TOC]",
                         "<b>", "</b>", "&amp;", "&#106;", "http://x.org", "<http://x.org>", "<a@b.c>", "`code`",
                         "**", "__", "\n\n", "\n- ", "\n1. ", "\n> ", "> [!note]", "\n# ", "\n## H", "\n    ", "\n```\n", "\n```python\n", "\n```mermaid\n", "$", "$$", "\\$", "$x_1$", "\n$$\n",
                         "| a | b |\n| - | - |\n", "Page", "page one", "x", "é", "日本", "^block", "#tag", "[x](y.md)", "![i](p.png)",
                         "[r]", "\n[r]: http://r.org\n", "[^1]: note", "\n---\n", "\n* * *", "\n_ _  _", "\n===", "\n  ---", "-  -"])
MARKDOWN = st.lists(PIECES, max_size=40).map("".join)


def _pages() -> list[Path]:
    files = sorted(DEMO.rglob("*.md"))
    if CORPORA.is_dir():
        files += sorted(CORPORA.rglob("*.md"))[:600]
    return files


def _same(text: str, fast, stock) -> None:
    assert render_body(fast, text) == render_body(stock, text)


def test_fast_markdown_matches_stock_on_real_pages():
    fast, stock = make_markdown(), make_markdown(fast=False)
    pages = _pages()
    assert len(pages) > 10
    for path in pages:
        _same(path.read_text(encoding="utf-8", errors="replace"), fast, stock)


def test_fast_markdown_matches_stock_on_the_benchmark_corpus():
    from benchmarks.corpus import generate
    fast, stock = make_markdown(), make_markdown(fast=False)
    for page in generate(40, seed=3).pages:
        _same(page.text, fast, stock)


@SHORT
@given(MARKDOWN)
def test_fast_markdown_matches_stock_on_generated_text(text):
    _same(text, make_markdown(), make_markdown(fast=False))


@pytest.mark.slow
@LONG
@given(MARKDOWN)
def test_fast_markdown_matches_stock_long_run(text):
    _same(text, make_markdown(), make_markdown(fast=False))


def test_the_fast_inline_pass_is_installed_and_knows_every_stock_pattern():
    md = make_markdown()
    assert isinstance(md.treeprocessors["inline"], mdspeed.FastInlineProcessor)
    names = [item.name for item in md.inlinePatterns._priority]
    assert all(mdspeed.trigger(name, md.inlinePatterns[name]) for name in names), names


def test_a_pattern_whose_expression_changed_is_always_tried():
    class Pattern:
        pattern = r"\[(?:changed)"
    assert mdspeed.trigger("link", Pattern()) is None
    assert mdspeed.trigger("someone_elses_pattern", Pattern()) is None


def test_a_speed_up_stands_aside_for_any_other_version_of_what_it_replaces():
    import hashlib
    import inspect

    def stock():
        return 1
    digest = hashlib.sha256(inspect.getsource(stock).encode()).hexdigest()[:16]
    assert mdspeed.is_stock(stock, digest)
    assert not mdspeed.is_stock(stock, "0" * 16)
    assert not mdspeed.is_stock(None, digest)


BLOCKS = st.lists(st.sampled_from(list("#>-_*= \n\tx\\") + ["---", "- -", "*  *", "_   _", "\n=", "\n-", "#x", "# x", ">q",
                                                            "   >", "    >", "|", "\\|", "`|`", "| a |", "|-|", ":-", "\n| - |"]), max_size=30).map("".join)
_FAST, _STOCK = make_markdown(), make_markdown(fast=False)
TRIGGERED = ("hashheader", "setextheader", "hr", "quote", "table")


def test_the_block_tests_with_triggers_are_installed():
    assert all("test" in vars(_FAST.parser.blockprocessors[name]) for name in TRIGGERED)
    assert not any("test" in vars(_STOCK.parser.blockprocessors[name]) for name in TRIGGERED)


@SHORT
@given(BLOCKS)
def test_block_tests_with_triggers_answer_as_stock(block):
    for name in TRIGGERED:
        assert _FAST.parser.blockprocessors[name].test(None, block) == _STOCK.parser.blockprocessors[name].test(None, block)


def test_links_and_images_match_their_brackets_with_the_fast_get_text():
    links = [p for p in _FAST.inlinePatterns if isinstance(p, mdspeed.inlinepatterns.LinkInlineProcessor)]
    assert links and all(vars(p).get("getText") is mdspeed.get_text for p in links)
    assert not any("getText" in vars(p) for p in _STOCK.inlinePatterns)


@SHORT
@given(st.text(alphabet="[]ab \n\\(!", max_size=16), st.integers(min_value=0, max_value=20))
def test_the_fast_get_text_answers_as_stock(data, index):
    stock = mdspeed.inlinepatterns.LinkInlineProcessor.getText
    assert mdspeed.get_text(data, index) == stock(None, data, index)


def test_block_level_tags_are_answered_from_a_set_of_the_same_tags():
    assert _FAST.is_block_level is not _STOCK.is_block_level and "is_block_level" in vars(_FAST)
    assert set(_FAST.block_level_elements) == set(_STOCK.block_level_elements)
    for tag in ["p", "P", "div/", "li", "span", "em", "pre", "hr", "", None, 3, etree_comment()]:
        assert _FAST.is_block_level(tag) == _STOCK.is_block_level(tag)


def etree_comment():
    import xml.etree.ElementTree as etree
    return etree.Comment
