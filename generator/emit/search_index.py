"""search-index.js: every page's title, aliases, tags, type, summary and the start of its text, for search and previews.

The file sets `window.KBWIKI_SEARCH` so it loads from file:// as a plain <script src> (no fetch).
Each page is one positional row (see FIELDS) to keep the file small; the browser tokenizes the
rows into its index when search first opens. The preview shown on hovering a link reuses the
same rows: title, type, summary and the first section (its heading and opening text).
"""

from __future__ import annotations

from generator import paths
from generator.emit import Output
from generator.wiki.model import Wiki
from generator.emit.render import type_colour, type_label
from generator.emit.safejson import script_json
from generator.parse.text import truncate

FORMAT_VERSION = 1
FIELDS = ("url", "title", "type", "aliases", "tags", "summary", "section", "section_text", "body")
SUMMARY_CHARS = 300


def search_types(wiki: Wiki) -> list[str]:
    """The page types, sorted: rows name their type by its index in this list."""
    return sorted({entry.page.type for entry in wiki.entries.values()})


def search_row(wiki: Wiki, slug: str, type_index: dict[str, int]) -> list:
    """One page's row, in FIELDS order."""
    entry = wiki.entries[slug]
    page = entry.page
    heading, section, text = entry.parsed.search
    return [entry.out_path, page.title, type_index[page.type], list(page.aliases), list(page.tags),
            truncate(page.summary, SUMMARY_CHARS), heading, section, text]


def search_rows(wiki: Wiki) -> tuple[list[str], list[list]]:
    """(type names, one row per page in FIELDS order, by slug) — the index as plain data."""
    types = search_types(wiki)
    type_index = {name: i for i, name in enumerate(types)}
    return types, [search_row(wiki, slug, type_index) for slug in sorted(wiki.entries)]


def search_row_texts(wiki: Wiki, slugs, types: list[str]) -> dict[str, bytes]:
    """Each page's row as the UTF-8 JSON search-index.js holds (a rebuild after an edit re-encodes only the
    edited pages' rows; `types` must be search_types(wiki))."""
    type_index = {name: i for i, name in enumerate(types)}
    return {slug: script_json(search_row(wiki, slug, type_index)).encode("utf-8") for slug in slugs}


def search_index_bytes(wiki: Wiki, row_texts: dict[str, bytes] | None = None, types: list[str] | None = None) -> bytes:
    """The bytes of search-index.js, from the rows' JSON and the types (computed here when not given).

    The same bytes as script_json() of the whole index: keys sorted, rows in slug order, and escaping
    works character by character, so rows can be encoded one at a time."""
    types = search_types(wiki) if types is None else types
    if row_texts is None:
        row_texts = search_row_texts(wiki, wiki.entries, types)
    head = {"fields": list(FIELDS), "type_colours": [type_colour(wiki, t) for t in types],
            "type_labels": [type_label(t) for t in types], "types": types, "version": FORMAT_VERSION}
    rest = script_json(head)  # '{"fields":[...],"type_colours":[...],"type_labels":[...],"types":[...],"version":1}'
    before, _, after = rest.partition(',"type_colours":')  # "pages" sorts between the two
    out = bytearray(f'window.KBWIKI_SEARCH={before},"pages":['.encode("utf-8"))
    out += b",".join(row_texts[slug] for slug in sorted(wiki.entries))
    out += f'],"type_colours":{after};\n'.encode("utf-8")
    return bytes(out)


def search_index(wiki: Wiki, row_texts: dict[str, bytes] | None = None, types: list[str] | None = None) -> Output:
    """search-index.js at the site root."""
    return Output(paths.SEARCH_INDEX, search_index_bytes(wiki, row_texts, types))
