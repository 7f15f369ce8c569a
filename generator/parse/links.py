"""Links: LinkRef extraction from page text (code skipped, with line and column), and the small rules on refs
(what names a file, what a missing target is listed as). What a target names is wiki/resolve.py's job."""

from __future__ import annotations

import posixpath
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from generator.parse.content import Page
from generator.records import compact_pickle
from generator.parse.text import drop_comments

Syntax = Literal["wiki", "markdown", "front-matter", "embed", "image"]

_FENCE_OPEN = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_WIKI = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
# The destination may hold spaces and control characters, as Python-Markdown allows ([a](My Note.md)).
_MD = re.compile(r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*(<[^>\n]*>|(?:[^()\n]|\([^()\n]*\))*?)(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _unpickled_ref(target: str, *rest) -> "LinkRef":
    """A LinkRef as pickle rebuilds it (compact_pickle), its target one string object in this process
    (sys.intern): the pages linking to a hub spell it alike, and a driver holds every page's links."""
    return LinkRef(sys.intern(target), *rest)


@compact_pickle(rebuild=_unpickled_ref)
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


def split_wiki_target(inner: str) -> tuple[str, str, str]:
    """`Target#Heading|Label` (also `\\|` inside tables) -> (target, fragment, label)."""
    inner = inner.replace("\\|", "|")
    target, _, label = inner.partition("|")
    target, _, fragment = target.partition("#")
    return target.strip(), fragment.strip(), label.strip()


def wiki_link_text(target: str, fragment: str, label: str) -> str:
    """The text a wiki link shows: its label, else the target (`Target › Heading` with a fragment)."""
    if label:
        return label
    return target if not fragment else (f"{target} › {fragment.lstrip('^')}" if target else fragment.lstrip("^"))


def link_end(line: str, column: int) -> int:
    """Where the link written at 1-based `column` of `line` ends (0-based, exclusive); the column itself when no
    link starts there. The one reading of link syntax, as extract_links() found it."""
    start = column - 1
    if line.startswith(("[[", "![["), start):
        found = _WIKI.match(line, start)
    else:
        found = _MD.match(line, start)
    return found.end() if found else start


def is_internal_markdown_href(href: str) -> bool:
    """A Markdown link href that names another page of the wiki: a .md path (relative, or from the content
    folder's root when it starts with '/'), or a relative folder path ending in '/', which names the folder's
    index page (`[Sessions](campaigns/x/)` -> campaigns/x/index.md)."""
    if not href or href.startswith(("#", "//")) or _SCHEME.match(href):
        return False
    path = unquote(href.split("#", 1)[0].split("?", 1)[0])
    return path.casefold().endswith(".md") or (path.endswith("/") and not path.startswith("/"))


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
    """An internal Markdown href -> (unquoted path, fragment); a folder path names its `index.md`."""
    path, _, fragment = href.partition("#")
    path = unquote(path.split("?", 1)[0])
    return (path + "index.md" if path.endswith("/") else path), unquote(fragment)


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
            start, end = m.span(2)
            inner = line[start:end]
            if masked is not line and masked[start:end] != inner:
                continue  # a code span inside: not a link (the Markdown renderer agrees)
            target, fragment, label = split_wiki_target(inner)
            syntax: Syntax = "embed" if m.group(1) else "wiki"
            found.append((m.start(), LinkRef(target, fragment, label, line_no, m.start() + 1, syntax)))
        if "](" not in line:  # wiki links alone: found in order
            refs.extend(ref for _, ref in found)
            continue
        for m in _MD.finditer(masked):  # an inline link needs "]("
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
        path = posixpath.normpath(posixpath.join(ref.base, strip_md(target)))
        return strip_md(target) if path.startswith("../") else path
    if "/" in target:
        return posixpath.normpath(strip_md(target).lstrip("/"))
    return strip_md(target)


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


def strip_md(path: str) -> str:
    return path[:-3] if path.casefold().endswith(".md") else path
