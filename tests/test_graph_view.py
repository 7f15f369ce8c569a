"""The graph views: graph-data.js and the local graph's layout."""

from __future__ import annotations

import json

from generator.emit import graph_view as gv
from generator.paths import OutPath
from tests.conftest import DEMO
from tests.helpers import build, output


def test_graph_data_lists_nodes_and_links_by_index():
    data = gv.graph_data_bytes(["concept"], [("A", 0, "a.html"), ("B", 0, "b.html")], [(0, 1)], ["type-t3"]).decode("utf-8")
    assert data.startswith("window.KBWIKI_GRAPH=")
    parsed = json.loads(data[len("window.KBWIKI_GRAPH="):-2])
    assert parsed == {"links": [0, 1], "nodes": [["A", 0, "a.html"], ["B", 0, "b.html"]],
                      "type_colours": ["type-t3"], "type_labels": ["Concept"], "types": ["concept"]}


def test_demo_graph_data_and_page(tmp_path):
    site = build(DEMO)
    parsed = json.loads(output(site, "graph-data.js")[len("window.KBWIKI_GRAPH="):-2])
    assert len(parsed["nodes"]) == len(site.wiki.entries)
    assert len(parsed["links"]) == 2 * len(site.wiki.graph.edges())
    page = output(site, "special/graph.html")
    assert 'src="../graph-data.js"' in page and 'src="../assets/vendor/d3-force.min.js"' in page


def test_local_graph_relations_and_layout(make_vault):
    content = make_vault({"hub.md": "[[A]] [[B]]", "a.md": "[[Hub]]", "b.md": "x", "c.md": "[[Hub]] [[A]]", "alone.md": "x"})
    wiki = build(content).wiki
    graph = gv.local_graph(wiki, "hub", OutPath("hub.html"))
    relations = {n.title: n.relation for n in graph.nodes}
    assert relations == {"hub": "center", "a": "linked both ways", "b": "linked from here", "c": "links here"}
    kinds = sorted(e.kind for e in graph.edges)
    assert kinds == ["between", "both", "in", "out"]  # c -> a is drawn between two neighbours
    for node in graph.nodes[1:]:
        assert abs(node.x) <= gv.RX and abs(node.y) <= gv.RY and node.url.endswith(".html")
    assert gv.local_graph(wiki, "alone", OutPath("alone.html")) is None


def test_local_graph_caps_neighbours_and_counts_the_rest(make_vault):
    files = {"hub.md": " ".join(f"[[P{i}]]" for i in range(30))}
    files.update({f"p{i}.md": "x" for i in range(30)})
    wiki = build(make_vault(files)).wiki
    graph = gv.local_graph(wiki, "hub", OutPath("hub.html"))
    assert len(graph.nodes) == gv.LOCAL_LIMIT + 1
    assert graph.more == 30 - gv.LOCAL_LIMIT
