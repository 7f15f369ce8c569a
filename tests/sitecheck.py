"""Crawl a built site from disk: every href and src must name an existing file, and every #fragment an id in it.

Reusable: `broken_refs(site_dir)` returns what is wrong (an empty list when the site works from file://);
`assert_site_links(site_dir)` fails a test with the first problems listed.
"""

from __future__ import annotations

import html
import multiprocessing
import posixpath
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

LOCAL_SCHEMES = frozenset({"file", "javascript"})  # any other scheme (http, mailto, obsidian, ...) is not a file of the site
_URL_ATTRS = frozenset({"href", "src"})
# Pages whose #fragment is read by their script (state, not an element id): the fragment is not checked.
HASH_ROUTED = frozenset({"special/graph.html"})


@dataclass(frozen=True, order=True)
class BrokenRef:
    """One reference that does not work from disk: the page (relative to the site), the attribute, the URL, why."""

    page: str
    attr: str
    url: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.attr}={self.url!r}: {self.reason}"


# A tag, a comment, or a script/style element with its content (whose text holds no tags). Faster than
# html.parser (the whole 32k-page wiki is crawled in a test) and equal to it on every page of that wiki sampled.
_TAG = re.compile(r"<!--.*?-->|<(script|style)\b([^>]*)>.*?</\1\s*>"
                  r"|<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=/>]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*/?>", re.S | re.I)
_ATTR = re.compile(r"([^\s=/>]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")


@dataclass
class _Scan:
    """The URLs in href/src attributes and the ids (and <a name>) a page defines."""

    refs: list[tuple[str, str]]
    ids: set[str]


def scan_html(text: str) -> _Scan:
    scan = _Scan([], set())
    for tag in _TAG.finditer(text):
        if tag.group(1):
            name, attrs = tag.group(1).lower(), tag.group(2)
        elif tag.group(3):
            name, attrs = tag.group(3).lower(), tag.group(4)
        else:
            continue  # a comment
        for attr in _ATTR.finditer(attrs or ""):
            key, value = attr.group(1).lower(), attr.group(2)
            if value is None:
                continue
            value = html.unescape(value[1:-1] if value[:1] in "\"'" else value)
            if key in _URL_ATTRS:
                scan.refs.append((key, value))
            elif key == "id" or (key == "name" and name == "a"):
                scan.ids.add(value)
    return scan


@lru_cache(maxsize=None)
def _scan(path: Path, mtime_ns: int) -> _Scan:
    return scan_html(path.read_text(encoding="utf-8"))


def scan_page(path: Path) -> _Scan:
    """The refs and ids of one HTML file (cached while the file is unchanged)."""
    return _scan(path, path.stat().st_mtime_ns)


def check_ref(site: Path, page: Path, attr: str, url: str, hash_routed: frozenset[str] = HASH_ROUTED) -> str:
    """Why `url` (found in `page`) does not resolve from disk; '' when it does or is external."""
    parts = urlsplit(url.strip())
    if parts.scheme and parts.scheme.lower() not in LOCAL_SCHEMES:
        return ""
    if parts.scheme or parts.netloc:
        return f"absolute or scheme-relative URL {url!r}: does not work from file://"
    path = unquote(parts.path)
    if path.startswith("/"):
        return "root-relative URL: does not work from file://"
    target = page if not path else (page.parent / path)
    resolved = Path(posixpath.normpath(target.as_posix()))
    if resolved != site and site not in resolved.parents:
        return "points outside the site folder"
    if resolved.is_dir():
        return "names a folder: a browser opening files from disk shows a listing, not index.html"
    if not resolved.is_file():
        return f"no file {resolved.relative_to(site).as_posix()}"
    fragment = unquote(parts.fragment)
    if resolved.relative_to(site).as_posix() in hash_routed:
        return ""
    if fragment and resolved.suffix == ".html" and fragment not in scan_page(resolved).ids:
        return f"no id {fragment!r} in {resolved.relative_to(site).as_posix()}"
    return ""


def broken_refs(site_dir: Path, hash_routed: frozenset[str] = HASH_ROUTED, jobs: int = 1) -> list[BrokenRef]:
    """Every href/src in every .html file under `site_dir` that does not resolve from disk, sorted (`jobs`:
    processes to crawl with, each taking every `jobs`-th page)."""
    site = Path(posixpath.normpath(site_dir.absolute().as_posix()))
    pages = sorted(site.rglob("*.html"))
    if jobs <= 1:
        return sorted(set(_broken_in(site, pages, hash_routed)))
    shares = [pages[n::jobs] for n in range(jobs)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        found = pool.map(_broken_in, [site] * jobs, shares, [hash_routed] * jobs)
        return sorted({ref for part in found for ref in part})


def _broken_in(site: Path, pages: list[Path], hash_routed: frozenset[str]) -> list[BrokenRef]:
    broken = []
    known: dict[tuple[Path, str], str] = {}  # (folder, url) -> reason: one folder's pages share most URLs
    for page in pages:
        for attr, url in scan_page(page).refs:
            key = (page.parent, url)
            reason = known.get(key) if url else None
            if reason is None:
                reason = check_ref(site, page, attr, url, hash_routed)
                if url:
                    known[key] = reason
            if reason:
                broken.append(BrokenRef(page.relative_to(site).as_posix(), attr, url, reason))
    return broken


def assert_site_links(site_dir: Path, shown: int = 20, hash_routed: frozenset[str] = HASH_ROUTED) -> int:
    """Fail with the first `shown` broken references; return how many pages were crawled."""
    broken = broken_refs(site_dir, hash_routed)
    assert not broken, f"{len(broken)} broken reference(s):\n" + "\n".join(map(str, broken[:shown]))
    return sum(1 for _ in site_dir.rglob("*.html"))
