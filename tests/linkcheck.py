"""A small crawler for tests: every href/src in a built site's HTML must name a file (and id) that exists on disk."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value is not None:
                self.urls.append(value)


def _scan(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


JS_FRAGMENTS = frozenset({"special/graph.html"})  # pages whose script reads the fragment (a page to centre on)


def broken_urls(site: Path, check_fragments: bool = True) -> list[str]:
    """`page.html: url` for every relative URL in the site's HTML that names no file (or no id on that page)."""
    pages = {p.relative_to(site).as_posix(): _scan(p) for p in sorted(site.rglob("*.html"))}
    broken = []
    for rel, found in pages.items():
        for url in found.urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(parts.path))) if parts.path else rel
            if target.startswith("../") or not (site / target).is_file():
                broken.append(f"{rel}: {url}")
                continue
            fragment = unquote(parts.fragment)
            if (check_fragments and fragment and target in pages and target not in JS_FRAGMENTS
                    and fragment not in pages[target].ids):
                broken.append(f"{rel}: {url} (no id {fragment!r})")
    return broken
