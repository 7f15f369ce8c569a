"""Diagnostic values: what a stage found wrong, and their text and JSON forms."""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from generator.records import compact_pickle

Level = Literal["error", "warning"]

# Every code a diagnostic can have (docs/check.md lists each, with its level and what to do about it).
CODES = frozenset({
    "ambiguous-link", "bad-math", "binary-file", "broken-link", "broken-symlink", "dead-end", "duplicate-alias",
    "duplicate-id", "duplicate-slug", "field-type", "front-matter-not-mapping", "front-matter-unclosed",
    "front-matter-yaml", "merge-conflict", "missing-attachment", "no-content", "no-summary", "not-in-index",
    "not-utf8", "orphan", "page-failed", "page-too-deep", "page-too-large", "reserved-folder", "schema", "stale",
    "symlink-loop", "too-large", "uncited", "unlinked-mention", "unreadable", "unsafe-html", "unsafe-url", "unwritable",
})


@compact_pickle
@dataclass(slots=True, unsafe_hash=True)
class Diagnostic:
    """One problem in one file (line and column are 1-based; 0 when unknown).

    A value like the frozen records elsewhere, never changed once made (dataclasses.replace() makes a
    changed copy), but not declared frozen: a frozen dataclass takes six times as long to construct, and
    the build state and the manifest of a 32,000-page wiki hold 100,000 of them."""

    src_path: str
    level: Level
    code: str
    message: str
    line: int = 0
    column: int = 0
    hint: str = ""
    # What the finding is about, for summaries: the name an unlinked mention found (normalised), the target a
    # broken link names. Not shown; "" when there is nothing to count.
    subject: str = ""

    def location(self) -> str:
        """`file:line:column`, leaving out what is unknown."""
        where = self.src_path or "<wiki>"
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return where

    def text(self) -> str:
        """The one-line form: `people/ada.md:12:5: error: message. hint`."""
        tail = f" {self.hint}" if self.hint else ""
        return f"{self.location()}: {self.level}: {self.message}{tail}"

    def as_fields(self) -> dict:
        """The fields by name: Diagnostic(**d.as_fields()) is d again."""
        return {"src_path": self.src_path, "level": self.level, "code": self.code, "message": self.message,
                "line": self.line, "column": self.column, "hint": self.hint, "subject": self.subject}

    def as_row(self) -> tuple:
        """The fields in order, as the manifest and the build state keep them: Diagnostic(*d.as_row()) is d again."""
        return _row(self)

    def as_json(self) -> dict:
        """The JSON form (schema in docs/check.md)."""
        return {
            "file": self.src_path,
            "line": self.line,
            "column": self.column,
            "level": self.level,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "subject": self.subject,
        }


_row = operator.attrgetter("src_path", "level", "code", "message", "line", "column", "hint", "subject")


class DiagnosticRows(Sequence):
    """Diagnostics as the manifest keeps them, the JSON text of a list of rows (as_row() each), made into
    Diagnostic values only when asked for: a no-change build of a 32,000-page wiki reports the count and the
    first few of its 100,000 without decoding them all (parsing them and making every one took ~0.4 s of a
    ~1.5 s build; a JSON string is scanned ~7 times faster than the structure it holds)."""

    __slots__ = ("text", "count", "errors", "_rows")

    def __init__(self, text: str, count: int, errors: int):
        self.text, self.count, self.errors = text, count, errors
        self._rows: list | None = None

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.count)
            if self._rows is None and step == 1 and start == 0:
                return [Diagnostic(*row) for row in self._first(stop)]
            return [Diagnostic(*row) for row in self.rows()[index]]
        return Diagnostic(*self.rows()[index])

    def rows(self) -> list:
        if self._rows is None:
            self._rows = json.loads(self.text)
        return self._rows

    def _first(self, count: int) -> list:
        """The first `count` rows, decoded one by one from the start of the text."""
        decoder, text, at, found = json.JSONDecoder(), self.text, 1, []
        while len(found) < count:
            row, at = decoder.raw_decode(text, at)
            found.append(row)
            at += 1  # the comma
        return found

    @staticmethod
    def encode(rows: "list[tuple] | DiagnosticTable") -> dict:
        """The manifest's fields for these rows, or for a table's (read back by DiagnosticRows.read())."""
        if isinstance(rows, DiagnosticTable):
            return {"diagnostics": rows.json(), "diagnostic_count": rows.count, "errors": rows.errors}
        return {"diagnostics": _ENCODER.encode(rows), "diagnostic_count": len(rows),
                "errors": sum(1 for row in rows if row[1] == "error")}

    @staticmethod
    def digest(data: bytes) -> str:
        """The name-giving hash of the UTF-8 JSON text of some rows: the same rows, the same hash."""
        return hashlib.blake2b(data, digest_size=12).hexdigest()

    @classmethod
    def read(cls, manifest: dict) -> "DiagnosticRows | None":
        """The rows a manifest holds; None when it holds them in another form (an older version's)."""
        text, count, errors = (manifest.get(k) for k in ("diagnostics", "diagnostic_count", "errors"))
        if not isinstance(text, str) or not isinstance(count, int) or not isinstance(errors, int) or not text.startswith("["):
            return None
        return cls(text, count, errors)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


class _Group:
    """One file's diagnostics in a DiagnosticTable: as values, as the JSON text of their rows, or both, each
    made from the other the first time it is asked for. Never changed once made but for that."""

    __slots__ = ("items", "text", "count", "errors")

    def __init__(self, items: list[Diagnostic] | None, text: str | None, count: int, errors: int):
        self.items, self.text, self.count, self.errors = items, text, count, errors

    @classmethod
    def of(cls, items: list[Diagnostic]) -> "_Group":
        return cls(items, None, len(items), sum(1 for d in items if d.level == "error"))

    def values(self) -> list[Diagnostic]:
        if self.items is None:
            self.items = [Diagnostic(*row) for row in json.loads(self.text)]
        return self.items

    def json(self) -> str:
        if self.text is None:
            self.text = _ENCODER.encode([_row(d) for d in self.items])
        return self.text


class DiagnosticTable(Sequence):
    """Diagnostics in sort_key() order, grouped by file, as the build state keeps them.

    Each file's group is held as Diagnostic values or as the JSON text of their rows, and made into the
    other only when asked for. An edit replaces the groups of the files it touched (replaced()); the other
    groups are shared with the table it came from, so a one-page edit of a 32,000-page wiki neither makes
    its 100,000 diagnostics into values nor encodes them again for the manifest and the state (that took
    ~0.4 s of a ~2 s rebuild). Groups shared between two tables pickle once (their text is one object)."""

    __slots__ = ("_groups", "count", "errors", "_flat", "_digest")

    def __init__(self, diagnostics: Iterable[Diagnostic] = ()):
        """The table of `diagnostics`, which come sorted by sort_key()."""
        groups: dict[str, _Group] = {}
        for src_path, items in itertools.groupby(diagnostics, key=_src_of):
            if src_path in groups:
                raise ValueError(f"diagnostics out of order: {src_path!r} twice")
            groups[src_path] = _Group.of(list(items))
        self._set(groups)

    def _set(self, groups: dict[str, _Group]) -> None:
        self._groups = groups
        self.count = sum(g.count for g in groups.values())
        self.errors = sum(g.errors for g in groups.values())
        self._flat: list[Diagnostic] | None = None
        self._digest: tuple[str, int] | None = None

    @classmethod
    def _of_groups(cls, groups: dict[str, _Group]) -> "DiagnosticTable":
        table = cls.__new__(cls)
        table._set(groups)
        return table

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Diagnostic]:
        for group in self._groups.values():
            yield from group.values()

    def __getitem__(self, index):
        if isinstance(index, slice) and self._flat is None:
            start, stop, step = index.indices(self.count)
            if start == 0 and step == 1:  # the first few, for a report: only the groups that hold them made into values
                return list(itertools.islice(self, stop))
        if self._flat is None:
            self._flat = list(self)
        return self._flat[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (DiagnosticTable, list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DiagnosticTable({list(self)!r})"

    def files(self) -> list[str]:
        """The files that have diagnostics, sorted."""
        return list(self._groups)

    def json(self) -> str:
        """The JSON text of every row (Diagnostic.as_row()), in order: the manifest's form (DiagnosticRows)."""
        return "[" + ",".join(text[1:-1] for text in (g.json() for g in self._groups.values()) if len(text) > 2) + "]"

    def digest(self) -> tuple[str, int]:
        """(DiagnosticRows.digest() of json(), its length in bytes): made once, and pickled with the table, so
        the manifest of an edit that changed no finding names its diagnostics file without encoding them."""
        if self._digest is None:
            data = self.json().encode("utf-8")
            self._digest = DiagnosticRows.digest(data), len(data)
        return self._digest

    def replaced(self, new: Iterable[Diagnostic], files: Iterable[str] = (), keep: frozenset[str] = frozenset()) -> "DiagnosticTable":
        """This table with the diagnostics of `files` dropped but those whose code is in `keep`, and `new` added.
        Only the files concerned are sorted again; every other group is shared. The table itself when that
        changes nothing (an edit that kept every finding)."""
        files = set(files)
        by_file: dict[str, list[Diagnostic]] = {}
        for d in new:
            by_file.setdefault(d.src_path, []).append(d)
        groups = self._groups
        touched = files | by_file.keys()
        if not touched:
            return self
        out = dict(groups)
        for src_path in touched:
            old = groups[src_path].values() if src_path in groups else []
            if src_path in files:
                old = [d for d in old if d.code in keep]
            items = sorted(old + by_file.get(src_path, []), key=sort_key)
            if items:
                if src_path not in groups or items != groups[src_path].values():
                    out[src_path] = _Group.of(items)
            else:
                out.pop(src_path, None)
        if out.keys() == groups.keys() and all(out[src_path] is groups[src_path] for src_path in touched if src_path in out):
            return self
        if not touched <= groups.keys():  # a file new to the table: the groups in file order again
            out = {src_path: out[src_path] for src_path in sorted(out)}
        return DiagnosticTable._of_groups(out)

    def added_since(self, before: "DiagnosticTable") -> list[Diagnostic]:
        """The diagnostics of this table that `before` does not hold, in order (added()). A group shared with
        `before` (an edit's table shares every file's but the edited ones') holds none, and is not read."""
        found = []
        for src_path, group in self._groups.items():
            old = before._groups.get(src_path)
            if old is group or (old is not None and group.text is not None and group.text == old.text):
                continue  # shared, or the same rows (both encoded already: a full rebuild's manifest encodes every group)
            known = set(old.values()) if old is not None else set()
            found += [d for d in group.values() if d not in known]
        return found

    def sharing(self, diagnostics: Iterable[Diagnostic]) -> "DiagnosticTable":
        """The table of `diagnostics` (sorted, and each one of this table's), sharing this table's group of every
        file where they are the whole group: `checked` beside the diagnostics of the same build."""
        groups: dict[str, _Group] = {}
        for src_path, items in itertools.groupby(diagnostics, key=_src_of):
            items = list(items)
            mine = self._groups.get(src_path)
            groups[src_path] = mine if mine is not None and mine.count == len(items) else _Group.of(items)
        return DiagnosticTable._of_groups(groups)

    def __reduce__(self):
        groups = self._groups.values()
        return _table, (tuple(self._groups), tuple(g.json() for g in groups), tuple(g.count for g in groups),
                        tuple(g.errors for g in groups), self._digest)


def _table(files: tuple[str, ...], texts: tuple[str, ...], counts: tuple[int, ...], errors: tuple[int, ...],
           digest: tuple[str, int] | None = None) -> DiagnosticTable:
    """A DiagnosticTable as pickled: every group as text (and its digest, when it was made)."""
    table = DiagnosticTable._of_groups({f: _Group(None, t, c, e) for f, t, c, e in zip(files, texts, counts, errors)})
    table._digest = digest
    return table


def _src_of(d: Diagnostic) -> str:
    return d.src_path


def as_table(diagnostics: Sequence[Diagnostic]) -> DiagnosticTable:
    """`diagnostics` (sorted) as a DiagnosticTable (itself when it is one)."""
    return diagnostics if isinstance(diagnostics, DiagnosticTable) else DiagnosticTable(diagnostics)


def added(now: Sequence[Diagnostic], before: Sequence[Diagnostic]) -> Sequence[Diagnostic]:
    """The diagnostics of `now` that `before` does not hold, in order: what a rebuild brought (serve shows
    only those). Between two tables, only the groups they do not share are compared; after none, `now`
    itself (a table's groups are then made into values only as far as they are read)."""
    if not before:
        return now
    if isinstance(now, DiagnosticTable) and isinstance(before, DiagnosticTable):
        return now.added_since(before)
    known = set(before)
    return [d for d in now if d not in known]


def error_count(diagnostics: Sequence[Diagnostic]) -> int:
    """How many of `diagnostics` are errors (of DiagnosticRows, without making them)."""
    if isinstance(diagnostics, (DiagnosticRows, DiagnosticTable)):
        return diagnostics.errors
    return sum(1 for d in diagnostics if d.level == "error")


def error(src_path: str, code: str, message: str, line: int = 0, column: int = 0, hint: str = "",
          subject: str = "") -> Diagnostic:
    """An error: `check` exits 1, `build --strict` fails."""
    return Diagnostic(src_path, "error", code, message, line, column, hint, subject)


def warning(src_path: str, code: str, message: str, line: int = 0, column: int = 0, hint: str = "",
            subject: str = "") -> Diagnostic:
    """A warning: reported, fatal only with --strict."""
    return Diagnostic(src_path, "warning", code, message, line, column, hint, subject)


def sort_key(d: Diagnostic) -> tuple:
    """Diagnostics sort by file, then position, then code."""
    return (d.src_path, d.line, d.column, d.code, d.message)
