"""The search and preview data, in shards the browser loads one at a time with <script src> (works from file://).

Each file calls `window.KBWIKI_SHARD(kind, number, data)`:

- `search/meta.js`: the shard counts, the page types with their labels and colours (a few hundred bytes);
- `search/preview-N.js`: the preview rows (URL, title, type, summary, first section) of the pages whose URL
  hashes to N (`search_terms.shard_of`), about PREVIEW_PAGES a shard: a hover loads one;
- `search/docs-N.js`: the full rows (FIELDS) of pages DOC_PAGES * N onwards, pages numbered in title order:
  the results of a search load only the blocks of the results shown;
- `search/terms-N.js`: the term index (search_shards.py) for the terms whose first letters hash to N.

A page's row is the unit the build state keeps (`search_row_texts`): every file is made from the rows, so
a full build and a rebuild after an edit write the same bytes.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

from generator import paths
from generator.emit import Output
from generator.emit.render import type_colour, type_label
from generator.emit.safejson import script_json
from generator.emit.search_shards import TermIndex, term_shards
from generator.emit.search_terms import fold, shard_of
from generator.parse.text import truncate
from generator.wiki.mapping import ChunkMap, in_process
from generator.wiki.model import Wiki

FORMAT_VERSION = 2
FIELDS = ("url", "title", "type", "aliases", "tags", "summary", "section", "section_text", "body", "stem")
PREVIEW_FIELDS = ("url", "title", "type", "summary", "section", "section_text")
SUMMARY_CHARS = 300
PREVIEW_PAGES = 64  # pages a preview shard holds on average (~30 KB): one hover loads one
DOC_PAGES = 16  # pages a block of search results' rows holds: twenty results load at most twenty of them
TERM_PAGES = 64  # pages per term shard: the shard count grows with the wiki
SEARCH_DIR = "search"

_PREVIEW_AT = [FIELDS.index(name) for name in PREVIEW_FIELDS]


def search_types(wiki: Wiki) -> list[str]:
    """The page types, sorted: rows name their type by its index in this list."""
    return sorted({entry.page.type for entry in wiki.entries.values()})


def search_row(wiki: Wiki, slug: str, type_index: dict[str, int]) -> list:
    """One page's row, in FIELDS order."""
    entry = wiki.entries[slug]
    page = entry.page
    heading, section, text = (part.decode("utf-8") for part in entry.parsed.search)
    return [entry.out_path, page.title, type_index[page.type], list(page.aliases), list(page.tags),
            truncate(page.summary, SUMMARY_CHARS), heading, section, text, page.stem]


def search_row_texts(wiki: Wiki, slugs, types: list[str]) -> dict[str, bytes]:
    """Each page's row as UTF-8 JSON (a rebuild after an edit re-encodes only the edited pages' rows; `types`
    must be search_types(wiki))."""
    type_index = {name: i for i, name in enumerate(types)}
    return {slug: script_json(search_row(wiki, slug, type_index)).encode("utf-8") for slug in slugs}


def shard_counts(pages: int) -> dict[str, int]:
    """How many preview and term shards a wiki of `pages` pages has: one for a small wiki, more as it grows
    (from the page count alone, which an edit never changes, so the set of files stays)."""
    return {"previews": max(1, -(-pages // PREVIEW_PAGES)), "terms": max(1, -(-pages // TERM_PAGES)),
            "docs": max(1, -(-pages // DOC_PAGES))}


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each page's data goes; from titles, URLs and the page count alone (a page's shape), so an edit
    that keeps every page's shape keeps it (memoised on the wiki, which hands it on to the next)."""

    order: list[str]  # the slugs in title order: a page's number is its place here
    number: dict[str, int]
    previews: dict[int, list[str]]  # preview shard -> its pages, in URL order
    counts: dict[str, int]


def search_layout(wiki: Wiki) -> Layout:
    """The layout of the wiki's search files (memoised). Pages are numbered in title order, so results that
    tie are in title order by number alone (no title needs loading to sort them)."""
    found = wiki.memo.get("search_layout")
    if found is None:
        entries = wiki.entries
        order = sorted(entries, key=lambda slug: (fold(entries[slug].page.title), entries[slug].page.title, slug))
        counts = shard_counts(len(order))
        previews: dict[int, list[str]] = {}
        for slug in sorted(entries, key=lambda s: entries[s].out_path):
            previews.setdefault(shard_of(entries[slug].out_path, counts["previews"]), []).append(slug)
        found = wiki.memo["search_layout"] = Layout(order, {slug: n for n, slug in enumerate(order)}, previews, counts)
    return found


def shard_file(kind: str, number: int) -> paths.OutPath:
    return paths.OutPath(f"{SEARCH_DIR}/{kind}-{number}.js")


def _script(kind: str, number: int, data: bytes) -> bytes:
    return b'window.KBWIKI_SHARD("' + kind.encode() + b'",' + str(number).encode() + b"," + data + b");\n"


def meta_output(wiki: Wiki, types: list[str]) -> Output:
    """search/meta.js: what the browser needs before any shard (counts, types)."""
    meta = {"version": FORMAT_VERSION, "fields": list(FIELDS), "preview_fields": list(PREVIEW_FIELDS),
            "types": types, "type_labels": [type_label(t) for t in types],
            "type_colours": [type_colour(wiki, t) for t in types], "doc_pages": DOC_PAGES,
            "pages": len(wiki.entries), **shard_counts(len(wiki.entries))}
    return Output(paths.OutPath(f"{SEARCH_DIR}/meta.js"), _script("meta", 0, script_json(meta).encode("utf-8")))


def preview_row(row: bytes) -> bytes:
    """The part of a row a preview shows."""
    values = json.loads(row)
    return script_json([values[i] for i in _PREVIEW_AT]).encode("utf-8")


def preview_outputs(rows: Mapping[str, bytes], layout: Layout, only: Iterable[int] | None = None) -> Iterator[Output]:
    """The preview shards (`only`: just these), each its pages' preview rows in URL order, one at a time."""
    for number in sorted(range(layout.counts["previews"]) if only is None else set(only)):
        data = b"[" + b",".join(preview_row(rows[slug]) for slug in layout.previews.get(number, ())) + b"]"
        yield Output(shard_file("preview", number), _script("preview", number, data))


def doc_outputs(rows: Mapping[str, bytes], layout: Layout, only: Iterable[int] | None = None) -> Iterator[Output]:
    """The blocks of full rows, DOC_PAGES pages each in page-number order (`only`: just these blocks), one at a time."""
    for number in sorted(range(layout.counts["docs"]) if only is None else set(only)):
        block = layout.order[number * DOC_PAGES:(number + 1) * DOC_PAGES]
        yield Output(shard_file("docs", number), _script("docs", number, b"[" + b",".join(rows[s] for s in block) + b"]"))


def term_outputs(encoded: Iterable[tuple[int, bytes]]) -> Iterator[Output]:
    for number, data in encoded:
        yield Output(shard_file("terms", number), _script("terms", number, data))


def search_outputs(wiki: Wiki, rows: Mapping[str, bytes] | None = None, types: list[str] | None = None,
                   map_chunks: ChunkMap = in_process) -> tuple[Iterator[Output], dict[int, bytes]]:
    """Every search and preview file, from the rows (computed here when not given), and each term shard's
    data (what the build state keeps for the next edit). The term index is built over `map_chunks`; the
    other files are made as the caller takes them (at 32,000 pages they hold ~60 MB)."""
    types = search_types(wiki) if types is None else types
    if rows is None:
        rows = search_row_texts(wiki, wiki.entries, types)
    layout = search_layout(wiki)
    order = layout.order
    terms = term_shards(lambda n: json.loads(rows[order[n]]), len(order), layout.counts["terms"], map_chunks)
    outputs = itertools.chain([meta_output(wiki, types)], preview_outputs(rows, layout), doc_outputs(rows, layout),
                              term_outputs(terms.items()))
    return outputs, terms


def edited_outputs(wiki: Wiki, old_rows: Mapping[str, bytes], rows: Mapping[str, bytes], edited: Iterable[str],
                   terms: Mapping[int, bytes]) -> tuple[list[Output], dict[int, bytes]]:
    """The search files an edit of the `edited` pages changes, from every page's row before and after (same
    shape: same titles, types, URLs, so the same page numbers and shards), and the term shards' data after
    it (`terms`: as the last build left it)."""
    changed = sorted(s for s in set(edited) if old_rows[s] != rows[s])
    if not changed:
        return [], dict(terms)
    layout = search_layout(wiki)
    shown = [s for s in changed if preview_row(old_rows[s]) != preview_row(rows[s])]
    out = list(preview_outputs(rows, layout, {shard_of(wiki.entries[s].out_path, layout.counts["previews"]) for s in shown}))
    out += doc_outputs(rows, layout, {layout.number[s] // DOC_PAGES for s in changed})
    index = TermIndex.from_encoded(terms, layout.counts["terms"])
    for slug in changed:
        index.replace_page(layout.number[slug], json.loads(old_rows[slug]), json.loads(rows[slug]))
    touched = dict(index.touched())
    return out + list(term_outputs(touched.items())), {**terms, **touched}
