"""Links: LinkRef extraction from page text, and the one Resolver deciding what a target names.

Resolution precedence for pages (case-insensitive, Unicode-normalised, whitespace collapsed):
  1. path   — the target as a path: relative to the linking page's folder (Markdown links),
              then relative to the content root, with or without `.md` ("Folder/Note"), then
              any page whose path ends with it ("Folder/Note" finds "deep/Folder/Note.md");
  2. id     — a page's declared `id` (front matter);
  3. stem   — a file name without `.md`, in any folder (Obsidian's shortest-path rule);
  4. title  — a page's title;
  5. alias  — one of a page's aliases;
  6. slug   — the slug of the target equals a page's slug ("some-page" finds "Some Page").
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
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal, Sequence
from urllib.parse import unquote

from generator.content import Page
from generator.paths import SourcePath, slugify
from generator.records import compact_pickle
from generator.text import drop_comments

Syntax = Literal["wiki", "markdown", "front-matter", "embed", "image"]

_FENCE_OPEN = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_WIKI = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
# The destination may hold spaces and control characters, as Python-Markdown allows ([a](My Note.md)).
_MD = re.compile(r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*(<[^>\n]*>|(?:[^()\n]|\([^()\n]*\))*?)(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@compact_pickle
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


def is_local_file_href(href: str) -> bool:
    """An image or file href inside the content folder (relative, no scheme), e.g. `Attachments/a%20b.png`."""
    return bool(href) and not href.startswith(("#", "/", "//")) and not _SCHEME.match(href)


def is_file_href(href: str) -> bool:
    """A Markdown link href naming a file of the vault other than a page (`docs/a%20b.pdf`); not .html."""
    if not is_local_file_href(href):
        return False
    path = markdown_target(href)[0]
    return has_extension(path) and not path.casefold().endswith((".html", ".htm"))


def markdown_target(href: str) -> tuple[str, str]:
    """An internal Markdown href -> (unquoted path, fragment)."""
    path, _, fragment = href.partition("#")
    return unquote(path.split("?", 1)[0]), unquote(fragment)


def extract_links(body: str, body_line: int = 1, src_path: str = "") -> tuple[LinkRef, ...]:
    """Every page link in a Markdown body, in order, with 1-based line and column; code is skipped."""
    refs: list[LinkRef] = []
    base = posixpath.dirname(src_path)
    fence = ""
    for offset, line in enumerate(drop_comments(body).split("\n")):
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
        masked = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if "`" in line else line
        line_no = body_line + offset
        found: list[tuple[int, LinkRef]] = []
        for m in _WIKI.finditer(masked) if "[[" in line else ():
            if masked[m.start(2):m.end(2)] != line[m.start(2):m.end(2)]:
                continue  # a code span inside: not a link (the Markdown renderer agrees)
            target, fragment, label = split_wiki_target(line[m.start(2):m.end(2)])
            syntax: Syntax = "embed" if m.group(1) else "wiki"
            found.append((m.start(), LinkRef(target, fragment, label, line_no, m.start() + 1, syntax)))
        for m in _MD.finditer(masked) if "](" in line else ():  # an inline link needs "]("
            href = line[m.start(3):m.end(3)].strip("<>")
            if m.group(1):
                if is_local_file_href(href):
                    path, _ = markdown_target(href)
                    found.append((m.start(), LinkRef(path, "", m.group(2), line_no, m.start() + 1, "image", base)))
                continue
            if not is_internal_markdown_href(href) and not is_file_href(href):
                continue
            path, fragment = markdown_target(href)
            found.append((m.start(), LinkRef(path, fragment, m.group(2), line_no, m.start() + 1, "markdown", base)))
        refs.extend(ref for _, ref in sorted(found, key=lambda pair: pair[0]))
    return tuple(refs)


_RENDERED_SYNTAX = {"w": "wiki", "m": "markdown"}


def agree_with_rendering(scanned: tuple[LinkRef, ...], rendered: tuple[tuple[str, str, str], ...], base: str) -> tuple[LinkRef, ...]:
    """Body links as the renderer made them: `rendered` holds (syntax 'w'|'m', target, fragment) of every
    link in the HTML. A scanned link the renderer did not make (inside raw HTML, a hard-wrapped link, …)
    is dropped; a rendered link the scanner missed is added without a position. Embeds and images stay."""
    made = {(_RENDERED_SYNTAX[s], t, f) for s, t, f in rendered if s in _RENDERED_SYNTAX}
    kept = [r for r in scanned if r.syntax not in ("wiki", "markdown") or (r.syntax, r.target, r.fragment) in made]
    seen = {(r.syntax, r.target, r.fragment) for r in kept}
    extra = [LinkRef(t, f, "", 0, 0, syntax, base if syntax == "markdown" else "")  # type: ignore[arg-type]
             for syntax, t, f in sorted(made - seen)]
    return tuple(kept) + tuple(extra)


def front_matter_links(page: Page, front_matter_text: str = "") -> tuple[LinkRef, ...]:
    """The page's front-matter links (and reference-like sources) as LinkRefs, with their line when found."""
    lines = front_matter_text.split("\n")
    refs = []
    for target in (*page.links, *(s for s in page.sources if looks_like_reference(s))):
        target = target[2:-2] if target.startswith("[[") and target.endswith("]]") else target
        name, fragment, label = split_wiki_target(target)
        line = next((i + 1 for i, text in enumerate(lines) if name and name in text), 0)
        refs.append(LinkRef(name, fragment, label, line, 0, "front-matter", page.folder))
    return tuple(refs)


def looks_like_reference(source: str) -> bool:
    """A `sources` entry that names a page ([[x]], a .md path, or a single token) rather than free text.

    One with no page name in it (`|`, `#x`, `[[]]`) is text."""
    source = source.strip()
    if source.startswith("[[") and source.endswith("]]"):
        return bool(split_wiki_target(source[2:-2])[0])
    if not split_wiki_target(source)[0]:
        return False
    if _SCHEME.match(source):
        return False
    return source.casefold().endswith(".md") or (bool(source) and not any(c.isspace() for c in source))


def normalize(text: str) -> str:
    """The comparison form of a name: NFC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def wanted_name(ref: LinkRef) -> str:
    """The name a missing target is listed under on Wanted pages: a Markdown path from the content root
    without `.md` (`../sources/a.md` from concepts/ is `sources/a`), else the target without `.md`."""
    target = ref.target.strip()
    if ref.syntax in ("markdown", "image"):
        path = posixpath.normpath(posixpath.join(ref.base, _strip_md(target)))
        return _strip_md(target) if path.startswith("../") else path
    if "/" in target:
        return posixpath.normpath(_strip_md(target).lstrip("/"))
    return _strip_md(target)


def has_extension(target: str) -> bool:
    """A target naming a file by its extension (`diagram.png`, `File.base`), other than `.md`."""
    ext = posixpath.splitext(posixpath.basename(target.strip()))[1]
    return bool(ext) and 1 < len(ext) <= 6 and ext[1:].isalnum() and ext.casefold() != ".md"


def names_a_file(ref: LinkRef) -> bool:
    """Whether a ref names a file rather than a page: an image, or an embed or Markdown link to a name with an
    extension. One that names no file in the content folder is a missing file, not a wanted page."""
    return ref.syntax == "image" or (ref.syntax in ("embed", "markdown") and has_extension(ref.target))


def missing_file_name(ref: LinkRef) -> str:
    """How the Wanted page names the file a ref names but the content folder lacks: a Markdown link's or
    image's path from the content folder's root; an embed's name as written (Obsidian looks for it anywhere)."""
    target = ref.target.strip()
    if ref.syntax in ("markdown", "image"):
        joined = target.lstrip("/") if target.startswith("/") else posixpath.join(ref.base, target)
        return posixpath.normpath(joined) if joined else target
    return target


@functools.lru_cache(maxsize=1 << 16)
def _folder(src_path: str) -> str:
    """posixpath.dirname, memoised: every link of a page asks for its folder."""
    return posixpath.dirname(src_path)


def _strip_md(path: str) -> str:
    return path[:-3] if path.casefold().endswith(".md") else path


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
        wanted = normalize(_strip_md(name.strip()))
        if not wanted:
            return Resolution(None)
        paths = []
        if allow_relative and base:
            paths.append(normalize(posixpath.normpath(posixpath.join(base, _strip_md(name.strip())))))
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
        state["_memo"], state["_names"], state["_suggester"] = {}, None, None
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

    def prepare(self) -> None:
        """Build the index now (else on the first suggestion)."""
        if self._index is None:
            self._index = self._build()

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
        for i in candidates:
            other = self._grams[i]
            shared = len(grams.intersection(other))
            score = shared / (len(grams) + len(other) - shared)
            if score >= self.MIN_SIMILARITY:
                scored.append((-score, names[i]))
        titles = tuple(dict.fromkeys(self._resolver.title_of(name) for _, name in sorted(scored)))[:limit]
        self._cache[wanted] = titles
        return titles


def _grams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}
