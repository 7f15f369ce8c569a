"""Backlink context: for a page's links, the sentence (or list item, table cell, heading, callout title,
footnote) of its Markdown that holds each, as plain text cut to about CONTEXT_CHARS around the link, with
the link text's span. One page alone; pure.

The rule, kept simple:
- The page's Markdown is read in blocks as Python-Markdown reads it: fenced and indented code and `$$`
  math are never used (a link there is not a link); a paragraph, list item, footnote and the text of a
  quote or callout run over their lines; a heading, a callout's title line and each table cell stand alone.
- A paragraph, footnote or quoted paragraph gives the sentence holding the link; a list item gives the item
  whole, or its sentence when the item is written longer than CONTEXT_CHARS. A sentence ends at `.`, `!`
  or `?` (closing quotes, brackets and emphasis marks kept) before a space and a character that is not a
  lower-case letter, unless the word before the `.` is a known abbreviation (e.g., Dr., …) or an initial
  (`A.`); and at `。`, `！`, `？` with no space needed. Decimals (`4.7`) have no space after the point;
  code spans, wiki links and link destinations are passed over. The sentence is found in the Markdown,
  then stripped.
- Markdown goes, text stays (parse/text.plain_text): emphasis, code's backticks, other links as their text,
  wiki links as their display text; footnote references and block ids go.
- Each distinct link target (by name) keeps the context of its first link that has one, and every
  front-matter link keeps the key listing it: what "A links here: <sentence>, and N more" needs.
"""

from __future__ import annotations

import functools
import posixpath
import re
import zlib
from dataclasses import dataclass

from generator.parse.content import Page
from generator.parse.links import LinkRef, link_end, names_a_file, normalize, strip_md, wiki_link_text
from generator.parse.text import cut_around, drop_comments, plain_text

CONTEXT_CHARS = 200  # about this many characters of context around a link

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use marks around the link text while the Markdown is stripped


@dataclass(frozen=True, slots=True)
class LinkContext:
    """Where a page links to a target: the text around the link, and the link text's span in it."""

    ref: int  # the link's index in ParsedPage.refs
    text: str  # plain text (not HTML); "" for a link in the front matter
    start: int = 0  # the link text is text[start:end]
    end: int = 0
    key: str = ""  # a front-matter link: the key that lists it ("" when not found)


_QUOTE = re.compile(r" {0,3}>[ ]?")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$")
_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(?:\[[ xX]\][ \t]+)?|$)")
_FOOTNOTE = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:[ \t]*")
_CALLOUT = re.compile(r"^\[![^\]\s]+\][+-]?[ \t]*")
_SETEXT = re.compile(r"^ {0,3}=+[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_DELIMITER = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")

_Segment = tuple[int, int, int]  # (line index, start, end) of a unit's text on one line, spaces trimmed


@dataclass(slots=True)
class _Unit:
    kind: str  # "para", "item", "footnote", "heading", "row" (of a table: split into cells when read), "cell"
    segments: list[_Segment]
    text: str = ""  # its segments joined (made when a link in it is read)
    masked: str = ""  # passed_over(text), likewise


def _quote_depth(line: str) -> tuple[int, int]:
    """How many `>` open the line, and where its text starts."""
    depth = offset = 0
    while True:
        found = _QUOTE.match(line, offset)
        if not found:
            return depth, offset
        depth, offset = depth + 1, found.end()


def _segment(index: int, line: str, start: int, end: int | None = None) -> _Segment | None:
    """line[start:end] with its spaces trimmed, as a segment (None when only spaces)."""
    text = line[start:end]
    lead = text.lstrip()
    if not lead:
        return None
    start += len(text) - len(lead)
    return index, start, start + len(lead.rstrip())


def _cells(index: int, line: str, start: int) -> list[_Segment]:
    """The cells of a table row: split at `|` outside code spans and wiki links, `\\|` kept."""
    found, cell, code, wiki, i = [], start, 0, 0, start
    while i < len(line):
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            run = len(line) - len(line[i:].lstrip("`"))
            code = 0 if code == run else (run if not code else code)
            i += run
            continue
        if not code and line.startswith("[[", i):
            wiki, i = wiki + 1, i + 2
            continue
        if not code and wiki and line.startswith("]]", i):
            wiki, i = wiki - 1, i + 2
            continue
        if char == "|" and not code and not wiki:
            found.append((cell, i))
            cell = i + 1
        i += 1
    found.append((cell, len(line)))
    return [s for s in (_segment(index, line, a, b) for a, b in found) if s]


_BLOCK_MARKS = frozenset("#-*+_>[$`~=0123456789")  # the first characters of the lines _block() reads


def _block(index: int, line: str, offset: int, rest: str, first: str, unit: _Unit | None, opens_quote: bool):
    """What a line starting with one of _BLOCK_MARKS opens: "fence", "math", "break" (a rule, an empty
    heading), "setext" (it underlines the paragraph before), a unit (heading, callout title, list item,
    footnote), or None (a paragraph's text)."""
    if first in "`~" and _FENCE.match(rest):
        return "fence"
    if first == "$" and rest.lstrip().startswith("$$"):
        return "math"
    if first in "-*_" and _RULE.match(rest):
        return "setext" if first == "-" and unit is not None and unit.kind == "para" else "break"
    if first == "=" and unit is not None and unit.kind == "para" and _SETEXT.match(rest):
        return "setext"
    if first == "#":
        heading = _HEADING.match(rest)
        if heading:
            text_end = offset + len(_CLOSING_HASHES.sub("", rest))
            found = _segment(index, line, offset + heading.end(), text_end)
            return _Unit("heading", [found]) if found else "break"
    if first == "[":
        title = _CALLOUT.match(rest) if opens_quote else None
        if title:
            found = _segment(index, line, offset + title.end())
            return _Unit("heading", [found]) if found else "break"
        footnote = _FOOTNOTE.match(rest)
        if footnote:
            found = _segment(index, line, offset + footnote.end())
            return _Unit("footnote", [found] if found else [])
    if first in "-*+0123456789":
        item = _ITEM.match(rest)
        if item:
            found = _segment(index, line, offset + item.end())
            return _Unit("item", [found] if found else [])
    return None


def units(lines: list[str], until: int | None = None) -> list[_Unit]:
    """The text blocks of a Markdown body (its lines, comments dropped) that can hold a link's context, up
    to the one holding line index `until` (default: all)."""
    until = len(lines) if until is None else until
    out: list[_Unit] = []
    unit: _Unit | None = None
    fence, math, code, table, depth = "", False, False, False, 0
    in_list = False  # in_list: an indented line after a blank one goes on a list item, not code

    def close() -> None:
        nonlocal unit
        if unit is not None:
            out.append(unit)
        unit = None

    def alone(kind: str, segments: list[_Segment]) -> None:
        nonlocal in_list
        close()
        in_list = False
        if segments:
            out.append(_Unit(kind, segments))

    def is_delimiter(at: int) -> bool:
        if at >= len(lines) or "|" not in lines[at]:
            return False
        return bool(_DELIMITER.match(lines[at][_quote_depth(lines[at])[1]:]))

    for index, line in enumerate(lines):
        if index > until and (unit is None or fence):
            break
        level, offset = _quote_depth(line) if ">" in line[:8] else (0, 0)
        rest = line[offset:] if offset else line
        lead = rest.lstrip()
        if fence:
            if lead.startswith(fence):
                fence = ""
            continue
        if math:
            math = "$$" not in rest
            continue
        opens_quote = level > depth
        if level != depth:
            close()
            table, code, depth = False, False, level
        if not lead:
            close()
            table = False
            continue
        indented = len(rest) - len(lead) >= 4 or rest.startswith("\t")
        if code or (unit is None and not in_list and indented):
            code = indented  # indented code, until a line that is not indented
            if code:
                close()
                continue
        first = lead[0]
        if first in _BLOCK_MARKS and (not indented or in_list):
            kind = _block(index, line, offset, rest, first, unit, opens_quote)
            if kind == "fence":
                close()
                fence = _FENCE.match(rest).group(1)
                continue
            if kind == "math":
                close()
                math = lead.rstrip() == "$$" or rest.count("$$") == 1
                continue
            if kind == "break":
                close()
                continue
            if kind == "setext":
                unit.kind = "heading"
                close()
                continue
            if isinstance(kind, _Unit):
                if kind.kind in ("heading",):
                    alone(kind.kind, kind.segments)
                    continue
                close()
                in_list = kind.kind == "item"
                unit = kind
                table = False
                continue
        if "|" in rest and (table or is_delimiter(index + 1)):
            close()
            table, in_list = True, False
            if not is_delimiter(index):
                out.append(_Unit("row", [(index, offset, len(line))]))  # split into cells when a link is in it
            continue
        table = False
        found = _segment(index, line, offset)
        if unit is None:
            unit = _Unit("para", [])
            in_list = in_list and indented
        if found:
            unit.segments.append(found)
    close()
    return out


_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]*_~=]*(?=\s)|[。！？]+[」』”’)）*_~=]*")
_LAST_WORD = re.compile(r"(\S+)$")
_PASSED_OVER = re.compile(r"(`+).*?\1|\[\[[^\[\]\n]*\]\]|\]\([^()\s]*\)")
ABBREVIATIONS = frozenset("e.g i.e etc vs cf mr mrs ms dr prof st jr sr no nos fig figs al approx inc ltd co corp ca "
                          "viz resp eq ref vol pp ed eds ch sec dept est jan feb mar apr jun jul aug sep sept oct nov dec".split())


def _ends_sentence(text: str, found: re.Match) -> bool:
    """Whether a `.`, `!` or `?` (and what closes after it) ends a sentence: see the module's rule."""
    if found.group()[0] in "。！？":
        return True
    after = found.end()
    while after < len(text) and text[after].isspace():
        after += 1
    if after < len(text) and text[after].islower():
        return False
    if found.group()[0] == "." and found.group().rstrip("\"'”’»)]") == ".":
        word = _LAST_WORD.search(text, max(0, found.start() - 24), found.start())
        word = word.group(1).lstrip("([\"'“‘«") if word else ""
        if word.casefold() in ABBREVIATIONS or (len(word) == 1 and word.isupper()):
            return False
    return True


def passed_over(text: str) -> str:
    """`text` with its code spans, wiki links and link destinations blanked (same length): no sentence ends there."""
    if "`" in text or "[" in text:
        return _PASSED_OVER.sub(lambda m: "\0" * len(m.group()), text)
    return text


def sentence_span(masked: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence of `masked` (passed_over()) holding [start, end), by the module's rule; a
    sentence end inside the span does not count. Only the ends nearest the span are judged."""
    before, hi = [], len(masked)
    for found in _SENTENCE_END.finditer(masked):
        stop = found.end()
        if stop <= start:
            before.append(found)
        elif stop >= end and _ends_sentence(masked, found):
            hi = stop
            break
    lo = next((found.end() for found in reversed(before) if _ends_sentence(masked, found)), 0)
    return lo, hi


def sentence(text: str, start: int, end: int) -> tuple[str, int, int]:
    """The sentence of `text` holding [start, end), and that span's place in it."""
    lo, hi = sentence_span(passed_over(text), start, end)
    while lo < start and text[lo].isspace():
        lo += 1
    return text[lo:hi].rstrip(), start - lo, end - lo


_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\]")
_BLOCK_ID = re.compile(r"\s\^[A-Za-z0-9-]+\s*$")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_ESCAPED = 0xE100  # an escaped ASCII character stands as a private-use one while the Markdown is stripped
_UNESCAPE = {_ESCAPED + n: n for n in range(128)}


def _shown(ref: LinkRef) -> str:
    """The text a link shows (the span marked in its context)."""
    if ref.syntax in ("wiki", "embed"):
        label = "" if ref.syntax == "embed" and ref.label.replace("x", "").isdigit() else ref.label
        return wiki_link_text(ref.target, ref.fragment, label)
    return ref.label or strip_md(posixpath.basename(ref.target.rstrip("/")))


def _body_context(lines: list[str], unit: _Unit, index: int, ref: LinkRef, at: tuple[int, int]) -> LinkContext | None:
    """The context of `ref` (refs[index]), which starts at `at` (line index, column) inside `unit`."""
    where = stop = -1
    length = 0
    for line_index, start, end in unit.segments:
        if line_index == at[0] and start <= at[1] < end:
            where = length + at[1] - start
            stop = length + min(link_end(lines[line_index], at[1] + 1), end) - start
            break
        length += end - start + 1
    if where < 0 or stop <= where:
        return None
    if not unit.text:
        unit.text = " ".join(lines[i][start:end] for i, start, end in unit.segments).replace(_OPEN, " ").replace(_CLOSE, " ")
    raw = unit.text
    lo, hi = 0, len(raw)
    if unit.kind in ("para", "footnote") or (unit.kind == "item" and len(raw) > CONTEXT_CHARS):
        if not unit.masked:
            unit.masked = passed_over(raw)
        lo, hi = sentence_span(unit.masked, where, stop)
    marked = raw[lo:where] + _OPEN + _shown(ref).replace(_OPEN, " ").replace(_CLOSE, " ") + _CLOSE + raw[stop:hi]
    if "[^" in marked:
        marked = _FOOTNOTE_REF.sub("", marked)
    if "^" in marked:
        marked = _BLOCK_ID.sub("", marked)
    escaped = "\\" in marked
    if escaped:  # an escaped character is text, never markup
        marked = _ESCAPE.sub(lambda m: chr(_ESCAPED + ord(m.group(1))), marked)
    text = plain_text(marked)
    if escaped:
        text = text.translate(_UNESCAPE)
    start, end = text.find(_OPEN), text.find(_CLOSE)
    if start < 0 or end < start or text.count(_OPEN) != 1 or text.count(_CLOSE) != 1:
        return None  # the mark was swallowed by markup around it (an HTML tag holding the link): no context
    text = text[:start] + text[start + 1:end] + text[end + 1:]
    text, start, end = cut_around(text, start, end - 1, CONTEXT_CHARS)
    return LinkContext(index, text, start, end)


def _front_key(page: Page, front_lines: list[str], keys: tuple[str, ...], name: str) -> str:
    """The front-matter key (one of `keys`) whose value names `name`; "" when none is found."""
    starts = sorted(line for _, _, line in page.front)
    for key, _, line in page.front:
        if key not in keys:
            continue
        later = [n for n in starts if n > line]
        block = front_lines[line - 1: (later[0] - 1) if later else len(front_lines)]
        if any(name in text for text in block):
            return key
    return ""


def link_contexts(page: Page, refs: tuple[LinkRef, ...], front_text: str = "",
                  keys: tuple[str, ...] = ()) -> tuple[LinkContext, ...]:
    """The contexts a page gives its links' targets (see the module's rule), in ref order. `front_text`: the
    page's front matter as written; `keys`: the front-matter keys that hold links and sources."""
    found: list[LinkContext] = []
    done: set[str] = set()  # target names whose first link with a context has it
    listed: set[str] = set()  # … and whose front-matter key is known
    lines: list[str] | None = None
    where: dict[int, list[tuple[int, int, _Unit]]] = {}
    for index, ref in enumerate(refs):
        if not ref.target or ref.syntax == "image" or names_a_file(ref):
            continue
        name = normalize(ref.target)
        if ref.syntax == "front-matter":
            if name not in listed:
                listed.add(name)
                found.append(LinkContext(index, "", key=_front_key(page, front_text.split("\n"), keys, ref.target)))
            continue
        if name in done or ref.line <= 0:
            continue
        if lines is None:
            lines = drop_comments(page.body).split("\n")
            last = max(r.line for r in refs) - page.body_line
            for unit in units(lines, last):
                for line_index, start, end in unit.segments:
                    where.setdefault(line_index, []).append((start, end, unit))
        at = (ref.line - page.body_line, ref.column - 1)
        unit = next((u for start, end, u in where.get(at[0], ()) if start <= at[1] < end), None)
        if unit is not None and unit.kind == "row":
            line_index, start, _ = unit.segments[0]
            unit = next((_Unit("cell", [c]) for c in _cells(line_index, lines[line_index], start) if c[1] <= at[1] < c[2]), None)
        context = _body_context(lines, unit, index, ref, at) if unit is not None else None
        if context is not None:
            done.add(name)
            found.append(context)
    return tuple(found)


def pack_contexts(contexts: tuple[LinkContext, ...]) -> bytes:
    """A page's contexts as ParsedPage keeps them: one zlib-compressed UTF-8 text, a line each (b"" for none).
    A wiki of 10,000 pages with many links holds some 160,000 sentences: as objects they would cost the
    build ~45 MB, packed ~10 MB (~20 MB uncompressed, which the largest process of a 10,000-page build
    felt: +30 MB)."""
    if not contexts:
        return b""
    lines = "\n".join(f"{c.ref}\t{c.start}\t{c.end}\t{' '.join(c.key.split())}\t{c.text}" for c in contexts)
    return zlib.compress(lines.encode("utf-8"))


@functools.lru_cache(maxsize=1024)
def _unpacked(packed: bytes) -> bytes:
    """A page's packed contexts as UTF-8, a line each after a newline (remembered: a page's contexts are read for
    each page it links to). Searched as bytes, so that only the line asked for is decoded."""
    return b"\n" + zlib.decompress(packed)


def readable(packed: bytes) -> bytes:
    """A page's packed contexts in the form a build renders from (model.lean()): uncompressed, each line after a
    newline, so never mistaken for a zlib stream (whose first byte is 0x78). context_of() and unpack_contexts()
    take either form. A page's contexts are read once for each page it links to and again for its links-here/
    list: decompressing them each time was ~5 s of CPU at 10,000 pages, for ~10 MB more held uncompressed."""
    return _unpacked(packed) if packed[:1] not in (b"", b"\n") else packed


def context_of(packed: bytes, ref: int) -> LinkContext | None:
    """The context of link `ref` among a page's packed (or readable()) contexts (None: it has none), reading its
    line alone. A backlink card needs one context of a page that may hold hundreds: making them all into values
    for each card was most of the time a build spent on backlinks (~10 s of CPU at 10,000 pages)."""
    if not packed:
        return None
    data = packed if packed[:1] == b"\n" else _unpacked(packed)
    at = data.find(b"\n%d\t" % ref) + 1  # a context's text holds no newline: a line starts only after one
    if at == 0:
        return None
    end = data.find(b"\n", at)
    _, start, stop, key, body = data[at:end if end >= 0 else len(data)].decode("utf-8").split("\t", 4)
    return LinkContext(ref, body, int(start), int(stop), key)


def unpack_contexts(packed: bytes) -> tuple[LinkContext, ...]:
    """pack_contexts() undone."""
    if not packed:
        return ()
    found = []
    for line in readable(packed)[1:].decode("utf-8").split("\n"):
        ref, start, end, key, text = line.split("\t", 4)
        found.append(LinkContext(int(ref), text, int(start), int(end), key))
    return tuple(found)
