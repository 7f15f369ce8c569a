"""Markdown to HTML: the Python-Markdown instance and our extension (wiki links, .md links, "#" permalinks).

Rendering a body depends on the page's own text only: every internal link is written with a
placeholder href (`kbref:...`), and fill_links() later swaps in the resolved URL, or marks it
as a red link. That keeps the expensive step cacheable per page and runnable in any process.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
import sys
import xml.etree.ElementTree as etree
import zlib
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote, unquote

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from generator.parse import mdspeed
from generator.parse.highlight import CodeExtension
from generator.parse.math import MATH_CLASSES, MathExtension
from generator.parse.links import is_file_href, is_internal_markdown_href, markdown_target, split_wiki_target, wiki_link_text
from generator.parse.obsidian import ObsidianExtension
from generator.paths import slugify
from generator.records import compact_pickle

# Ids the page template uses; a heading never takes one of them.
RESERVED_IDS = frozenset({"backlinks", "related", "content", "main", "toc", "search", "sources", "top", "graph"})
_PLACEHOLDER = re.compile(r'<a class="wikilink" href="kbref:(w|m|t):([^"#]*)#?([^"]*)"')
_EMBED = re.compile(r'<a class="kbembed"(?: data-size="([^"]*)")? href="kbref:e:([^"#]*)#?([^"]*)">(.*?)</a>')
_IMAGE = re.compile(r'<img ([^>]*?)src="kbref:a:([^"]*)"([^>]*)>')
_SIZE = re.compile(r"\d+(x\d+)?")
_STASH = re.compile("\x02[^\x03]*\x03")
_HTML_PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")  # Python-Markdown's markdown.util.HTML_PLACEHOLDER


def heading_id(text: str, separator: str = "-") -> str:
    """The id of a heading (and of `[[Page#Heading]]` fragments): its slug, kept clear of template ids."""
    slug = slugify(text) or "section"
    return slug + "-section" if slug in RESERVED_IDS else slug


@compact_pickle
@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    id: str
    text: str


def _unpickled_body(html_z, headings, text, prose_utf8, placeholders, *rest) -> "RenderedBody":
    """A RenderedBody as pickle rebuilds it (compact_pickle), each placeholder's target one string object in
    this process (sys.intern), as its link ref's is (links._unpickled_ref)."""
    placeholders = tuple((syntax, sys.intern(target), fragment) for syntax, target, fragment in placeholders)
    return RenderedBody(html_z, headings, text, prose_utf8, placeholders, *rest)


@compact_pickle(rebuild=_unpickled_body)
@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A body rendered to HTML with link placeholders, plus what other stages need from it.

    A wiki holds every page's body in memory until it is rendered, so the HTML is kept compressed
    (zlib's fastest level: a third of its size, ~0.1 ms to pack in the parse workers, a few hundredths
    to unpack when the page is rendered) and the prose as UTF-8 (text with one character past U+00FF
    takes two bytes a character, or four, as a Python string). `html` and `prose` decode them."""

    html_z: bytes  # the HTML as UTF-8, zlib-compressed (packed_html)
    headings: tuple[Heading, ...]
    text: str  # plain reading text of the whole body (for search; not kept once parsed, see ParsedPage.search)
    prose_utf8: bytes = b""  # reading text without links, code and headings, one run per line (for unlinked mentions)
    placeholders: tuple[tuple[str, str, str], ...] = ()  # every (syntax, target, fragment) fill_links() will ask for
    blocked: tuple[str, ...] = ()  # script-running URLs removed from links and images
    bad_math: tuple[tuple[str, str], ...] = ()  # (formula, what is wrong with it) for formulas KaTeX cannot read

    embeds: bool = False  # holds ![[note]] embed placeholders
    images: bool = False  # holds local image placeholders

    @property
    def html(self) -> str:
        return zlib.decompress(self.html_z).decode("utf-8")

    @property
    def prose(self) -> str:
        return self.prose_utf8.decode("utf-8")

    def with_html(self, html: str) -> "RenderedBody":
        """The same body with other HTML (sanitized, say)."""
        return dataclasses.replace(self, **packed_html(html))


NO_HTML = zlib.compress(b"")  # RenderedBody.html_z of a body kept without its HTML


def packed_html(html: str) -> dict:
    """RenderedBody's fields for `html`: compressed, and which kinds of placeholder it holds."""
    return {"html_z": zlib.compress(html.encode("utf-8"), 1), "embeds": "kbref:e:" in html, "images": "kbref:a:" in html}


@compact_pickle
@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What fill_links() puts in place of a placeholder."""

    href: str
    missing: bool = False
    title: str = ""
    css: str = "wikilink"


@functools.lru_cache(maxsize=4096)
def _quoted(name: str) -> str:
    """A placeholder's target or fragment, %-quoted (remembered: pages of a wiki link to the same few names)."""
    return quote(name, safe="")


class _WikiLinkProcessor(InlineProcessor):
    """`[[Target]]`, `[[Target|label]]`, `[[Target#Heading]]`, `![[Embed]]` -> placeholder links."""

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown API)
        target, fragment, label = split_wiki_target(self.unescape(m.group(2)))  # code spans were stashed first
        if m.group(1):
            return self._embed(target, fragment, label), m.start(0), m.end(0)
        label = wiki_link_text(target, fragment, label)
        el = etree.Element("a")
        el.set("href", f"kbref:w:{_quoted(target)}#{_quoted(fragment)}")
        el.set("class", "wikilink")
        el.text = AtomicString(label)  # a page name is text: no Markdown or raw HTML inside a wiki link
        return el, m.start(0), m.end(0)

    @staticmethod
    def _embed(target: str, fragment: str, label: str) -> etree.Element:
        """`![[Note#Heading]]`, `![[image.png|300]]` -> an embed placeholder (filled by fill_embeds)."""
        el = etree.Element("a")
        el.set("href", f"kbref:e:{_quoted(target)}#{_quoted(fragment)}")
        el.set("class", "kbembed")
        if _SIZE.fullmatch(label):
            el.set("data-size", label)
            label = ""
        el.text = AtomicString(label or target)
        return el


class _LinkTreeprocessor(Treeprocessor):
    """Markdown links to other .md files become placeholders too."""

    def run(self, root):
        for el in root.iter("a"):
            href = el.get("href", "")
            if el.get("class") == "wikilink" or not (is_internal_markdown_href(href) or is_file_href(href)):
                continue
            path, fragment = markdown_target(href)
            el.attrib.clear()  # a red link gets its own title; the placeholder must stay the only attributes
            el.set("href", f"kbref:m:{quote(path, safe='')}#{quote(fragment, safe='')}")
            el.set("class", "wikilink")


# Schemes that run script when followed; a link or image using one is neutralised.
_UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")  # browsers drop tabs/newlines inside a scheme; we drop all of it


# URLs that start as no script-running URL can: nothing before their ':' or '#' that url_is_unsafe() would
# read through (an entity, a space or control character) or that Python-Markdown's stash would stand for.
SAFE_URL_STARTS = ("kbref:", "#", "https://", "http://")


def url_is_unsafe(url: str, image: bool = False) -> bool:
    """A `javascript:`, `vbscript:` or `data:` URL, however disguised (entities, case, control characters).

    An image may use `data:image/...`: inside <img> an image cannot run script (SVG scripts are off there).
    """
    plain = _URL_NOISE.sub("", html.unescape(url)).casefold()
    if image and plain.startswith("data:image/"):
        return False
    return plain.startswith(_UNSAFE_SCHEMES)


class _SafeUrlTreeprocessor(Treeprocessor):
    """Removes script-running URLs from Markdown links and images (raw HTML is left to `sanitize`)."""

    def run(self, root):
        blocked: list[str] = []
        for el in root.iter():
            if not el.attrib:
                continue
            for attr, image in (("href", False), ("src", el.tag == "img")):
                value = el.get(attr)
                if value is not None and not value.startswith(SAFE_URL_STARTS) and (url_is_unsafe(self._unstash(value), image) or url_is_unsafe(_STASH.sub("", value), image)):
                    blocked.append(self._unstash(value))
                    del el.attrib[attr]
                    if el.tag == "a":
                        el.set("class", "blocked-link")
                        el.set("title", "Link removed: this kind of URL can run script")
        self.md.kb_blocked = blocked

    def _unstash(self, value: str) -> str:
        """The URL as it will be written: raw HTML kept aside (an entity like `&#106;`) put back."""
        blocks = self.md.htmlStash.rawHtmlBlocks
        return _HTML_PLACEHOLDER.sub(lambda m: blocks[int(m.group(1))] if int(m.group(1)) < len(blocks)
                                     and isinstance(blocks[int(m.group(1))], str) else "", value)


class _TextTreeprocessor(Treeprocessor):
    """Collects the reading text of the body, and its prose (runs last), in one walk of the tree."""

    def run(self, root):
        text: list[str] = []
        prose: list[str] = []
        _collect_text(root, text, prose, True)
        self.md.kb_text = _STASH.sub(" ", "".join(text))
        runs = _STASH.sub(_BREAK, "".join(prose)).split(_BREAK)
        self.md.kb_prose = "\n".join(run for run in (" ".join(r.split()) for r in runs) if run)


_SKIP_CLASSES = frozenset({"headerlink", "footnote-backref"})
_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "tr", "div", "pre", "blockquote",
                     "ul", "ol", "table", "dt", "dd", "hr", "br", "details", "summary", "figure", "figcaption"})
_NOT_PROSE = frozenset({"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "sup", "script", "style"})
_BREAK = "\x1f"  # where left-out text was, and where blocks end: a mention never spans it


def _collect_text(el: etree.Element, text: list[str], prose: list[str], in_prose: bool) -> None:
    """Reading text (all text but permalink and footnote back-reference marks; a space after each block)
    into `text`; prose (without links, code and headings; a break for each left-out part and block end)
    into `prose`, while `in_prose`."""
    css = el.get("class")
    if css in _SKIP_CLASSES:
        if in_prose:
            prose.append(_BREAK)
        if el.tail:
            text.append(el.tail)
            if in_prose:
                prose.append(el.tail)
        return
    inner = in_prose and el.tag not in _NOT_PROSE and css not in MATH_CLASSES
    if in_prose and not inner:
        prose.append(_BREAK)
    if el.text:
        text.append(el.text)
        if inner:
            prose.append(el.text)
    for child in el:
        _collect_text(child, text, prose, inner)
    if el.tag in _BLOCKS:
        text.append(" ")
        if inner:
            prose.append(_BREAK)
    if el.tail:
        text.append(el.tail)
        if in_prose:
            prose.append(el.tail)


class WikiExtension(Extension):
    """Our additions to Python-Markdown."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown API)
        # After code spans (190), before escapes (180: `\|` in tables) and Markdown links (160).
        md.inlinePatterns.register(_WikiLinkProcessor(r"(!?)\[\[([^\[\]\n]+?)\]\]", md), "kb_wikilink", 185)
        md.treeprocessors.register(_LinkTreeprocessor(md), "kb_links", 4)
        md.treeprocessors.register(_SafeUrlTreeprocessor(md), "kb_safe_urls", 3)
        md.treeprocessors.register(_TextTreeprocessor(md), "kb_text", 0)


def make_markdown(fast: bool = True) -> markdown.Markdown:
    """A configured Markdown instance (one per process; reset between documents).

    `fast` (the default) changes speed, never output (mdspeed.py): the inline pass skips patterns that
    cannot match, and the toc extension names plain headings directly and builds its unused HTML table of
    contents only for a `[TOC]` marker.
    `fast=False` is stock Python-Markdown there, for the tests that compare the two."""
    toc = (mdspeed.FastTocExtension if fast else TocExtension)(permalink="#", permalink_title="Link to this section", slugify=heading_id)
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", CodeExtension(), "footnotes", "sane_lists", toc, WikiExtension(), ObsidianExtension(),
                    MathExtension()],
        extension_configs={"footnotes": {"BACKLINK_TITLE": "Back to reference %d"}},
        output_format="html",
    )
    if fast:
        mdspeed.install(md)
    return md


def _flatten(tokens: list[dict]) -> list[Heading]:
    out: list[Heading] = []
    for token in tokens:
        out.append(Heading(token["level"], token["id"], token["name"]))
        out.extend(_flatten(token["children"]))
    return out


def render_body(md: markdown.Markdown, body: str, clean: Callable[[str], str] | None = None) -> RenderedBody:
    """Render one body; links are placeholders until fill_links(). `clean` (the sanitizer, say) is given the
    HTML before it is packed, and its result is what the body keeps: the placeholders are the rendered ones."""
    md.reset()
    md.kb_text, md.kb_prose, md.kb_blocked = "", "", []  # an empty body skips the tree processors: not the last page's
    md.kb_source = body  # processors that need some text (`^`, `![`, `[TOC]`) skip pages without it
    html = md.convert(body)
    headings = tuple(_flatten(getattr(md, "toc_tokens", [])))
    text = " ".join(getattr(md, "kb_text", "").split())
    placeholders = rendered_placeholders(html)
    if clean is not None:
        html = clean(html)
    return RenderedBody(**packed_html(html), headings=headings, text=text,
                        prose_utf8=getattr(md, "kb_prose", "").encode("utf-8"), placeholders=placeholders,
                        blocked=tuple(getattr(md, "kb_blocked", ())), bad_math=tuple(md.kb_math))


def rendered_placeholders(html: str) -> tuple[tuple[str, str, str], ...]:
    """Every distinct (syntax, target, fragment) of the link placeholders in `html`, unquoted, in order."""
    written = dict.fromkeys(m.groups() for m in _PLACEHOLDER.finditer(html))  # a target is often linked again
    return tuple(dict.fromkeys((syntax, unquote(target), unquote(fragment)) for syntax, target, fragment in written))


def fill_links(html: str, lookup: Callable[[str, str, str], LinkTarget]) -> str:
    """Replace every placeholder: lookup(syntax 'w'|'m', target, fragment) -> LinkTarget."""

    def swap(m: re.Match) -> str:
        found = lookup(m.group(1), unquote(m.group(2)), unquote(m.group(3)))
        href = found.href.replace("&", "&amp;").replace('"', "&quot;")
        if found.missing:
            title = found.title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            return f'<a class="{found.css} missing" href="{href}" title="{title}"'
        return f'<a class="{found.css}" href="{href}"'

    return _PLACEHOLDER.sub(swap, html)


@dataclass(frozen=True, slots=True)
class Embed:
    """An embed placeholder as written: the target, fragment, size (`300`, `300x200`) and label (alt text)."""

    target: str
    fragment: str = ""
    size: str = ""
    label: str = ""
    image: bool = False  # a Markdown image (`![alt](path)`): target is a path relative to the page


def note_embeds(html: str) -> list[str]:
    """The targets of every `![[...]]` embed placeholder in a rendered body."""
    return [unquote(m.group(2)) for m in _EMBED.finditer(html)] if "kbref:e:" in html else []


def fill_embeds(html: str, lookup: Callable[[Embed], str]) -> str:
    """Replace every embed placeholder (and local image src) with the HTML lookup(Embed) returns."""

    def swap_embed(m: re.Match) -> str:
        return lookup(Embed(unquote(m.group(2)), unquote(m.group(3)), m.group(1) or "", _unescape(m.group(4))))

    def swap_image(m: re.Match) -> str:
        attrs = m.group(1) + m.group(3)
        alt = re.search(r'alt="([^"]*)"', attrs)
        return lookup(Embed(unquote(m.group(2)), label=_unescape(alt.group(1)) if alt else "", image=True))

    if "kbref:" not in html:
        return html
    return _IMAGE.sub(swap_image, _EMBED.sub(swap_embed, html))


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
