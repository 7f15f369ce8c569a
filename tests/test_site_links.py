"""Opening from disk: every href and src of a built site resolves to a file (and its #fragment to an id)."""

from __future__ import annotations

import pytest

from tests.conftest import CORPORA, DEMO, require_corpus, write_vault
from tests.helpers import build
from tests.sitecheck import assert_site_links, broken_refs


def test_demo_site_links_resolve_from_disk(tmp_path):
    build(DEMO, tmp_path / "site")
    crawled = assert_site_links(tmp_path / "site")
    assert crawled >= 11 + 3  # every page plus home, 404 and the listings


def test_obsidian_help_links_resolve_from_disk(tmp_path):
    build(require_corpus(CORPORA / "obsidian-help-en"), tmp_path / "site")
    assert_site_links(tmp_path / "site")


PAGE = '<!DOCTYPE html><html><body><h2 id="here">x</h2>{}</body></html>'


@pytest.mark.parametrize("markup, reason", [
    ('<a href="missing.html">', "no file missing.html"),
    ('<a href="b.html#nowhere">', "no id 'nowhere' in b.html"),
    ('<a href="#nowhere">', "no id 'nowhere' in a.html"),
    ('<img src="img/none.png">', "no file img/none.png"),
    ('<a href="/b.html">', "root-relative URL: does not work from file://"),
    ('<a href="sub/">', "names a folder"),
    ('<a href="../outside.html">', "points outside the site folder"),
    ('<script src="//cdn.example.org/x.js">', "absolute or scheme-relative URL"),
    ('<a href="file:///etc/passwd">', "absolute or scheme-relative URL"),
])
def test_sitecheck_reports_broken_refs(tmp_path, markup, reason):
    site = write_vault(tmp_path / "site", {"a.html": PAGE.format(markup), "b.html": PAGE.format(""),
                                           "sub/index.html": PAGE.format("")})
    found = broken_refs(site)
    assert [(b.page, b.reason[: len(reason)]) for b in found] == [("a.html", reason)]


@pytest.mark.parametrize("markup", [
    '<a href="b.html#here">', '<a href="#here">', '<a href="sub/index.html">', '<a href="b.html?x=1">',
    '<a href="https://example.org/">', '<a href="mailto:a@example.org">', '<a href="b%2Ehtml">',
    '<a href="#">', '<a href="obsidian://open?vault=x">', '<link rel="stylesheet" href="./b.html">',
])
def test_sitecheck_accepts_good_and_external_refs(tmp_path, markup):
    site = write_vault(tmp_path / "site", {"a.html": PAGE.format(markup), "b.html": PAGE.format(""),
                                           "sub/index.html": PAGE.format('<a href="../a.html#here">')})
    assert broken_refs(site) == []


def test_sitecheck_skips_fragments_of_hash_routed_pages(tmp_path):
    site = write_vault(tmp_path / "site", {"a.html": PAGE.format('<a href="special/graph.html#a.html">'),
                                           "special/graph.html": PAGE.format("")})
    assert broken_refs(site) == []
    assert [b.reason for b in broken_refs(site, hash_routed=frozenset())] == ["no id 'a.html' in special/graph.html"]
