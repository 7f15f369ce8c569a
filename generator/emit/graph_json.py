"""graph.json: the pages, links and wanted targets for scripts and agents (schema in docs/graph-json.md)."""

from __future__ import annotations

import json

from generator import paths
from generator.emit import Output
from generator.model import Wiki
from generator.text import truncate

SCHEMA_VERSION = 1


def graph_data(wiki: Wiki, summary_length: int) -> dict:
    """The graph.json document as plain data."""
    pages = []
    for slug in sorted(wiki.entries):
        entry = wiki.entries[slug]
        page = entry.page
        pages.append({
            "id": slug,
            "title": page.title,
            "type": page.type,
            "path": page.src_path,
            "url": entry.out_path,
            "summary": truncate(page.summary, summary_length),
            "tags": list(page.tags),
            "aliases": list(page.aliases),
            "backlinks": sorted(wiki.graph.backlinks(slug)),
            "related": [{"id": r.slug, "score": r.score, "reason": r.reason} for r in wiki.related.get(slug, [])],
        })
    return {
        "version": SCHEMA_VERSION,
        "pages": pages,
        "links": [{"source": a, "target": b} for a, b in wiki.graph.edges()],
        "wanted": [{"target": w.target, "id": paths.wanted_anchor(w.target),
                    "linked_from": [{"id": r.slug, "path": r.src_path, "line": r.line} for r in w.refs]}
                   for w in wiki.wanted],
    }


def graph_json(wiki: Wiki, summary_length: int) -> Output:
    """graph.json as sorted, compact UTF-8 JSON."""
    # Compact: the indented form is encoded by the pure-Python encoder, several times slower at 10,000 pages.
    text = json.dumps(graph_data(wiki, summary_length), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Output(paths.GRAPH_JSON, (text + "\n").encode("utf-8"))
