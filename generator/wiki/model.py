"""The gathered wiki: every page with its slug, rendered body and resolved links; wanted targets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterable

from generator.parse.content import Page
from generator.parse.context import readable
from generator.wiki.graph import Related, WikiGraph
from generator.parse.links import LinkRef, normalize
from generator.parse.page import ParsedPage
from generator.wiki.resolve import Resolver
from generator import paths
from generator.paths import OutPath, Slug, slugify
from generator.records import compact_pickle


@compact_pickle
@dataclass(frozen=True, slots=True)
class ResolvedLink:
    """A link ref and the page it names (None: a red link)."""

    ref: LinkRef
    slug: Slug | None
    attachment: str = ""  # the src path of the file an embed or image names (slug is then None)


@compact_pickle
@dataclass(frozen=True, slots=True)
class Entry:
    """One page of the site: the parsed page, its slug and output path, and its resolved links."""

    parsed: ParsedPage
    slug: Slug
    out_path: OutPath
    links: tuple[ResolvedLink, ...] = ()

    @property
    def page(self) -> Page:
        return self.parsed.page


def lean(entry: Entry) -> Entry:
    """An entry without what only linting reads (its prose): what rendering needs, in less memory; its
    backlink contexts made readable() once, for the many reads of them."""
    parsed = entry.parsed
    if not parsed.body.prose_utf8:
        return entry
    parsed = dataclasses.replace(parsed, body=dataclasses.replace(parsed.body, prose_utf8=b""),
                                 contexts=readable(parsed.contexts))
    return dataclasses.replace(entry, parsed=parsed)


@compact_pickle
@dataclass(frozen=True, slots=True)
class WantedRef:
    """Where a missing target is linked from, and how that link spells it."""

    slug: Slug
    src_path: str
    line: int
    name: str = ""


@compact_pickle
@dataclass(frozen=True, slots=True)
class Wanted:
    """A target that names no page (or, with `file`, no file in the content folder), and every place that links to it."""

    target: str
    refs: tuple[WantedRef, ...]
    file: bool = False

    @property
    def anchor(self) -> str:
        """Its fragment id on the Wanted pages page."""
        return paths.wanted_anchor(self.target, self.file)


def group_wanted(refs: Iterable[tuple[bool, WantedRef]]) -> list[Wanted]:
    """(is a file, where) pairs as Wanted entries, one a target (case and spacing aside), its places in file and
    line order, spelled as the first of them spells it; pages first, each kind by target. Any set of the same
    refs gives the same entries, whatever their order (an edit's rebuild merges old ones and new)."""
    grouped: dict[tuple[bool, str], list[WantedRef]] = {}
    for file, ref in refs:
        grouped.setdefault((file, normalize(ref.name)), []).append(ref)
    out = []
    for (file, _), found in sorted(grouped.items()):
        found.sort(key=lambda r: (r.src_path, r.line))
        out.append(Wanted(found[0].name, tuple(found), file))
    return out


@dataclass(slots=True)
class Wiki:
    """Everything the emitters read: entries by slug, the graph, related lists, wanted targets."""

    entries: dict[Slug, Entry]
    graph: WikiGraph
    related: dict[Slug, list[Related]]
    wanted: list[Wanted]
    resolver: Resolver
    home_slug: Slug | None = None
    by_src: dict[str, Slug] = field(default_factory=dict)
    attachments: tuple[str, ...] = ()  # src paths of the non-Markdown files pages embed or link to
    # What is derived from every page's title, aliases and type ("types", lint's "mentions"), once computed.
    # A rebuild that keeps every page's shape hands it on to the next wiki (dataclasses.replace keeps it).
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def types(self) -> dict[str, list[Slug]]:
        """Slugs by page type, each list sorted by title; types that share a listing page ("machine learning",
        "machine-learning") are one type (memoised)."""
        found = self.memo.get("types")
        if found is None:
            found = self.memo["types"] = self._types()
        return found

    def _types(self) -> dict[str, list[Slug]]:
        names: dict[str, str] = {}
        members: dict[str, list[Slug]] = {}
        for slug in self.sorted_slugs():
            type_name = self.entries[slug].page.type
            key = paths.type_out_path(type_name)
            names[key] = min(names.get(key, type_name), type_name)
            members.setdefault(key, []).append(slug)
        return {names[k]: members[k] for k in sorted(members, key=lambda k: names[k])}

    def tags(self) -> dict[str, list[Slug]]:
        """Slugs by tag, each list sorted by title; tags that share a slug ("AI", "ai") are one tag."""
        names: dict[str, str] = {}
        members: dict[str, list[Slug]] = {}
        for slug in self.sorted_slugs():
            for tag in self.entries[slug].page.tags:
                key = slugify(tag) or "tag"
                names[key] = min(names.get(key, tag), tag)
                if not members.get(key) or members[key][-1] != slug:
                    members.setdefault(key, []).append(slug)
        return {names[k]: members[k] for k in sorted(members, key=lambda k: (names[k].casefold(), names[k]))}

    def orphans(self) -> list[Slug]:
        """Pages no other page links to, by title; the home page is exempt."""
        return [s for s in self.graph.orphans() if s != self.home_slug]

    def sorted_slugs(self) -> list[Slug]:
        """Every slug, by title (case-insensitive), then slug."""
        return sorted(self.entries, key=lambda s: (self.entries[s].page.title.casefold(), s))
