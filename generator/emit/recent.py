"""special/recent-changes.html: the LLM wiki's log.md as "Recent changes", newest first, grouped by day."""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator import paths
from generator.parse.changelog import LOG_SOURCE, newest_first
from generator.emit import Output, html_output
from generator.emit.pages import fill_body
from generator.wiki.model import Wiki
from generator.paths import relative_url
from generator.emit.render import Renderer

_H2 = re.compile(r'<h2\b[^>]*\sid="([^"]*)"[^>]*>.*?</h2>\n?', re.S)


@dataclass(frozen=True, slots=True)
class Change:
    op: str
    title: str
    body: str  # HTML, rendered from log.md


def log_sections(html: str) -> dict[str, str]:
    """The body of each level-2 section of a rendered page (heading left out), by heading id.
    Our own Python-Markdown output: a top-level <h2> starts a section and the next one ends it."""
    marks = list(_H2.finditer(html))
    return {m.group(1): html[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(html)]
            for i, m in enumerate(marks)}


def recent_changes(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """The page, when the wiki has a log.md with dated entries."""
    slug = wiki.by_src.get(LOG_SOURCE)
    if slug is None:
        return []
    entry = wiki.entries[slug]
    changes = newest_first(entry.parsed.body.headings)
    if not changes:
        return []
    out = paths.RECENT_CHANGES
    sections = log_sections(fill_body(wiki, entry, out))
    days: dict[str, list[Change]] = {}
    for change in changes:
        days.setdefault(change.date, []).append(Change(change.op, change.title, sections.get(change.heading_id, "")))
    html = renderer.render("recent-changes.html", out, title="Recent changes", days=list(days.items()),
                           log_url=relative_url(out, entry.out_path), count=len(changes))
    return [html_output(out, html)]
