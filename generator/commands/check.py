"""`kbwiki check`: the wiki's linter. Loads (through the build's parse cache), gathers and lints in memory, and
formats the report: a summary to act on first, then the findings by file. Writes nothing but its cache folder.

The JSON form is documented in docs/check.md (schema version 1).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from generator.build.cache import ParseCache, default_cache_dir
from generator.build.pipeline import analyse, page_texts, parse_all
from generator.build.session import check_from_state
from generator.config import Config
from generator.diagnostics import Diagnostic
from generator.parse.sources import read_pages
from generator.wiki.lint import left_out_names, mention_index
from generator.wiki.model import Wiki

SCHEMA_VERSION = 1
TOP = 10  # entries in each ranked list of the summary
_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "file": "\x1b[1m", "dim": "\x1b[2m", "reset": "\x1b[0m"}


@dataclass(frozen=True, slots=True)
class Ranked:
    """One line of a ranked list: what (a file, a missing page's name, a mentioned name), how many, and a
    detail (the page a name goes to; a file's counts by code)."""

    name: str
    count: int
    detail: str = ""
    file: str = ""
    codes: tuple[tuple[str, int], ...] = ()  # a file's counts by code, by code


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What check found: how many pages it read, every diagnostic (sorted by file, then position), and the
    summary's ranked lists."""

    pages: int
    diagnostics: list[Diagnostic]
    wanted: list[Ranked] = field(default_factory=list)  # missing pages, by how many pages link to them
    names: list[Ranked] = field(default_factory=list)  # names mentioned without a link, by pages
    opportunities: list[Ranked] = field(default_factory=list)  # pages mentioned without a link, by pages
    left_out: list[Ranked] = field(default_factory=list)  # names too common to report, by pages

    def errors(self, strict: bool = False) -> int:
        """Diagnostics that fail the check (with --strict, warnings count too)."""
        return sum(1 for d in self.diagnostics if strict or d.level == "error")

    def top_files(self, limit: int = TOP) -> list[Ranked]:
        """The files with the most diagnostics (then by path), each with its counts by code."""
        by_file: dict[str, Counter] = {}
        for d in self.diagnostics:
            by_file.setdefault(d.src_path, Counter())[d.code] += 1
        ranked = sorted(by_file.items(), key=lambda item: (-sum(item[1].values()), item[0]))[:limit]
        return [Ranked(src or "<wiki>", sum(codes.values()), ", ".join(f"{c} {n}" for c, n in sorted(codes.items())), src,
                       tuple(sorted(codes.items()))) for src, codes in ranked]

    def summary(self, strict: bool = False) -> dict:
        """Counts by level and by code, and the ranked lists."""
        codes: dict[str, int] = {}
        levels: dict[str, dict[str, int]] = {"error": {}, "warning": {}}
        for d in self.diagnostics:
            codes[d.code] = codes.get(d.code, 0) + 1
            levels[d.level][d.code] = levels[d.level].get(d.code, 0) + 1
        errors = sum(1 for d in self.diagnostics if d.level == "error")
        return {"pages": self.pages, "files": len({d.src_path for d in self.diagnostics}),
                "errors": errors, "warnings": len(self.diagnostics) - errors,
                "by_code": dict(sorted(codes.items())),
                "by_level": {level: dict(sorted(found.items())) for level, found in levels.items()},
                "top_files": [{"file": r.file, "count": r.count, "by_code": dict(r.codes)} for r in self.top_files()],
                "wanted": [{"target": r.name, "pages": r.count} for r in self.wanted],
                "unlinked_names": [{"name": r.name, "pages": r.count, "page": r.file} for r in self.names],
                "link_opportunities": [{"file": r.file, "title": r.name, "pages": r.count} for r in self.opportunities],
                "left_out_names": [{"name": r.name, "pages": r.count} for r in self.left_out],
                "strict": strict, "ok": self.errors(strict) == 0}


def run_check(config: Config, cache_dir: Path | None = None, use_cache: bool = True) -> CheckResult:
    """Check the content folder: from the state the last `kbwiki build` into config.out_dir saved when it can
    answer (build/session.check_from_state: the edited pages parsed and linted again), else read every page,
    parse what the parse cache (shared with `kbwiki build`) lacks, and analyse; write nothing outside the
    cache folder."""
    cache_dir = cache_dir or default_cache_dir(config)
    if use_cache:
        found = check_from_state(config, cache_dir)
        if found is not None:
            wiki, diagnostics = found
            return CheckResult(len(wiki.entries), diagnostics, *rankings(wiki, diagnostics, config))
    sources, problems = read_pages(config.content_dir)
    cache = ParseCache(cache_dir) if use_cache else None
    try:
        parsed, parse_problems = parse_all(config, sources, cache if cache and cache.enabled else None)
    finally:
        if cache:
            cache.close()
    texts = page_texts(sources)
    del sources
    wiki, diagnostics = analyse(config, parsed, problems + parse_problems, texts=texts)
    return CheckResult(len(wiki.entries), diagnostics, *rankings(wiki, diagnostics, config))


def rankings(wiki: Wiki, diagnostics: list[Diagnostic], config: Config,
             limit: int = TOP) -> tuple[list[Ranked], list[Ranked], list[Ranked], list[Ranked]]:
    """The summary's lists: most-wanted missing pages, names and pages most often mentioned without a link,
    and the names left out as too common."""
    wanted = []
    if config.lint.wants("broken-link"):
        wanted = [Ranked(w.target, len({r.src_path for r in w.refs})) for w in wiki.wanted if not w.file]
    mentions = Counter(d.subject for d in diagnostics if d.code == "unlinked-mention" and d.subject)
    names_to = mention_index(wiki)[0] if mentions else {}
    names, pages = [], Counter()
    for name, count in mentions.items():
        target = wiki.entries[names_to[name]].page
        names.append(Ranked(name, count, target.title, target.src_path))
        pages[target.src_path, target.title] += count
    opportunities = [Ranked(title, count, file=src) for (src, title), count in pages.items()]
    left_out = [Ranked(name, count) for name, count in left_out_names(wiki, config.lint.mention_max_share).items()]
    return tuple(sorted(found, key=lambda r: (-r.count, r.name, r.file))[:limit]  # type: ignore[return-value]
                 for found in (wanted, names, opportunities, left_out))


def format_json(result: CheckResult, strict: bool = False) -> str:
    """The report as JSON: {"version", "summary", "diagnostics"} with every diagnostic."""
    data = {"version": SCHEMA_VERSION, "summary": result.summary(strict),
            "diagnostics": [d.as_json() for d in result.diagnostics]}
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def format_text(result: CheckResult, colour: bool = False, strict: bool = False, per_code: int = 0) -> str:
    """The report as text: the summary (counts by level and code, then the ranked lists), the findings by
    file (at most `per_code` of each code; 0: all), then the counts again."""
    paint = (lambda kind, text: f"{_COLOURS[kind]}{text}{_COLOURS['reset']}") if colour else (lambda kind, text: text)
    summary = result.summary(strict)
    lines = _summary_lines(result, summary, paint)
    shown: Counter = Counter()
    hidden: Counter = Counter()
    body = []
    for src_path, items in groupby(result.diagnostics, key=lambda d: d.src_path):
        block = []
        for d in items:
            if per_code and shown[d.code] >= per_code:
                hidden[d.code] += 1
                continue
            shown[d.code] += 1
            where = f"{d.line}:{d.column}" if d.column else (str(d.line) if d.line else "-")
            hint = " " + paint("dim", d.hint) if d.hint else ""
            block.append(f"  {where:<8} {paint(d.level, f'{d.level:<7}')} {d.message} [{d.code}]{hint}")
        if block:
            body += [paint("file", src_path or "<wiki>"), *block, ""]
    if body:
        cap = f" (at most {per_code} of each code; --verbose shows all)" if per_code and hidden else ""
        lines += [f"Findings by file{cap}:", "", *body]
    if hidden:
        more = ", ".join(f"{code} {n:,}" for code, n in sorted(hidden.items(), key=lambda item: (-item[1], item[0])))
        lines += [f"… and {sum(hidden.values()):,} more not shown: {more} (--verbose, --select CODE or --format json)", ""]
    lines.append(_verdict(summary, strict))
    return "\n".join(lines) + "\n"


def _verdict(summary: dict, strict: bool) -> str:
    verdict = "ok" if summary["ok"] else "failed" + (" (--strict: warnings count)" if strict and not summary["errors"] else "")
    return (f"{summary['pages']} page{'s' if summary['pages'] != 1 else ''} checked: "
            f"{summary['errors']} error{'s' if summary['errors'] != 1 else ''}, "
            f"{summary['warnings']} warning{'s' if summary['warnings'] != 1 else ''} in {summary['files']} "
            f"file{'s' if summary['files'] != 1 else ''}; {verdict}")


def _summary_lines(result: CheckResult, summary: dict, paint) -> list[str]:
    """The report's head: nothing for a clean wiki, else counts by level and code and the ranked lists."""
    if not result.diagnostics:
        return []
    lines = ["Summary: " + _verdict(summary, summary["strict"]), "  by code:"]
    for level in ("error", "warning"):
        for code, count in sorted(summary["by_level"][level].items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"    {paint(level, f'{level:<7}')}  {code:<26} {count:>8,}")

    def ranked(title: str, items: list[Ranked], show) -> None:
        if items:
            lines.append(f"  {title}:")
            lines.extend(f"    {r.count:>8,}  {show(r)}" for r in items)

    ranked("files with the most findings", result.top_files(), lambda r: f"{r.name}  ({r.detail})")
    ranked("most-wanted missing pages (pages linking to each)", result.wanted, lambda r: r.name)
    ranked("names most often mentioned without a link (pages)", result.names,
           lambda r: f'"{r.name}" -> {r.detail} ({r.file})')
    ranked("link opportunities: pages most often mentioned without a link (pages)", result.opportunities,
           lambda r: f"{r.name} ({r.file})")
    if result.left_out:
        shown = ", ".join(f'"{r.name}" ({r.count:,})' for r in result.left_out)
        lines.append(f"  left out as too common (on more pages than lint.mention_max_share): {shown}")
    return lines + [""]
