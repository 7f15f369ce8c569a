"""Page: one Markdown source parsed into fields. split_front_matter() and parse_page() are pure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import posixpath
import re
import sys
from dataclasses import dataclass, field

import yaml

from generator.parse import text as texts
from generator.config import Config
from generator.diagnostics import Diagnostic, error, warning
from generator.paths import SourcePath, singular
from generator.records import compact_pickle

try:  # libyaml's C loader is several times faster; fall back to pure Python.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_DATE_KEYS = ("created", "updated", "last_updated", "date")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The front matter of a page: the YAML data, and the first line of the body after it."""

    data: dict
    body_start: int  # 0-based index of the first body line in the file


def _unpickled_page(*values) -> Page:
    """A Page as pickle rebuilds it (compact_pickle), the strings many pages hold alike (the type, tags,
    front-matter keys and kinds of value) made one object each in this process (sys.intern): ~1 KB a page of
    a driver that holds every page (a pickle shares equal strings within one page only)."""
    values = list(values)
    values[_TYPE] = sys.intern(values[_TYPE])
    values[_TAGS] = tuple(map(sys.intern, values[_TAGS]))
    values[_FRONT] = tuple((sys.intern(key), sys.intern(kind), line) for key, kind, line in values[_FRONT])
    return Page(*values)


@compact_pickle(rebuild=_unpickled_page)
@dataclass(frozen=True, slots=True)
class Page:
    """One page as its author wrote it: fields from front matter (or defaults) and the Markdown body."""

    src_path: SourcePath
    title: str
    type: str
    summary: str
    body: str  # Markdown, front matter removed; line numbers kept by body_line
    body_line: int = 1  # 1-based line in the file where `body` starts
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    declared_id: str = ""
    links: tuple[str, ...] = ()  # front-matter link targets (as written)
    sources: tuple[str, ...] = ()
    created: str = ""
    updated: str = ""
    meta: dict = field(default_factory=dict, compare=False)  # every other front-matter key
    # Every front-matter key as written: (key, kind of its value, its line in the file), for the `schema` rule
    front: tuple[tuple[str, str, int], ...] = ()

    @property
    def folder(self) -> str:
        """The folder of the source file, relative to the content folder ('' at the top)."""
        return posixpath.dirname(self.src_path)

    @property
    def stem(self) -> str:
        """The file name without folder and extension."""
        return posixpath.splitext(posixpath.basename(self.src_path))[0]


_TYPE, _TAGS, _FRONT = ([f.name for f in dataclasses.fields(Page)].index(name) for name in ("type", "tags", "front"))


def is_published(page: Page) -> bool:
    """False for pages marked `publish: false` or `draft: true` (Obsidian Publish, most static site generators)."""
    return page.meta.get("publish", True) is not False and page.meta.get("draft", False) is not True


def css_classes(page: Page) -> tuple[str, ...]:
    """Obsidian's `cssclasses` (or the older `cssclass`): extra classes for the page's article, as safe tokens."""
    value = page.meta.get("cssclasses", page.meta.get("cssclass", ()))
    items = value.split() if isinstance(value, str) else value if isinstance(value, list) else ()
    return tuple(dict.fromkeys(c for c in (_CSS_TOKEN.sub("-", str(i)).strip("-") for i in items) if c))


_CSS_TOKEN = re.compile(r"[^A-Za-z0-9_-]+")


def decode_source(src_path: str, raw: bytes) -> tuple[str | None, list[Diagnostic]]:
    """Bytes of a .md file as text: UTF-8 (a BOM is dropped), CRLF/CR turned into LF."""
    if b"\x00" in raw[:8192]:
        return None, [error(src_path, "binary-file", "file is binary, not Markdown text; skipped")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error(src_path, "not-utf8", f"file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); skipped",
                            line=line, hint="Save it as UTF-8.")]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def body_lines(raw: bytes, body_line: int) -> list[str]:
    """The lines of a file's body (Page.body_line, 1-based, on) from its bytes, decoded as decode_source() decodes
    them; [] when it cannot. A title heading parse_page() blanks is here as written."""
    text, _ = decode_source("", raw)
    return [] if text is None else text.split("\n")[max(body_line, 1) - 1:]


def split_front_matter(src_path: str, text: str) -> tuple[FrontMatter, list[Diagnostic]]:
    """Find and parse a leading `---` YAML block; a broken one is reported and treated as absent."""
    return _split_lines(src_path, text.split("\n"))


def _split_lines(src_path: str, lines: list[str]) -> tuple[FrontMatter, list[Diagnostic]]:
    """split_front_matter() of a text already split into lines."""
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, 0), []
    for end in range(1, len(lines)):
        if _FENCE.match(lines[end]):
            break
    else:
        return FrontMatter({}, 0), [error(src_path, "front-matter-unclosed",
                                          "front matter is not closed: no '---' line after the opening one on line 1",
                                          line=1, hint="Add a '---' line after the front matter.")]
    yaml_lines, conflict = _ours(lines[1:end])
    conflicts = []
    if conflict:
        conflicts.append(error(src_path, "merge-conflict",
                               "front matter holds merge-conflict markers; read with the first side (<<<<<<<) only",
                               line=conflict + 1, hint="Resolve the conflict: keep one side, delete the marker lines."))
    yaml_text = "\n".join(yaml_lines)
    try:
        data = yaml.load(yaml_text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        column = mark.column + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return FrontMatter({}, end + 1), conflicts + [error(src_path, "front-matter-yaml",
                                                f"front matter is not valid YAML: {problem}; front matter ignored",
                                                line=line, column=column)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return FrontMatter({}, end + 1), [error(src_path, "front-matter-not-mapping",
                                                f"front matter is {kind}, not a mapping of keys to values; front matter ignored",
                                                line=2)]
    return FrontMatter({str(k): v for k, v in data.items()}, end + 1), conflicts


def _ours(lines: list[str]) -> tuple[list[str], int]:
    """Lines with git merge conflicts resolved to the first side; and the 1-based index of the first marker (0: none)."""
    if not any(line.startswith("<<<<<<< ") or line == "<<<<<<<" for line in lines):
        return lines, 0
    kept, side, first = [], "", 0
    for i, line in enumerate(lines, 1):
        if line.startswith("<<<<<<<"):
            side, first = "ours", first or i
        elif line.startswith("=======") and side == "ours":
            side = "theirs"
        elif line.startswith(">>>>>>>") and side:
            side = ""
        elif side != "theirs":
            kept.append(line)
    return kept, first


def parse_page(src_path: SourcePath, text: str, config: Config) -> tuple[Page, list[Diagnostic]]:
    """A Page from a file's text: front-matter fields, else the documented defaults. Its tags are the declared
    ones: the body's #tags are read from the rendered body (site.parse_source)."""
    every_line = text.split("\n")  # once: the front matter, its keys' lines and the body are read from these
    front, diagnostics = _split_lines(src_path, every_line)
    data = dict(front.data)
    lines = every_line[front.body_start:]
    fields = _Fields(src_path, data, diagnostics)

    title = fields.text("title")
    if not title:
        title = _first_h1(lines)
    h1_index = _leading_h1(lines)
    if h1_index is not None and texts.plain_text(_H1.match(lines[h1_index]).group(1)).casefold() == title.casefold():
        lines = list(lines)
        lines[h1_index] = ""  # the title is shown by the template; keep line numbers
    stem = posixpath.splitext(posixpath.basename(src_path))[0]
    title = title or stem

    page_type = fields.text(*config.type_keys)
    if not page_type:
        folder = src_path.split("/")[0] if "/" in src_path else ""
        page_type = singular(folder) if folder else "page"
    body = "\n".join(lines)
    summary = fields.text("summary", "description") or texts.first_paragraph(body)
    aliases = fields.strings("aliases", "alias", text_ok=True)
    declared_tags = [t.lstrip("#").strip() for t in fields.strings("tags", "tag")]
    tags = tuple(dict.fromkeys(t for t in declared_tags if t))  # site.parse_source() adds the body's #tags
    links = tuple(name for name in (_strip_brackets(v) for v in fields.strings(*config.link_keys)) if name)
    sources = fields.strings(*config.source_keys)
    declared_id = fields.text(*config.id_keys)
    created = fields.date("created", "date")
    updated = fields.date("updated", "last_updated") or created
    used = {"title", "summary", "description", "aliases", "alias", "tags", "tag", *config.type_keys,
            *config.link_keys, *config.source_keys, *config.id_keys, *_DATE_KEYS}
    meta = {k: _plain(v) for k, v in data.items() if k not in used}
    page = Page(src_path=src_path, title=title.strip(), type=page_type.strip().casefold(), summary=summary,
                body=body, body_line=front.body_start + 1, tags=tags, aliases=aliases, declared_id=declared_id,
                links=links, sources=sources, created=created, updated=updated, meta=meta,
                front=front_keys(every_line, front.data))
    return page, diagnostics


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T][\d:.+\-Z]*)?$")


def front_keys(text_lines: list[str], data: dict) -> tuple[tuple[str, str, int], ...]:
    """Each top-level front-matter key, the kind of its value (config.KINDS, or "null") and its 1-based line
    (0 when it cannot be found as written, e.g. a quoted key); `text_lines` is the page's text split at "\\n"."""
    if not data:
        return ()
    lines: dict[str, int] = {}
    for number, line in enumerate(itertools.islice(text_lines, 1, None), 2):
        if _FENCE.match(line):
            break
        key = line.split(":", 1)[0].rstrip()
        if ":" in line and key and not line[0].isspace() and key not in lines:
            lines[key.strip("'\"")] = number
    return tuple((str(k), value_kind(v), lines.get(str(k), 0)) for k, v in data.items())


def value_kind(value: object) -> str:
    """The kind of a front-matter value: text, number, bool, date (a date, or text like 2026-05-14), list, mapping, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (dt.date, dt.datetime)) or (isinstance(value, str) and _ISO_DATE.match(value.strip())):
        return "date"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "text"


class _Fields:
    """Reads typed fields from front-matter data, reporting values of the wrong kind."""

    def __init__(self, src_path: str, data: dict, diagnostics: list[Diagnostic]):
        self.src_path, self.data, self.diagnostics = src_path, data, diagnostics

    def _first(self, keys: tuple[str, ...]) -> tuple[str, object]:
        for key in keys:
            if key in self.data and self.data[key] is not None:
                return key, self.data[key]
        return "", None

    def text(self, *keys: str) -> str:
        key, value = self._first(keys)
        if value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip()
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        self.diagnostics.append(error(self.src_path, "field-type", f"'{key}' must be text, not {_kind(value)}; ignored"))
        return ""

    def strings(self, *keys: str, text_ok: bool = False) -> tuple[str, ...]:
        """A list of text items; with text_ok, one text value is a list of one (as Obsidian reads `aliases: Fold`)."""
        key, value = self._first(keys)
        if value is None:
            return ()
        if text_ok and isinstance(value, str):
            return (value.strip(),) if value.strip() else ()
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            self.diagnostics.append(error(self.src_path, "field-type", f"'{key}' must be a list, not text; read as a list of one",
                                          hint=f"Write it as {key}: [{value}]"))
            value = [value]
        if not isinstance(value, list):
            self.diagnostics.append(error(self.src_path, "field-type", f"'{key}' must be a list, not {_kind(value)}; ignored"))
            return ()
        out = []
        for item in value:
            if isinstance(item, list) and len(item) == 1 and isinstance(item[0], list) and len(item[0]) == 1:
                item = item[0][0]  # YAML reads an unquoted [[Target]] as a nested list
            if isinstance(item, dict):
                item = item.get("title") or item.get("url") or item.get("id") or ""
            if isinstance(item, (str, int, float, dt.date)) and not isinstance(item, bool):
                if str(item).strip():
                    out.append(str(item).strip())
            elif item is not None:
                self.diagnostics.append(error(self.src_path, "field-type", f"'{key}' holds {_kind(item)}; only text items are used"))
        return tuple(out)

    def date(self, *keys: str) -> str:
        key, value = self._first(keys)
        if value is None:
            return ""
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, str):
            return value.strip()
        self.diagnostics.append(warning(self.src_path, "field-type", f"'{key}' should be a date like 2026-05-14"))
        return str(value)


def _kind(value: object) -> str:
    return {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), f"a {type(value).__name__}")


def _leading_h1(lines: list[str]) -> int | None:
    """Index of the body's first H1 line when it is the first non-blank line."""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        return i if _H1.match(line) else None
    return None


def _first_h1(lines: list[str]) -> str:
    """The plain text of the first `# H1` outside fenced code, or ''."""
    fence = ""
    for line in lines:
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        match = _H1.match(line)
        if match:
            return texts.plain_text(match.group(1))
    return ""


def _strip_brackets(value: str) -> str:
    value = value.strip()
    if value.startswith("[[") and value.endswith("]]"):
        value = value[2:-2]
    return value.split("|", 1)[0].strip()


def _plain(value: object) -> object:
    """Front-matter values as JSON-ready data (dates become ISO text)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
