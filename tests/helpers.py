"""Small test helpers: build a vault in-process and read what was written."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from generator.config import Config
from generator.build.pipeline import Site, build_site
from generator.build.writer import write_site


def build(content: Path, out: Path | None = None, **settings) -> Site:
    """Build `content` with the default theme; write it to `out` when given."""
    site = build_site(Config(content_dir=content, out_dir=out or content.parent / "site", **settings))
    if out is not None:
        write_site(site.outputs, out)
    return site


def output(site: Site, out_path: str) -> str:
    """The text of one output file of an in-memory site."""
    for item in site.outputs:
        if item.out_path == out_path:
            return item.data.decode("utf-8")
    raise KeyError(out_path)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    """Every start tag of a document with its attributes, as a browser's tokenizer sees them."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.tags
