"""The LLM-wiki rules (an agent-kept wiki of cited pages under an index): stale, uncited, not-in-index, schema. Pure.

Each is off where the wiki does not follow the pattern: `uncited` needs some page with `sources`,
`not-in-index` an `index.md`, `schema` a `types:` section in kbwiki.yaml, and `stale` pages with dates.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Mapping

from generator import diagnostics as diag
from generator.config import TypeSchema
from generator.diagnostics import Diagnostic
from generator.parse.links import looks_like_reference
from generator.paths import Slug
from generator.wiki.model import Entry, Wiki

# The front-matter kinds a schema's kind accepts (an ISO date is text too).
_ACCEPTS = {"text": {"text", "date"}, "date": {"date"}, "number": {"number"}, "bool": {"bool"},
            "list": {"list"}, "mapping": {"mapping"}}
_A = {"text": "text", "date": "a date", "number": "a number", "bool": "true/false", "list": "a list",
      "mapping": "a mapping", "null": "empty"}


def source_target(wiki: Wiki, entry: Entry, text: str) -> tuple[str, Slug | None]:
    """One `sources:` item that names a page: (the name as written, the page's slug or None when it names no
    page); ("", None) for a URL or free text. The one rule for what a source cites (the page's Sources list
    and `stale` both use it)."""
    if text.startswith(("http://", "https://")) or not looks_like_reference(text):
        return "", None
    name = text[2:-2] if text.startswith("[[") else text
    base = entry.page.folder
    found = wiki.resolver.resolve_name(name.split("|")[0], base, allow_relative=True, near=base)
    return name, (wiki.by_src.get(found.src_path) if found.src_path else None)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _line(entry: Entry, *keys: str) -> int:
    """The line of the first of these front-matter keys the page has (0: none)."""
    lines = {key: line for key, _, line in entry.page.front}
    return next((lines[k] for k in keys if k in lines), 0)


def stale_pages(wiki: Wiki, after_days: int, today: dt.date) -> list[Diagnostic]:
    """Pages updated before a page they cite in `sources` was (the newest such source is named), or, with
    `after_days`, not updated for that long. A page's date is its `updated`/`last_updated`, else `created`."""
    problems = []
    for slug in sorted(wiki.entries):
        entry = wiki.entries[slug]
        updated = _date(entry.page.updated)
        if updated is None:
            continue
        newest: tuple[dt.date, str] | None = None
        for text in entry.page.sources:
            name, target = source_target(wiki, entry, text)
            cited = _date(wiki.entries[target].page.updated) if target and target != slug else None
            if cited and cited > updated and (newest is None or cited > newest[0]):
                newest = (cited, name)
        line = _line(entry, "updated", "last_updated", "created", "date")
        if newest:
            problems.append(diag.warning(entry.page.src_path, "stale",
                                         f"updated {updated.isoformat()}, before its source [[{newest[1]}]] "
                                         f"(updated {newest[0].isoformat()})", line,
                                         hint="Read the source again, update the page and its date."))
        elif after_days and (today - updated).days > after_days:
            problems.append(diag.warning(entry.page.src_path, "stale",
                                         f"not updated for {(today - updated).days} days (since {updated.isoformat()})",
                                         line, hint=f"Review it and update its date (lint.stale_after_days: {after_days})."))
    return problems


def uncited(wiki: Wiki, types: tuple[str, ...]) -> list[Diagnostic]:
    """Pages of the listed types without `sources`, in a wiki where some page has them."""
    if not types or not any(e.page.sources for e in wiki.entries.values()):
        return []
    wanted = set(types)
    return [diag.warning(e.page.src_path, "uncited", f"a page of type '{e.page.type}' with no `sources`",
                         hint="List what it is based on under `sources:` (pages or URLs).")
            for e in (wiki.entries[s] for s in sorted(wiki.entries)) if e.page.type in wanted and not e.page.sources]


def reached_from_home(wiki: Wiki, depth: int) -> set[Slug]:
    """The home page and every page within `depth` links of it."""
    home = wiki.home_slug
    seen = {home}
    queue = deque([(home, 0)])
    while queue:
        slug, far = queue.popleft()
        if far == depth:
            continue
        for other in wiki.graph.outlinks_set(slug):
            if other not in seen:
                seen.add(other)
                queue.append((other, far + 1))
    return seen


def not_in_index(wiki: Wiki, depth: int) -> list[Diagnostic]:
    """With an index.md, the pages it does not reach within `depth` links; an orphan is reported as an
    orphan only (nothing links it, so nothing could reach it)."""
    home = wiki.home_slug
    if home is None or wiki.entries[home].page.src_path != "index.md" or depth == 0:
        return []
    reached = reached_from_home(wiki, depth) | set(wiki.orphans())
    return [diag.warning(wiki.entries[s].page.src_path, "not-in-index",
                         f"not reached from index.md within {depth} link{'s' if depth != 1 else ''}",
                         hint="Link it from index.md or from a page index.md links (lint.index_depth).")
            for s in sorted(wiki.entries) if s not in reached]


def schema_problems(wiki: Wiki, schemas: Mapping[str, TypeSchema], type_keys: tuple[str, ...]) -> list[Diagnostic]:
    """Front matter against its type's schema (`types:` in kbwiki.yaml): required keys missing (at the front
    matter's first line), keys of the wrong kind and keys not allowed (at their line; `title` and the type
    key are always allowed)."""
    problems = []
    if not schemas:
        return problems
    for slug in sorted(wiki.entries):
        page = wiki.entries[slug].page
        schema = schemas.get(page.type)
        if schema is None:
            continue
        present = {key: (kind, line) for key, kind, line in page.front}
        kinds = dict(schema.kinds)
        for key in schema.required:
            if present.get(key, ("null",))[0] == "null":
                problems.append(diag.warning(page.src_path, "schema", f"'{key}' is required on {page.type} pages",
                                             1 if page.front else 0, hint=f"Add `{key}:` to the front matter."))
        allowed = None if schema.allowed is None else {*schema.allowed, *schema.required, *kinds, "title", *type_keys}
        for key, (kind, line) in present.items():
            if allowed is not None and key not in allowed:
                problems.append(diag.warning(page.src_path, "schema", f"'{key}' is not a field of {page.type} pages",
                                             line, hint=f"Fields: {', '.join(sorted(allowed))}."))
            elif key in kinds and kind != "null" and kind not in _ACCEPTS[kinds[key]]:
                problems.append(diag.warning(page.src_path, "schema",
                                             f"'{key}' must be {_A[kinds[key]]} on {page.type} pages, not {_A[kind]}",
                                             line))
    return problems
