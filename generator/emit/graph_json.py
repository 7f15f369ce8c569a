"""graph.json: the pages, links and wanted targets for scripts and agents (schema in docs/graph-json.md)."""

from __future__ import annotations

import json
from functools import partial
from itertools import islice
from typing import Iterator

from generator import paths
from generator.emit import Output
from generator.wiki.model import Wiki
from generator.parse.text import truncate

SCHEMA_VERSION = 1


def _page(wiki: Wiki, slug: str, summary_length: int) -> dict:
    entry = wiki.entries[slug]
    page = entry.page
    return {
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
    }


def _wanted(wiki: Wiki) -> list[dict]:
    return [{"target": w.target, "id": w.anchor,
             "linked_from": [{"id": r.slug, "path": r.src_path, "line": r.line} for r in w.refs]}
            for w in wiki.wanted if not w.file]  # pages only: missing files are not nodes of the graph


def graph_data(wiki: Wiki, summary_length: int) -> dict:
    """The graph.json document as plain data."""
    return {
        "version": SCHEMA_VERSION,
        "pages": [_page(wiki, slug, summary_length) for slug in sorted(wiki.entries)],
        "links": [{"source": a, "target": b} for a, b in wiki.graph.edges()],
        "wanted": _wanted(wiki),
    }


def _json(value) -> bytes:
    # Compact: the indented form is encoded by the pure-Python encoder, several times slower at 10,000 pages.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


PIECE = 2048  # links or pages encoded per piece of the file


def graph_json(wiki: Wiki, summary_length: int) -> Output:
    """graph.json as sorted, compact UTF-8 JSON: the bytes of json.dumps(graph_data(...)), made a piece at a time
    as the file is written (graph_json_pieces), so that the document is never whole in memory: as Python
    objects, as text or as bytes (~280 MB at 100,000 pages)."""
    return Output(paths.GRAPH_JSON, b"", stream=partial(graph_json_pieces, wiki, summary_length))


def graph_json_pieces(wiki: Wiki, summary_length: int) -> Iterator[bytes]:
    """The bytes of graph.json, in pieces of PIECE links or pages; each page's id encoded once (a link names two)."""
    ids = {slug: _json(slug) for slug in wiki.entries}
    yield b'{"links":['
    yield from _joined(b'{"source":%s,"target":%s}' % (ids[a], ids[b]) for a, b in wiki.graph.iter_edges())
    yield b'],"pages":['
    yield from _joined(_json(_page(wiki, slug, summary_length)) for slug in sorted(wiki.entries))
    yield b'],"version":%d,"wanted":%s}\n' % (SCHEMA_VERSION, _json(_wanted(wiki)))


def _joined(items: Iterator[bytes]) -> Iterator[bytes]:
    """b",".join(items), PIECE items a piece."""
    first = True
    while piece := b",".join(islice(items, PIECE)):
        yield piece if first else b"," + piece
        first = False
