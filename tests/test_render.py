"""Rendering's one rule for page types: their order (most pages first) and their colours, the same everywhere."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import write_vault
from tests.helpers import build, output

# 14 types: "big" has 3 pages, "mid" 2, then a01 … a12 one each (a tie: by name).
FILES = {
    "Hub.md": "---\ntype: big\n---\nThe hub.\n",
    "Big two.md": "---\ntype: big\n---\n[[Hub]]\n",
    "Big three.md": "---\ntype: big\n---\n[[Hub]]\n",
    "Mid one.md": "---\ntype: mid\n---\n[[Hub]]\n",
    "Mid two.md": "---\ntype: mid\n---\n[[Hub]]\n",
    **{f"Page {i:02}.md": f"---\ntype: a{i:02}\n---\n[[Hub]]\n" for i in range(1, 13)},
}
EXPECTED = {"big": "type-t1", "mid": "type-t2", **{f"a{i:02}": f"type-t{i + 2}" for i in range(1, 11)},
            "a11": "type-t1 type-more", "a12": "type-t2 type-more"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build(write_vault(tmp_path_factory.mktemp("types") / "content", FILES))


def test_twelve_types_get_twelve_colours_by_page_count_then_they_repeat_marked(site):
    from generator.emit.render import type_colour
    assert {t: type_colour(site.wiki, t) for t in EXPECTED} == EXPECTED


def test_a_type_has_the_same_colour_in_badges_cards_both_graphs_and_search(site):
    hub = output(site, "hub.html")
    assert '<span class="type-label type-big type-t1">Big</span>Hub</h1>' in hub  # the page's badge
    for type_name, colour in EXPECTED.items():
        label = type_name[0].upper() + type_name[1:]
        assert f'<span class="type-label type-{type_name} {colour}">{label}</span>' in hub  # its backlinks' cards
    nodes = re.findall(r'class="graph-node (?:graph-center )?type-(\w+) ([\w -]+?)"', hub)
    assert nodes and all(EXPECTED[t] == colour for t, colour in nodes)  # the local graph
    graph = json.loads(output(site, "graph-data.js")[len("window.KBWIKI_GRAPH="):-2])
    assert dict(zip(graph["types"], graph["type_colours"])) == EXPECTED  # the global graph
    search = json.loads(output(site, "search/meta.js")[len('window.KBWIKI_SHARD("meta",0,'):-3])
    assert dict(zip(search["types"], search["type_colours"])) == EXPECTED  # search results and previews
    legend = output(site, "special/graph.html")
    assert re.findall(r'legend-dot type-(\w+) ([\w -]+?)"', legend) == list(EXPECTED.items())  # most pages first


def test_the_header_names_the_five_biggest_types_and_the_rest_under_a_menu(site):
    header = output(site, "hub.html").split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    shown, _, menu = header.partition('<li class="nav-more">')
    assert re.findall(r'<a href="types/([\w-]+)\.html">', shown) == ["big", "mid", "a01", "a02", "a03"]
    assert "<summary>More types</summary>" in menu
    assert re.findall(r'<a href="types/([\w-]+)\.html">', menu) == [f"a{i:02}" for i in range(4, 13)]
    assert '<a href="types/a04.html">A04</a> <span class="count">1</span>' in menu


def test_few_types_need_no_menu(make_vault):
    page = output(build(make_vault({"A.md": "---\ntype: one\n---\n[[B]]\n", "B.md": "---\ntype: two\n---\n"})), "a.html")
    assert "nav-more" not in page and '<a href="types/one.html">One</a>' in page


def test_the_theme_fingerprint_is_remembered_by_stat_and_follows_every_change(tmp_path):
    import os
    import time
    from generator.config import Config
    from generator.emit import theme
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "page.html").write_text("one")
    old = time.time_ns() - 10 * theme.RACY_NS
    os.utime(mine / "page.html", ns=(old, old))
    config = Config(templates_dir=mine)
    first = theme.theme_fingerprint(config)
    assert theme.theme_fingerprint(config) == first and first in theme._fingerprints.values()  # remembered
    (mine / "page.html").write_text("two")  # same size; its times move on
    os.utime(mine / "page.html", ns=(old, old))  # even with the old modification time put back (ctime moves)
    assert theme.theme_fingerprint(config) != first
