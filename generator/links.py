"""Links: LinkRef extraction from page text, and the one Resolver deciding what a target names.

Resolution precedence (case-insensitive, Unicode-normalised, whitespace collapsed):
  1. path   — the target as a path: relative to the linking page's folder (Markdown links),
              then relative to the content root, with or without `.md` ("Folder/Note");
  2. id     — a page's declared `id` (front matter);
  3. title  — a page's title;
  4. alias  — one of a page's aliases;
  5. stem   — a file name without `.md`, in any folder (Obsidian's shortest-path rule);
  6. slug   — the slug of the target equals a page's slug ("some-page" finds "Some Page").
The first level with a match wins. When one level matches several pages the link is
*ambiguous*: it goes to the page with the shortest source path (fewest folders, then
alphabetical) and an `ambiguous-link` error names all candidates.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal, Sequence
from urllib.parse import unquote

from generator.content import Page
from generator.paths import SourcePath, slugify

Syntax = Literal["wiki", "markdown", "front-matter", "embed"]

_FENCE_OPEN = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_WIKI = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
_MD = re.compile(r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A link as written in a page: the target text, the heading/block fragment, and where it is."""

    target: str  # "" for a same-page link ([[#Heading]])
    fragment: str = ""
    label: str = ""
    line: int = 0
    column: int = 0
    syntax: Syntax = "wiki"
    base: str = ""  # for Markdown links: the folder the path is relative to


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a target named: a page (by source path), or nothing; with the rule that matched."""

    src_path: SourcePath | None
    rule: str = ""
    candidates: tuple[SourcePath, ...] = ()  # more than one: the link was ambiguous

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


def split_wiki_target(inner: str) -> tuple[str, str, str]:
    """`Target#Heading|Label` (also `\\|` inside tables) -> (target, fragment, label)."""
    inner = inner.replace("\\|", "|")
    target, _, label = inner.partition("|")
    target, _, fragment = target.partition("#")
    return target.strip(), fragment.strip(), label.strip()


def is_internal_markdown_href(href: str) -> bool:
    """A Markdown link href that names another page of the wiki (a relative .md path)."""
    if not href or href.startswith(("#", "/", "//")) or _SCHEME.match(href):
        return False
    path = unquote(href.split("#", 1)[0].split("?", 1)[0])
    return path.casefold().endswith(".md")


def markdown_target(href: str) -> tuple[str, str]:
    """An internal Markdown href -> (unquoted path, fragment)."""
    path, _, fragment = href.partition("#")
    return unquote(path.split("?", 1)[0]), unquote(fragment)


def extract_links(body: str, body_line: int = 1, src_path: str = "") -> tuple[LinkRef, ...]:
    """Every page link in a Markdown body, in order, with 1-based line and column; code is skipped."""
    refs: list[LinkRef] = []
    base = posixpath.dirname(src_path)
    fence = ""
    for offset, line in enumerate(body.split("\n")):
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened.group(1)
            continue
        if "[" not in line:
            continue
        masked = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        line_no = body_line + offset
        found: list[tuple[int, LinkRef]] = []
        for m in _WIKI.finditer(masked):
            target, fragment, label = split_wiki_target(line[m.start(2):m.end(2)])
            syntax: Syntax = "embed" if m.group(1) else "wiki"
            found.append((m.start(), LinkRef(target, fragment, label, line_no, m.start() + 1, syntax)))
        for m in _MD.finditer(masked):
            href = line[m.start(3):m.end(3)].strip("<>")
            if m.group(1) or not is_internal_markdown_href(href):
                continue
            path, fragment = markdown_target(href)
            found.append((m.start(), LinkRef(path, fragment, m.group(2), line_no, m.start() + 1, "markdown", base)))
        refs.extend(ref for _, ref in sorted(found, key=lambda pair: pair[0]))
    return tuple(refs)


def front_matter_links(page: Page, front_matter_text: str = "") -> tuple[LinkRef, ...]:
    """The page's front-matter links (and reference-like sources) as LinkRefs, with their line when found."""
    lines = front_matter_text.split("\n")
    refs = []
    for target in (*page.links, *(s for s in page.sources if looks_like_reference(s))):
        target = target[2:-2] if target.startswith("[[") and target.endswith("]]") else target
        name, fragment, label = split_wiki_target(target)
        line = next((i + 1 for i, text in enumerate(lines) if name and name in text), 0)
        refs.append(LinkRef(name, fragment, label, line, 0, "front-matter", posixpath.dirname(page.src_path)))
    return tuple(refs)


def looks_like_reference(source: str) -> bool:
    """A `sources` entry that names a page ([[x]], a .md path, or a single token) rather than free text."""
    source = source.strip()
    if source.startswith("[[") and source.endswith("]]"):
        return True
    if _SCHEME.match(source):
        return False
    return source.casefold().endswith(".md") or (bool(source) and not any(c.isspace() for c in source))


def normalize(text: str) -> str:
    """The comparison form of a name: NFC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _strip_md(path: str) -> str:
    return path[:-3] if path.casefold().endswith(".md") else path


class Resolver:
    """Decides what each target names. Built once from all pages; lookups are dictionary reads."""

    RULES = ("path", "id", "title", "alias", "stem", "slug")

    def __init__(self, pages: Sequence[Page], slugs: dict[SourcePath, str]):
        self._index: dict[str, dict[str, list[SourcePath]]] = {rule: defaultdict(list) for rule in self.RULES}
        self._pages = {p.src_path: p for p in pages}
        self._suffixes: dict[str, list[SourcePath]] = defaultdict(list)
        for page in sorted(pages, key=lambda p: p.src_path):
            keys = {
                "path": [_strip_md(page.src_path)],
                "id": [page.declared_id] if page.declared_id else [],
                "title": [page.title],
                "alias": list(page.aliases),
                "stem": [page.stem],
                "slug": [slugs.get(page.src_path, "")],
            }
            for rule, names in keys.items():
                for name in dict.fromkeys(normalize(n) for n in names if n):
                    self._index[rule][name].append(page.src_path)
            parts = normalize(_strip_md(page.src_path)).split("/")
            for start in range(1, len(parts) - 1):  # "a/b/c" -> "b/c": Obsidian's partial paths
                self._suffixes["/".join(parts[start:])].append(page.src_path)
        self._names: list[str] | None = None
        self._memo: dict[tuple[str, str, bool], Resolution] = {}

    def resolve(self, ref: LinkRef, from_path: SourcePath) -> Resolution:
        """The page a link names, by the documented precedence; an empty target is the page itself."""
        if not ref.target:
            return Resolution(from_path, "self")
        return self.resolve_name(ref.target, ref.base if ref.syntax in ("markdown", "front-matter") else "",
                                 allow_relative=ref.syntax == "markdown")

    def resolve_name(self, name: str, base: str = "", allow_relative: bool = False) -> Resolution:
        """Resolve a bare target text (used by links, embeds, `kbwiki new` and `check`); memoised."""
        key = (name, base if allow_relative else "", allow_relative)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._resolve_name(name, base, allow_relative)
        return found

    def _resolve_name(self, name: str, base: str, allow_relative: bool) -> Resolution:
        wanted = normalize(_strip_md(name.strip()))
        if not wanted:
            return Resolution(None)
        paths = []
        if allow_relative and base:
            paths.append(normalize(posixpath.normpath(posixpath.join(base, _strip_md(name.strip())))))
        paths.append(normalize(posixpath.normpath(wanted)) if "/" in wanted else wanted)
        for rule in self.RULES:
            keys = paths if rule == "path" else [slugify(name) if rule == "slug" else wanted]
            for key in keys:
                found = self._index[rule].get(key)
                if found:
                    chosen = min(found, key=lambda p: (p.count("/"), p.casefold(), p))
                    return Resolution(chosen, rule, tuple(found) if len(found) > 1 else ())
        if "/" in wanted:  # Obsidian: [[Folder/Note]] also matches a deeper path ending in Folder/Note
            found = sorted(self._suffixes.get(posixpath.normpath(wanted), ()))
            if found:
                chosen = min(found, key=lambda p: (p.count("/"), p.casefold(), p))
                return Resolution(chosen, "path", tuple(found) if len(found) > 1 else ())
        return Resolution(None)

    def names(self) -> list[str]:
        """Every title, alias and stem, for suggestions."""
        if self._names is None:
            self._names = sorted({name for rule in ("title", "alias", "stem") for name in self._index[rule]})
        return self._names

    def title_of(self, name: str) -> str:
        """The title of the page a normalised name belongs to."""
        for rule in ("title", "alias", "stem"):
            found = self._index[rule].get(name)
            if found:
                return self._pages[found[0]].title
        return name


class Suggester:
    """'Did you mean …': the titles, aliases and file names closest to a missing target (trigram similarity).

    Candidates are the names sharing one of the target's rarest trigrams; they are ranked by the Jaccard
    similarity of their trigram sets. The work per target stays small however large the wiki is.
    """

    MIN_SIMILARITY = 0.45
    PROBES = 4

    def __init__(self, resolver: Resolver):
        self._resolver = resolver
        self._index: dict[str, list[int]] | None = None
        self._grams: list[set[str]] = []
        self._cache: dict[str, tuple[str, ...]] = {}

    def _build(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self._resolver.names()):
            grams = _grams(name)
            self._grams.append(grams)
            for gram in grams:
                index[gram].append(i)
        return index

    def suggest(self, target: str, limit: int = 3) -> tuple[str, ...]:
        """Up to `limit` page titles close to `target`, best first."""
        wanted = normalize(target)
        if wanted in self._cache:
            return self._cache[wanted]
        if self._index is None:
            self._index = self._build()
        grams = _grams(wanted)
        rare = sorted(grams, key=lambda g: (len(self._index.get(g, ())), g))
        probes = [g for g in rare if g in self._index][: max(self.PROBES, len(grams) // 3)]
        candidates = {i for g in probes for i in self._index[g]}
        names = self._resolver.names()
        scored = []
        for i in candidates:
            other = self._grams[i]
            shared = len(grams & other)
            score = shared / (len(grams) + len(other) - shared)
            if score >= self.MIN_SIMILARITY:
                scored.append((-score, names[i]))
        titles = tuple(dict.fromkeys(self._resolver.title_of(name) for _, name in sorted(scored)))[:limit]
        self._cache[wanted] = titles
        return titles


def _grams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}
