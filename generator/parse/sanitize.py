"""A page body's raw HTML cut to what a note may use, as Obsidian does (nh3); kbwiki's own markup byte for byte.

nh3 (the Rust sanitizer ammonia) judges every body. It writes all it reads in its own way (`&nbsp;` for
U+00A0, `"` for `&quot;`), so its output is not what we keep: a body it would take nothing from is kept as
rendered, and a body it would is kept with only the tags and attributes at fault taken out in place
(`_repair`, html.parser) once nh3 finds that result clean. Only what nh3 cannot find clean either way is
written as nh3 rewrites it.
"""

from __future__ import annotations

import html as entities
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

from generator.parse.markdown import RESERVED_IDS, SAFE_URL_STARTS, url_is_unsafe

# What a note may use: nh3's safe defaults (formatting, tables, details/summary, kbd, sub/sup, mark, images,
# links), sections (footnotes), old presentational tags, iframes (sandboxed: SANDBOX) and <style>
# (CSS checked by css_is_unsafe). Everything else goes; these go with everything inside them.
TAGS = frozenset(nh3.ALLOWED_TAGS) | {"section", "tfoot", "font", "iframe", "style"}
_DROP_CONTENT = frozenset({"script", "style", "noscript", "template", "svg", "math", "object", "applet", "iframe"})

_EVERY_TAG = {"class", "id", "title", "style", "lang", "dir", "role", "hidden", "translate"}
_PREFIXES = ("data-", "aria-")  # data-callout, data-size (embeds) and the author's own
_ATTRIBUTES: dict[str, set[str]] = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tags, _attrs in (
    (("a",), {"href", "hreflang", "target", "rel"}),
    (("img",), {"src", "alt", "width", "height", "loading", "decoding", "align"}),
    (("iframe",), {"src", "width", "height", "allow", "allowfullscreen", "frameborder", "loading", "scrolling",
                   "allowtransparency", "marginwidth", "marginheight", "sandbox", "referrerpolicy"}),
    (("td", "th"), {"align", "valign", "width", "colspan", "rowspan", "headers", "scope"}),
    (("table",), {"width", "border"}),
    (("ol",), {"start", "reversed", "type"}),
    (("ul",), {"type"}),
    (("li",), {"value"}),
    (("details",), {"open"}),
    (("time",), {"datetime"}),
    (("data",), {"value"}),
    (("font",), {"color", "face", "size"}),
):
    for _tag in _tags:
        _ATTRIBUTES.setdefault(_tag, set()).update(_attrs)
_ATTRIBUTES.setdefault("*", set()).update(_EVERY_TAG)

# An iframe shows an http(s) page in a sandbox without forms, dialogs or the power to navigate this page,
# and is told to send no referrer (Obsidian's "Embed web pages"; players need scripts and their own origin).
SANDBOX = frozenset({"allow-scripts", "allow-same-origin", "allow-popups", "allow-presentation"})
_SANDBOX_VALUE = " ".join(sorted(SANDBOX))
_IFRAME_POWERS = frozenset({"autoplay", "fullscreen", "picture-in-picture", "encrypted-media", "accelerometer",
                            "gyroscope", "clipboard-write", "web-share"})  # `allow=`: no camera, microphone, place
_SCRIPT_GLOBALS = frozenset({"KBWIKI_SEARCH", "KBWIKI_GRAPH"})  # an element with this id would stand in for the data
_URL_ATTRS = frozenset({"href", "src", "cite"})
# Schemes a link may use (scripts' are kept out by _keeps); a scheme nobody listed is left to the page as written.
_SCHEMES = {"http", "https", "mailto", "tel", "sms", "ftp", "sftp", "ssh", "git", "irc", "ircs", "news", "magnet",
            "geo", "xmpp", "webcal", "obsidian", "zotero", "kbref", "data"}  # kbref: our placeholders; data: images
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_TAG_NAME = re.compile(r"</?([A-Za-z][^\t\n\f\r />]*)")  # every tag name a browser could read, and more
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # as browsers fold tag names
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.S)
_CSS_DANGER = ("expression(", "@import", "javascript:", "vbscript:", "behavior:", "-moz-binding")
_STYLE_TEXT = re.compile(r"<style\b[^>]*>(.*?)(?:</style|\Z)", re.S | re.I)
_IFRAME_TAG = re.compile(r"<iframe\b[^>]*>", re.I)
_TAG_START = re.compile(r"<[^\s/>]+")
_ATTRIBUTE = re.compile(r"""[\s/]*([^\s/>][^\s/=>]*)(?:\s*=+\s*(?:'[^']*'|"[^"]*"|(?!['"])[^>\s]*))?""")


@dataclass(frozen=True, slots=True)
class Removal:
    """One kind of thing taken out of a page (once per page): what to say, and text to find its line by."""

    kind: str
    message: str
    hint: str
    needles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sanitized:
    html: str
    removed: tuple[Removal, ...] = ()


def css_is_unsafe(css: str) -> bool:
    """CSS that can run script or load more CSS (`expression()`, `url(javascript:…)`, `@import`, bindings),
    however written: comments, escapes (`\\65 xpression`), spaces and case are seen through."""
    for text in (css, _CSS_COMMENT.sub("", css)):  # with and without comments: a `/*` inside a string is none
        plain = _URL_NOISE.sub("", _CSS_ESCAPE.sub(_css_unescape, text))
        if any(danger in plain.casefold() for danger in _CSS_DANGER):
            return True
    return False


def _css_unescape(m: re.Match) -> str:
    if not m.group(1):
        return m.group(2)
    code = int(m.group(1), 16)
    return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"


def _scheme(url: str) -> str:
    found = _SCHEME.match(_URL_NOISE.sub("", url).casefold())
    return found.group(1) if found else ""


def _allowed(tag: str, attr: str) -> bool:
    return attr in _ATTRIBUTES["*"] or attr in _ATTRIBUTES.get(tag, ()) or attr.startswith(_PREFIXES)


def _keeps(tag: str, attr: str, value: str) -> bool:
    """Whether an allowed attribute keeps this value (nh3's attribute filter, and _repair's)."""
    if attr in _URL_ATTRS:
        if tag == "iframe":
            return _scheme(value) in ("http", "https")
        return not url_is_unsafe(value, image=tag == "img" and attr == "src")
    if attr == "id":
        return value not in RESERVED_IDS and value not in _SCRIPT_GLOBALS
    if attr == "style":
        return not css_is_unsafe(value)
    if tag == "iframe":
        if attr == "sandbox":
            return set(value.split()) <= SANDBOX
        if attr == "referrerpolicy":
            return value == "no-referrer"
        if attr == "allow":
            return {part.split()[0] for part in value.split(";") if part.strip()} <= _IFRAME_POWERS
    return True


def _cleaner(tags: frozenset[str], keep_all: bool = False, **options) -> nh3.Cleaner:
    if keep_all:  # the same parse and writing, keeping every attribute and URL: what "nothing removed" compares to
        return nh3.Cleaner(tags=set(tags), clean_content_tags=set(), attributes={}, generic_attribute_prefixes={""},
                           url_schemes=_SCHEMES | {"javascript", "vbscript"}, link_rel=None, strip_comments=False)
    return nh3.Cleaner(tags=set(tags), clean_content_tags=set(_DROP_CONTENT - tags), attributes=_ATTRIBUTES,
                       generic_attribute_prefixes=set(_PREFIXES), url_schemes=_SCHEMES, link_rel=None,
                       attribute_filter=_filter, **options)


def _filter(tag: str, attr: str, value: str) -> str | None:
    """nh3's attribute filter: the value kept, or None. Called for every attribute of a body (~100 a page), so
    what _keeps always keeps is let through first: a class, and URLs that start as no script's URL can."""
    if attr == "class" or (attr in _URL_ATTRS and tag != "iframe" and value.startswith(SAFE_URL_STARTS)):
        return value  # (an iframe's URL has a rule of its own: _keeps)
    return value if _keeps(tag, attr, value) else None


_STRICT = _cleaner(TAGS, strip_comments=False)
_FAITHFUL = _cleaner(TAGS, keep_all=True)
_STRICTEST = _cleaner(TAGS - {"iframe", "style"}, strip_comments=True)  # the last resort: nh3 alone
_OPEN, _CLOSE = '<div class="kbwiki-wrap">', '</div><p>kbwiki-end</p>'


def tag_names(html: str) -> set[str]:
    """Every name after a `<` or `</`, folded as browsers fold tag names (ASCII only): all the tags any
    reading of `html` could see, whatever is a comment or an attribute to some parser."""
    return {name.translate(_ASCII_LOWER) for name in _TAG_NAME.findall(html)}


def _acceptable(html: str) -> bool:
    """Whether `html` may be written as it is: only allowed tags, nothing nh3 would take out, nothing left open
    (tag, quote, comment or element) to run into the page around it, CSS and iframes as _keeps wants them."""
    if not tag_names(html) <= TAGS:
        return False
    strict = _STRICT.clean(html)
    # nh3 writes a quote in text as it is, where Pygments writes `&quot;` (a quarter of pages with code): a body
    # that differs from nh3's writing only by that is nh3's own balanced output, with every tag as nh3 wrote it
    # (a `&quot;` in an attribute nh3 writes as `&quot;` too, so such a body does not compare equal here).
    if strict != html and strict != html.replace("&quot;", '"'):  # it may still be the same HTML, written another way
        if _FAITHFUL.clean(html) != strict or _FAITHFUL.clean(_OPEN + html + _CLOSE) != _OPEN + strict + _CLOSE:
            return False
    if "<style" in strict and any(css_is_unsafe(css) for css in _STYLE_TEXT.findall(strict)):
        return False
    return "<iframe" not in strict or all(_sandboxed(tag) for tag in _IFRAME_TAG.findall(strict))


def _sandboxed(tag: str) -> bool:
    """An iframe start tag, as nh3 writes it, carries our sandbox (or a stricter one) and referrer policy."""
    return ' sandbox="' in tag and ' referrerpolicy="no-referrer"' in tag


def sanitize(html: str) -> Sanitized:
    """Body HTML with what a note may not use taken out, and what was taken (once per kind)."""
    if _acceptable(html):
        return Sanitized(html)
    repaired, removed = _repair(html)
    if _acceptable(repaired):
        return Sanitized(repaired, tuple(removed.values()))
    # Left open or hidden where html.parser and browsers disagree: nh3's rewrite, balanced, then repaired again.
    rewritten, more = _repair(_STRICT.clean(html))
    removed.update((kind, r) for kind, r in more.items() if kind not in removed)
    removed["rewritten"] = Removal("rewritten", "HTML rewritten whole: it leaves a tag, quote, comment or element "
                                   "open, or closes one of the page's own", "Close what you open, and only that, to "
                                   "keep your HTML as written.", ())
    if not _acceptable(rewritten):
        rewritten = _STRICTEST.clean(html)
    return Sanitized(rewritten, tuple(removed.values()))


class _Tokens(HTMLParser):
    """What html.parser reads in a text: (offset, kind, name, attributes, tag text) for each tag, text or comment."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self._lines = [0, *(m.end() for m in re.finditer("\n", text))]
        self.tokens: list[tuple[int, str, str, list, str]] = []
        self.feed(text)
        self.close()

    def _add(self, kind: str, name: str = "", attrs: list | None = None) -> None:
        line, column = self.getpos()
        text = self.get_starttag_text() if kind in ("start", "empty") else ""
        self.tokens.append((self._lines[line - 1] + column, kind, name, attrs or [], text))

    def handle_starttag(self, tag, attrs):
        self._add("start", tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._add("empty", tag, attrs)

    def handle_endtag(self, tag):
        self._add("end", tag)

    def handle_data(self, data):
        self._add("text")

    def handle_comment(self, data):
        self._add("comment")

    def handle_decl(self, decl):
        self._add("comment")

    def handle_pi(self, data):
        self._add("comment")

    def unknown_decl(self, data):
        self._add("comment")


def _repair(html: str) -> tuple[str, dict[str, Removal]]:
    """`html` with disallowed tags (some with their content), attributes and URLs taken out in place, unsafe
    <style> elements dropped and iframes sandboxed; every other character as it was."""
    tokens = _Tokens(html).tokens
    ends = [start for start, *_ in tokens[1:]] + [len(html)]
    out: list[str] = [html[: tokens[0][0]] if tokens else html]
    removed: dict[str, Removal] = {}
    skipping, depth = "", 0
    for i, ((start, kind, name, attrs, tag), end) in enumerate(zip(tokens, ends)):
        piece = html[start:end]
        if skipping:
            depth += (kind == "start" and name == skipping) - (kind == "end" and name == skipping)
            skipping = skipping if depth else ""
        elif kind in ("start", "empty", "end") and name not in TAGS:
            _note(removed, *_tag_removal(name, piece))
            if name in _DROP_CONTENT and (kind == "start" or kind == "empty" and name not in ("svg", "math")):
                # (`<script/>` opens a script: only foreign elements close themselves)
                skipping, depth = name, 1
        elif kind == "start" and name == "style" and _style_unsafe(html, tokens, i, end):
            _note(removed, *_tag_removal("style", piece, "its CSS can run script or load more (expression(), "
                                         "url(javascript:…), @import)"))
            skipping, depth = name, 1
        elif kind in ("start", "empty"):
            out.append(_rebuilt(name, attrs, tag, removed) + piece[len(tag):])
        elif kind == "comment" and not tag_names(piece) <= TAGS:
            _note(removed, *_tag_removal(min(tag_names(piece) - TAGS), piece, "it was inside a comment"))
        else:
            out.append(piece)
    return "".join(out), removed


def _style_unsafe(html: str, tokens: list, i: int, end: int) -> bool:
    close = next((start for start, kind, name, *_ in tokens[i + 1:] if kind == "end" and name == "style"), len(html))
    css = html[end:close]
    return css_is_unsafe(css) or not tag_names(css) <= TAGS


def _rebuilt(tag: str, attrs: list, text: str, removed: dict[str, Removal]) -> str:
    """A start tag as written, less the attributes that go (and, for an iframe, plus the sandbox)."""
    keep: list[bool] = []
    seen: set[str] = set()
    for attr, value in attrs:
        keep.append(attr not in seen and _allowed(tag, attr) and _keeps(tag, attr, value or ""))
        if attr in seen:  # browsers read the first
            continue
        seen.add(attr)
        if not _allowed(tag, attr):
            _note(removed, *_attribute_removal(tag, attr, text))
        elif not keep[-1] and not (tag == "iframe" and attr in ("sandbox", "referrerpolicy")):  # replaced, not lost
            _note(removed, *_value_removal(tag, attr, value or "", text))
    added = ""
    if tag == "iframe":
        kept = {attr for (attr, _), k in zip(attrs, keep) if k}
        added = "".join(f' {a}="{v}"' for a, v in (("sandbox", _SANDBOX_VALUE), ("referrerpolicy", "no-referrer"))
                        if a not in kept)
    markup = "<" in text[1:] or ">" in text[:-1]  # inside attribute values: written again, escaped
    if all(keep) and not added and not markup:
        return text
    spans = _attribute_spans(text)
    if markup or [name for name, *_ in spans] != [attr for attr, _ in attrs]:
        return f"<{tag}" + "".join(f" {a}" if v is None else f' {a}="{_escape(v)}"'
                                   for (a, v), k in zip(attrs, keep) if k) + added + ">"
    head = _TAG_START.match(text).end()
    tail = spans[-1][2] if spans else head
    parts = (text[start:end] for (_, start, end), k in zip(spans, keep) if k)
    return text[:head] + "".join(part if part[0] in " \t\n\r\f/" else " " + part for part in parts) + added + text[tail:]


def _attribute_spans(text: str) -> list[tuple[str, int, int]]:
    """Each attribute of a start tag as (name, start, end) in its text, read as html.parser reads them; the
    caller checks the names against html.parser's before cutting by these."""
    spans, at = [], _TAG_START.match(text).end()
    while (found := _ATTRIBUTE.match(text, at)) and found.end() > at and not text.startswith(">", found.start(1)):
        spans.append((found.group(1).lower(), at, found.end()))
        at = found.end()
    return spans


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _note(removed: dict[str, Removal], kind: str, message: str, hint: str, needles: tuple[str, ...]) -> None:
    if kind not in removed:
        removed[kind] = Removal(kind, message, hint, needles)


_KEEP_RAW = "`sanitize: false` in kbwiki.yaml keeps raw HTML, for a wiki whose authors are all trusted."


def _tag_removal(name: str, piece: str, why: str = "") -> tuple:
    if name in ("script", "noscript"):
        hint = "Scripts never run in kbwiki pages. " + _KEEP_RAW
    elif name in ("svg", "math", "object", "applet", "embed", "form", "input", "button", "meta", "base", "link"):
        hint = f"<{name}> can run script, load code or send what readers type. " + _KEEP_RAW
    else:
        hint = f"Not on the allow-list (docs/reliability.md); write `<{name}>` in backticks to show it as text."
    return f"tag {name}", f"<{name}> removed" + (f": {why}" if why else ""), hint, (piece.split("\n")[0], f"<{name}")


def _attribute_removal(tag: str, attr: str, piece: str) -> tuple:
    if attr.startswith("on"):
        hint = "Event handlers run script. " + _KEEP_RAW
    else:
        hint = "Not on the allow-list (docs/reliability.md)."
    return f"attribute {attr}", f"{attr}= removed from <{tag}>", hint, (piece.split("\n")[0], attr)


def _value_removal(tag: str, attr: str, value: str, piece: str) -> tuple:
    needles = (piece.split("\n")[0], value, f"<{tag}")
    if attr in _URL_ATTRS:
        if tag == "iframe":
            return ("iframe src", "<iframe src> removed: an iframe may only show an http(s) page",
                    "Give the full https:// address of the page to embed.", needles)
        scheme = _scheme(entities.unescape(value)) or "script"
        return (f"url {scheme}", f"{scheme}: URL removed from <{tag} {attr}>",
                "javascript:, vbscript: and data: URLs can run script; link to an http(s) address or a page.", needles)
    if attr == "style":
        return ("style", f"style= removed from <{tag}>: its CSS can run script or load more", "expression(), "
                "url(javascript:…), @import and bindings are not kept; the rest of CSS is.", needles)
    if attr == "id":
        return (f"id {value}", f'id="{value}" removed from <{tag}>: the page itself uses that id',
                "Choose another id.", needles)
    return (f"value {attr}", f"{attr}= removed from <{tag}>", "allow= may name only autoplay, fullscreen, "
            "picture-in-picture, encrypted-media, accelerometer, gyroscope, clipboard-write and web-share.", needles)
