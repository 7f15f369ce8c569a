"""`kbwiki graph`: the link graph in JSON (node-link), GraphML or GEXF, through networkx's own writers. Pure."""

from __future__ import annotations

import json

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from generator.emit.exports import page_date
from generator.wiki.model import Wiki

FORMATS = ("json", "graphml", "gexf")
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def attributed_graph(wiki: Wiki) -> nx.DiGraph:
    """The page graph with node attributes title, type, path and url (relative to the site root)."""
    graph = nx.DiGraph()
    for slug in sorted(wiki.entries):
        entry = wiki.entries[slug]
        graph.add_node(slug, title=entry.page.title, type=entry.page.type, path=entry.page.src_path, url=entry.out_path)
    graph.add_edges_from(wiki.graph.edges())
    return graph


def export_graph(wiki: Wiki, fmt: str) -> bytes:
    """The graph as a file in `fmt` (one of FORMATS); byte-identical for identical input."""
    graph = attributed_graph(wiki)
    if fmt == "json":
        data = nx.node_link_data(graph, edges="links")
        return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
    if fmt == "graphml":
        return (_XML_DECLARATION + "\n".join(nx.generate_graphml(graph)) + "\n").encode("utf-8")
    if fmt == "gexf":
        writer = GEXFWriter(graph=graph)
        # networkx stamps today's date; the newest page date keeps the file deterministic
        dates = sorted(d[:10] for d in (page_date(e) for e in wiki.entries.values()) if d)
        writer.xml.find("meta").set("lastmodifieddate", dates[-1] if dates else "1970-01-01")
        return (_XML_DECLARATION + str(writer)).encode("utf-8")
    raise ValueError(f"unknown graph format {fmt!r}; use one of {', '.join(FORMATS)}")
