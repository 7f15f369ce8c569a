"""Diagnostic values: what a stage found wrong, and their text and JSON forms."""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
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
    def encode(rows: list[tuple]) -> dict:
        """The manifest's fields for these rows (read back by DiagnosticRows.read())."""
        return {"diagnostics": json.dumps(rows, separators=(",", ":")), "diagnostic_count": len(rows),
                "errors": sum(1 for row in rows if row[1] == "error")}

    @classmethod
    def read(cls, manifest: dict) -> "DiagnosticRows | None":
        """The rows a manifest holds; None when it holds them in another form (an older version's)."""
        text, count, errors = (manifest.get(k) for k in ("diagnostics", "diagnostic_count", "errors"))
        if not isinstance(text, str) or not isinstance(count, int) or not isinstance(errors, int) or not text.startswith("["):
            return None
        return cls(text, count, errors)


def error_count(diagnostics: Sequence[Diagnostic]) -> int:
    """How many of `diagnostics` are errors (of DiagnosticRows, without making them)."""
    if isinstance(diagnostics, DiagnosticRows):
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
