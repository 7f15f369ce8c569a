"""The LLM-wiki log (`log.md`): `## [YYYY-MM-DD] op | title` entries, read from the page's headings. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.parse.markdown import Heading

LOG_SOURCE = "log.md"  # the log of an LLM wiki, at the top of the content folder
_ENTRY = re.compile(r"^\[?(\d{4}-\d{2}-\d{2})\]?\s*(?:[—–-]+\s*)?([^|]*?)\s*(?:\|\s*(.*))?$")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log entry: its date, operation (`ingest`, `query`, `lint`…), title, the heading's id, and its order in the file."""

    date: str
    op: str
    title: str
    heading_id: str
    index: int


def log_entry(heading: Heading, index: int) -> LogEntry | None:
    """A level-2 heading as a log entry, or None when it does not start with a date."""
    match = _ENTRY.match(heading.text.strip()) if heading.level == 2 else None
    if not match:
        return None
    op, title = match.group(2).strip(), (match.group(3) or "").strip()
    if not title:  # `## 2026-04-01 Title` without an operation
        op, title = "", op
    return LogEntry(match.group(1), op, title or match.group(1), heading.id, index)


def newest_first(headings: tuple[Heading, ...]) -> list[LogEntry]:
    """The log entries, newest date first. Within one day, file order when the file is written newest first,
    reversed when it is appended to (oldest first), so the latest entry leads either way."""
    entries = [e for i, h in enumerate(headings) if (e := log_entry(h, i))]
    appended = len(entries) > 1 and entries[0].date < entries[-1].date
    return sorted(entries, key=lambda e: (_reverse(e.date), -e.index if appended else e.index))


def _reverse(date: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in date.split("-"))
