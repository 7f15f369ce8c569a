"""The one Resolver: what each link target names, among every page and attachment of the wiki; "did you mean" hints.

Resolution precedence for pages (case-insensitive, Unicode-normalised, whitespace collapsed):
  1. path   — the target as a path: relative to the linking page's folder (Markdown links),
              then relative to the content root, with or without `.md` ("Folder/Note"), then
              any page whose path ends with it ("Folder/Note" finds "deep/Folder/Note.md");
  2. id     — a page's declared `id` (front matter);
  3. stem   — a file name without `.md`, in any folder (Obsidian's shortest-path rule);
  4. title  — a page's title;
  5. alias  — one of a page's aliases;
  6. slug   — the target equals a page's URL slug or its title slugified ("some-page" finds "Some Page").
The first level with a match wins. When one level matches several pages, Obsidian's tie-break
(observed through `getFirstLinkpathDest`) picks one: a page in the linking page's own folder,
else the shortest source path (as text), else the alphabetically first. Only when the own-folder
rule does not decide is the link *ambiguous*: an `ambiguous-link` error names all candidates.

Attachments (any non-Markdown file: images, PDFs, audio, video) resolve the same way by
path, path ending, then file name with its extension (`![[diagram.png]]`), through
resolve_file(); a page target that names no page falls back to them when it has an extension.
"""

from __future__ import annotations

import functools
import posixpath
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

from generator.parse.content import Page
from generator.parse.links import LinkRef, has_extension, normalize, strip_md
from generator.paths import SourcePath, slugify
from generator.records import compact_pickle


@compact_pickle
@dataclass(frozen=True, slots=True)
class Resolution:
    """What a target named: a page (by source path), or nothing; with the rule that matched."""

    src_path: SourcePath | None
    rule: str = ""
    candidates: tuple[SourcePath, ...] = ()  # more than one: the link was ambiguous
    attachment: bool = False  # src_path is a non-Markdown file, not a page

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1



@functools.lru_cache(maxsize=1 << 16)
def _folder(src_path: str) -> str:
    """posixpath.dirname, memoised: every link of a page asks for its folder."""
    return posixpath.dirname(src_path)


def _tie_break(found: Sequence[SourcePath], near: str) -> tuple[SourcePath, tuple[SourcePath, ...]]:
    """Obsidian's choice among several matches: own folder, then shortest path, then A-Z; and the ambiguity left."""
    ranked = sorted(found, key=lambda p: (posixpath.dirname(p) != near, len(p), p.casefold(), p))
    chosen = ranked[0]
    same_folder = [p for p in found if posixpath.dirname(p) == near]
    decided = len(found) == 1 or len(same_folder) == 1
    return chosen, () if decided else tuple(sorted(found))


class Resolver:
    """Decides what each target names. Built once from all pages (and attachments); lookups are dictionary reads."""

    RULES = ("path", "id", "stem", "title", "alias", "slug")

    def __init__(self, pages: Sequence[Page], slugs: dict[SourcePath, str], files: Sequence[SourcePath] = ()):
        self._index: dict[str, dict[str, list[SourcePath]]] = {rule: defaultdict(list) for rule in self.RULES}
        self._titles = {p.src_path: p.title for p in pages}
        self._suffixes: dict[str, list[SourcePath]] = defaultdict(list)
        for page in sorted(pages, key=lambda p: p.src_path):
            keys = {
                "path": [strip_md(page.src_path)],
                "id": [page.declared_id] if page.declared_id else [],
                "title": [page.title],
                "alias": list(page.aliases),
                "stem": [page.stem],
                "slug": [slugs.get(page.src_path, ""), slugify(page.title)],  # its URL's, and its title's
            }
            for rule, names in keys.items():
                for name in dict.fromkeys(normalize(n) for n in names if n):
                    self._index[rule][name].append(page.src_path)
            parts = normalize(strip_md(page.src_path)).split("/")
            for start in range(1, len(parts) - 1):  # "a/b/c" -> "b/c": Obsidian's partial paths
                self._suffixes["/".join(parts[start:])].append(page.src_path)
        self._files = sorted(files)
        self._file_paths: dict[str, list[SourcePath]] = defaultdict(list)
        self._file_names: dict[str, list[SourcePath]] = defaultdict(list)
        for path in self._files:
            self._file_paths[normalize(path)].append(path)
            self._file_names[normalize(posixpath.basename(path))].append(path)
        self._names: list[str] | None = None
        self._memo: dict[tuple[str, str, bool], Resolution] = {}
        self._suggester: Suggester | None = None

    def resolve(self, ref: LinkRef, from_path: SourcePath) -> Resolution:
        """The page (or attachment) a link names, by the documented precedence; an empty target is the page itself."""
        if not ref.target:
            return Resolution(from_path, "self")
        near = _folder(from_path)
        relative = ref.syntax in ("markdown", "image")
        base = ref.base if ref.syntax in ("markdown", "front-matter", "image") else ""
        if ref.syntax == "image":
            return self.resolve_file(ref.target, base, relative, near)
        found = self.resolve_name(ref.target, base, allow_relative=relative, near=near)
        if found.src_path is None and has_extension(ref.target):
            return self.resolve_file(ref.target, base, relative, near)
        return found

    def resolve_name(self, name: str, base: str = "", allow_relative: bool = False, near: str = "") -> Resolution:
        """Resolve a bare target text to a page (used by links, embeds, `kbwiki new` and `check`); memoised."""
        key = (name, base if allow_relative else "", allow_relative, near)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._resolve_name(name, base, allow_relative, near)
        return found

    def _resolve_name(self, name: str, base: str, allow_relative: bool, near: str) -> Resolution:
        wanted = normalize(strip_md(name.strip()))
        if not wanted:
            return Resolution(None)
        paths = []
        if allow_relative and base:
            paths.append(normalize(posixpath.normpath(posixpath.join(base, strip_md(name.strip())))))
        paths.append(normalize(posixpath.normpath(wanted.lstrip("/"))) if "/" in wanted else wanted)
        for rule in self.RULES:
            keys = paths if rule == "path" else [slugify(name) if rule == "slug" else wanted]
            for key in keys:
                found = self._index[rule].get(key)
                if found:
                    chosen, candidates = _tie_break(found, near)
                    return Resolution(chosen, rule, candidates)
            if rule == "path" and "/" in wanted:  # Obsidian: [[Folder/Note]] also matches a deeper path ending in Folder/Note
                found = self._suffixes.get(paths[-1], ())
                if found:
                    chosen, candidates = _tie_break(found, near)
                    return Resolution(chosen, "path", candidates)
        return Resolution(None)

    def resolve_file(self, name: str, base: str = "", allow_relative: bool = False, near: str = "") -> Resolution:
        """Resolve a target to an attachment: relative path (Markdown), vault path, path ending, then file name."""
        wanted = normalize(name.strip()).lstrip("/")
        if not wanted:
            return Resolution(None)
        keys = []
        if allow_relative:
            keys.append(normalize(posixpath.normpath(posixpath.join(base, name.strip()))))
        keys.append(normalize(posixpath.normpath(wanted)))
        for key in keys:
            if key in self._file_paths:
                return Resolution(self._file_paths[key][0], "path", attachment=True)
        if "/" in wanted:
            tail = "/" + keys[-1]
            found = [p for p in self._files if normalize(p).endswith(tail)]
        else:
            found = self._file_names.get(wanted, [])
        if found:
            chosen, candidates = _tie_break(found, near)
            return Resolution(chosen, "path" if "/" in wanted else "stem", candidates, attachment=True)
        return Resolution(None)

    def __getstate__(self):
        """Pickled without its memos (the build state): they refill as links are resolved."""
        state = {name: getattr(self, name) for name in self.__dict__}
        state["_memo"], state["_names"] = {}, None  # the suggester keeps only the suggestions it made
        return state

    def suggester(self) -> "Suggester":
        """The 'did you mean' suggester over these names (made once: a rebuild asks again and again)."""
        if self._suggester is None:
            self._suggester = Suggester(self)
        return self._suggester

    def __setstate__(self, state):
        self.__dict__.update(state)

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
                return self._titles[found[0]]
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
        self._grams: list[tuple[str, ...]] = []  # each name's trigrams: tuples of shared strings (sets of their own weigh ~5x)
        self._cache: dict[str, tuple[str, ...]] = {}

    def _build(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = defaultdict(list)
        shared: dict[str, str] = {}
        for i, name in enumerate(self._resolver.names()):
            grams = tuple(shared.setdefault(gram, gram) for gram in _grams(name))
            self._grams.append(grams)
            for gram in grams:
                index[gram].append(i)
        return index

    def __getstate__(self):
        """Pickled with the suggestions made (a rebuild asks for the same ones) but not its index, rebuilt when needed."""
        return {"_resolver": self._resolver, "_index": None, "_grams": [], "_cache": self._cache}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def known(self, targets: list[str]) -> dict[str, tuple[str, ...]]:
        """The suggestions already made for some of `targets` (target -> titles)."""
        found = {}
        for target in targets:
            titles = self._cache.get(normalize(target))
            if titles is not None:
                found[target] = titles
        return found

    def learn(self, found: dict[str, tuple[str, ...]]) -> None:
        """Keep suggestions made elsewhere (by forked workers) as this suggester's own."""
        self._cache.update({normalize(target): titles for target, titles in found.items()})

    def prepare(self) -> None:
        """Build the index now (else on the first suggestion)."""
        if self._index is None:
            self._index = self._build()

    def release(self) -> None:
        """Let the index go (made again by the next suggestion that needs it): once a build has asked for every
        suggestion it needs, it holds the trigrams of every name to the end (~1 KB a page) for nothing."""
        self._index, self._grams = None, []

    def suggest(self, target: str, limit: int = 3) -> tuple[str, ...]:
        """Up to `limit` page titles close to `target`, best first."""
        wanted = normalize(target)
        if wanted in self._cache:
            return self._cache[wanted]
        self.prepare()
        grams = _grams(wanted)
        rare = sorted(grams, key=lambda g: (len(self._index.get(g, ())), g))
        probes = [g for g in rare if g in self._index][: max(self.PROBES, len(grams) // 3)]
        candidates = {i for g in probes for i in self._index[g]}
        names = self._resolver.names()
        scored = []
        # A name of under 0.44 or over 1 / 0.44 times as many trigrams scores under MIN_SIMILARITY whatever they
        # share (the similarity is at most the smaller count over the larger): not compared (same result, less work).
        low, high, every = len(grams) * _SIZE_MARGIN, len(grams) / _SIZE_MARGIN, self._grams
        for i in candidates:
            other = every[i]
            if not low <= len(other) <= high:
                continue
            shared = len(grams.intersection(other))
            score = shared / (len(grams) + len(other) - shared)
            if score >= self.MIN_SIMILARITY:
                scored.append((-score, names[i]))
        titles = tuple(dict.fromkeys(self._resolver.title_of(name) for _, name in sorted(scored)))[:limit]
        self._cache[wanted] = titles
        return titles


_SIZE_MARGIN = 0.44  # below Suggester.MIN_SIMILARITY: a bound kept loose of any rounding


def _grams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}
