"""`kbwiki check`: the wiki's linter. Loads, gathers and lints in memory (nothing is written) and formats the report.

The JSON form is documented in docs/check.md (schema version 1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import groupby

from generator.config import Config
from generator.diagnostics import Diagnostic
from generator.build.pipeline import analyse

SCHEMA_VERSION = 1
_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "file": "\x1b[1m", "dim": "\x1b[2m", "reset": "\x1b[0m"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What check found: how many pages it read, and every diagnostic (sorted by file, then position)."""

    pages: int
    diagnostics: list[Diagnostic]

    def errors(self, strict: bool = False) -> int:
        """Diagnostics that fail the check (with --strict, warnings count too)."""
        return sum(1 for d in self.diagnostics if strict or d.level == "error")

    def summary(self, strict: bool = False) -> dict:
        """Counts by level and by code."""
        codes: dict[str, int] = {}
        for d in self.diagnostics:
            codes[d.code] = codes.get(d.code, 0) + 1
        errors = sum(1 for d in self.diagnostics if d.level == "error")
        return {"pages": self.pages, "files": len({d.src_path for d in self.diagnostics}),
                "errors": errors, "warnings": len(self.diagnostics) - errors,
                "by_code": dict(sorted(codes.items())), "strict": strict, "ok": self.errors(strict) == 0}


def run_check(config: Config) -> CheckResult:
    """Check the content folder: read and analyse it, write nothing."""
    wiki, diagnostics = analyse(config)
    return CheckResult(len(wiki.entries), diagnostics)


def format_json(result: CheckResult, strict: bool = False) -> str:
    """The report as JSON: {"version", "summary", "diagnostics"}."""
    data = {"version": SCHEMA_VERSION, "summary": result.summary(strict),
            "diagnostics": [d.as_json() for d in result.diagnostics]}
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def format_text(result: CheckResult, colour: bool = False, strict: bool = False) -> str:
    """The report as text: a heading per file, one line per problem under it, then the counts."""
    paint = (lambda kind, text: f"{_COLOURS[kind]}{text}{_COLOURS['reset']}") if colour else (lambda kind, text: text)
    lines = []
    for src_path, items in groupby(result.diagnostics, key=lambda d: d.src_path):
        lines.append(paint("file", src_path or "<wiki>"))
        for d in items:
            where = f"{d.line}:{d.column}" if d.column else (str(d.line) if d.line else "-")
            hint = " " + paint("dim", d.hint) if d.hint else ""
            lines.append(f"  {where:<8} {paint(d.level, f'{d.level:<7}')} {d.message} [{d.code}]{hint}")
        lines.append("")
    summary = result.summary(strict)
    verdict = "ok" if summary["ok"] else "failed" + (" (--strict: warnings count)" if strict and not summary["errors"] else "")
    lines.append(f"{summary['pages']} page{'s' if summary['pages'] != 1 else ''} checked: "
                 f"{summary['errors']} error{'s' if summary['errors'] != 1 else ''}, "
                 f"{summary['warnings']} warning{'s' if summary['warnings'] != 1 else ''} in {summary['files']} "
                 f"file{'s' if summary['files'] != 1 else ''}; {verdict}")
    return "\n".join(lines) + "\n"
