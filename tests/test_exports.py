"""Exports: sitemap.xml and feed.xml (only with a base URL), llms.txt, redirect pages, `kbwiki graph`."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from generator.cli import main
from generator.emit.exports import atom_date
from tests.helpers import build, output

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

PAGES = {
    "index.md": "---\ntitle: Home\nsummary: A small wiki about tools.\n---\nSee [[Old]] and [[New]].\n",
    "concepts/Old.md": "---\nupdated: 2026-01-05\naliases: [Ancient One]\n---\n# Old\n\nThe old tool. Links to [[New]].\n",
    "concepts/New.md": "---\ncreated: 2026-03-01\nupdated: 2026-03-09T10:30:00\npermalink: brand-new\n---\n# New\n\nThe new tool.\n",
    "entities/Undated.md": "---\ntype: entity\nsummary: No date here; [brackets] too.\n---\nText.\n",
}


@pytest.fixture
def wiki_dir(make_vault):
    return make_vault(PAGES)


def test_no_sitemap_or_feed_without_base_url(wiki_dir):
    names = {o.out_path for o in build(wiki_dir).outputs}
    assert "sitemap.xml" not in names and "feed.xml" not in names and "llms.txt" in names


def test_sitemap_lists_every_page_with_absolute_urls(wiki_dir):
    site = build(wiki_dir, base_url="https://wiki.example.org/docs/")
    root = ET.fromstring(output(site, "sitemap.xml"))
    urls = {u.find(f"{SITEMAP}loc").text: getattr(u.find(f"{SITEMAP}lastmod"), "text", None) for u in root}
    assert urls == {
        "https://wiki.example.org/docs/": None,
        "https://wiki.example.org/docs/brand-new.html": "2026-03-09",
        "https://wiki.example.org/docs/concepts/old.html": "2026-01-05",
        "https://wiki.example.org/docs/entities/undated.html": None,
    }


def test_feed_is_atom_newest_first_from_page_dates(wiki_dir):
    site = build(wiki_dir, base_url="https://wiki.example.org")
    feed = ET.fromstring(output(site, "feed.xml"))
    assert feed.find(f"{ATOM}updated").text == "2026-03-09T10:30:00Z"  # the newest page, not the build time
    entries = [(e.find(f"{ATOM}title").text, e.find(f"{ATOM}link").get("href"), e.find(f"{ATOM}updated").text)
               for e in feed.findall(f"{ATOM}entry")]
    assert entries == [("New", "https://wiki.example.org/brand-new.html", "2026-03-09T10:30:00Z"),
                       ("Old", "https://wiki.example.org/concepts/old.html", "2026-01-05T00:00:00Z")]


def test_exports_are_deterministic(wiki_dir):
    first = {o.out_path: o.data for o in build(wiki_dir, base_url="https://x.org").outputs}
    second = {o.out_path: o.data for o in build(wiki_dir, base_url="https://x.org").outputs}
    assert first == second


@pytest.mark.parametrize("text, expected", [
    ("2026-03-09", "2026-03-09T00:00:00Z"), ("2026-03-09T10:30", "2026-03-09T10:30:00Z"),
    ("2026-03-09 10:30:05", "2026-03-09T10:30:05Z"), ("last spring", ""),
])
def test_atom_dates(text, expected):
    assert atom_date(text) == expected


def test_llms_txt_lists_pages_by_type(wiki_dir):
    text = output(build(wiki_dir), "llms.txt")
    lines = text.splitlines()
    assert lines[0] == "# kbwiki" and lines[2] == "> A small wiki about tools."
    assert "## Concept" in lines and "## Entity" in lines
    assert "- [New](brand-new.html): The new tool." in lines
    assert "- [Undated](entities/undated.html): No date here; [brackets] too." in lines
    assert lines.index("## Concept") < lines.index("- [New](brand-new.html): The new tool.") < lines.index("## Entity")


def test_redirects_for_aliases_and_permalinks(wiki_dir):
    site = build(wiki_dir)
    alias = output(site, "ancient-one.html")
    assert '<meta http-equiv="refresh" content="0; url=concepts/old.html">' in alias
    assert '<link rel="canonical" href="concepts/old.html">' in alias and '<a href="concepts/old.html">Old</a>' in alias
    assert '0; url=../brand-new.html' in output(site, "concepts/new.html")  # the URL it had before its permalink


def test_redirects_never_replace_a_page(make_vault):
    content = make_vault({"a.md": "---\naliases: [B]\n---\nA.\n", "b.md": "The real B.\n"})
    site = build(content)
    assert "The real B." in output(site, "b.html")
    assert [o.out_path for o in site.outputs].count("b.html") == 1


@pytest.mark.parametrize("fmt", ["json", "graphml", "gexf"])
def test_graph_command_writes_the_link_graph(wiki_dir, tmp_path, fmt, capsys):
    target = tmp_path / f"graph.{fmt}"
    assert main(["graph", "--content", str(wiki_dir), "--format", fmt, "--output", str(target)]) == 0
    data = target.read_bytes()
    if fmt == "json":
        graph = nx.node_link_graph(json.loads(data), edges="links")
    elif fmt == "graphml":
        graph = nx.read_graphml(io.BytesIO(data))
    else:
        graph = nx.read_gexf(io.BytesIO(data))
    assert sorted(graph.edges()) == [("concepts/old", "brand-new"), ("index", "brand-new"), ("index", "concepts/old")]
    old = graph.nodes["concepts/old"]
    assert old["title"] == "Old" and old["type"] == "concept"
    assert old["path"] == "concepts/Old.md" and old["url"] == "concepts/old.html"
    main(["graph", "--content", str(wiki_dir), "--format", fmt, "--output", str(tmp_path / "again")])
    assert (tmp_path / "again").read_bytes() == data  # no dates of today in it


def test_graph_command_to_stdout(wiki_dir, capsysbinary):
    assert main(["graph", "--content", str(wiki_dir)]) == 0
    assert json.loads(capsysbinary.readouterr().out)["directed"] is True
