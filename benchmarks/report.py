"""Benchmark results as tables: the measurements, the issue's targets met or not, and docs/benchmarks.md."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

COLD, NO_CHANGE, EDIT_CLI, EDIT_SERVE, FLOOR = ("cold build", "no-change rebuild", "one-page edit (CLI)",
                                                "one-page edit (serve)", "read+write floor")
MD_FLOOR, SERVE_START, CHECK_WARM = "Markdown floor", "serve answers (site up to date)", "check after the edit"
MB = 1024 * 1024
RESULTS_MARKER = "<!-- Everything below is rewritten by benchmarks/run.py; edit the usage above it. -->"


@dataclass(slots=True)
class Result:
    """One measurement: a tool doing one thing on one corpus, over several runs (or why it has none)."""

    corpus: str  # "1k", "10k", "llm-wiki-sample"
    tool: str  # "kbwiki", "Hugo", "MkDocs", "floor"
    measure: str
    runs: list[float] = field(default_factory=list)
    peak_rss: int = 0  # bytes, the largest over the runs: the larger of largest_rss and tree_pss
    largest_rss: int = 0  # the largest single process's peak RSS, as /usr/bin/time reports it
    tree_pss: int = 0  # the process tree's summed PSS at its peak
    cpu: list[float] = field(default_factory=list)  # CPU seconds (user + system) per run, when known
    status: str = "ok"  # otherwise why there is no figure: "failed: …", "n/a (…)", "missing"

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs and self.status == "ok" else None


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}" if value < 1 else f"{value:.2f}"


def results_table(results: list[Result]) -> str:
    """The measurements as a Markdown table (it reads fine in a terminal too)."""
    rows = ["| corpus | tool | measurement | median (s) | runs (s) | CPU (s) | largest process RSS (MB) | tree PSS (MB) | status |",
            "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- |"]
    for r in results:
        runs = ", ".join(_s(x) for x in r.runs) or "—"
        cpu = _s(statistics.median(r.cpu)) if r.cpu and r.status == "ok" else "—"
        rss = f"{r.largest_rss / MB:.0f}" if r.largest_rss else "—"
        pss = f"{r.tree_pss / MB:.0f}" if r.tree_pss else "—"
        rows.append(f"| {r.corpus} | {r.tool} | {r.measure} | {_s(r.median)} | {runs} | {cpu} | {rss} | {pss} | {r.status} |")
    return "\n".join(rows)


def _find(results: list[Result], corpus: str, tool: str, measure: str) -> Result | None:
    return next((r for r in results if (r.corpus, r.tool, r.measure) == (corpus, tool, measure)), None)


def _median(results, corpus, tool, measure) -> float | None:
    found = _find(results, corpus, tool, measure)
    return found.median if found else None


FULL = "llm-wiki-full"


def targets(results: list[Result], huge_label: str | None) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for each target of issue 16 that this run could check."""
    rows: list[tuple[str, str, str]] = []

    def ratio_row(name: str, top: float | None, bottom: float | None, limit: float, at_most: bool, what: str) -> None:
        if top is None or bottom is None or bottom == 0:
            rows.append((name, "not measured in this run", "—"))
            return
        value = top / bottom
        met = value <= limit if at_most else value >= limit
        rows.append((name, f"{what} = {value:.2f}", "met" if met else "NOT met"))

    def seconds_row(name: str, found: Result | None, limit: float) -> None:
        if found is None or found.median is None:
            rows.append((name, found.status if found and found.status != "ok" else "not measured in this run", "—"))
            return
        rows.append((name, f"{_s(found.median)} s", "met" if found.median <= limit else "NOT met"))

    def memory_row(name: str, corpus: str, limit_mb: int) -> None:
        found = [r for r in results if r.corpus == corpus and r.tool == "kbwiki" and r.measure not in (EDIT_SERVE, SERVE_START)
                 and r.largest_rss]
        if not found:
            rows.append((name, "not measured in this run", "—"))
            return
        largest = max(r.largest_rss for r in found)
        pss = max(r.tree_pss for r in found)
        rows.append((name, f"{largest / MB:.0f} MB largest process (tree PSS {pss / MB:.0f} MB)",
                     "met" if largest <= limit_mb * MB else "NOT met"))

    synthetic = [r.corpus for r in results if r.tool == "kbwiki" and r.corpus.endswith("k") and r.corpus != "1k"]
    big = [c for c in dict.fromkeys(synthetic) if c in ("10k",)] + ([FULL] if any(r.corpus == FULL for r in results) else [])
    for corpus in big:
        ratio_row(f"{corpus}: cold build ≤ 1.5 × the Markdown floor", _median(results, corpus, "kbwiki", COLD),
                  _median(results, corpus, "floor", MD_FLOOR), 1.5, True, "kbwiki / Markdown floor")
    ratio_row("1k: cold build ≥ 10 × faster than MkDocs", _median(results, "1k", "MkDocs", COLD),
              _median(results, "1k", "kbwiki", COLD), 10, False, "MkDocs / kbwiki")
    for corpus in ("1k", "10k"):
        ratio_row(f"{corpus}: kbwiki against Hugo (reported)", _median(results, corpus, "kbwiki", COLD),
                  _median(results, corpus, "Hugo", COLD), float("inf"), True, "kbwiki / Hugo")
        rows[-1] = (*rows[-1][:2], "—")
    memory_row("10k: largest process ≤ 600 MB", "10k", 600)
    memory_row(f"{FULL}: largest process ≤ 1.2 GB", FULL, 1200)
    for corpus in big:
        seconds_row(f"{corpus}: one-page body edit (CLI) ≤ 2 s", _find(results, corpus, "kbwiki", EDIT_CLI), 2.0)
        seconds_row(f"{corpus}: no-change build ≤ 1 s", _find(results, corpus, "kbwiki", NO_CHANGE), 1.0)
        seconds_row(f"{corpus}: `kbwiki serve` answers ≤ 3 s (site up to date)", _find(results, corpus, "kbwiki", SERVE_START), 3.0)
        seconds_row(f"{corpus}: an edit visible in serve ≤ 0.3 s", _find(results, corpus, "kbwiki", EDIT_SERVE), 0.3)
        cold = _median(results, corpus, "kbwiki", COLD)
        ratio_row(f"{corpus} (issue 19): check after a one-page edit ≤ 5% of a cold build",
                  _median(results, corpus, "kbwiki", CHECK_WARM), cold, 0.05, True, "check / cold")
    if huge_label is None:
        rows.append(("100k pages ≤ 8 minutes and ≤ 3 GB", "not measured (run with --huge)", "—"))
    else:
        huge = _find(results, huge_label, "kbwiki", COLD)
        if huge is None or huge.median is None:
            rows.append(("100k pages ≤ 8 minutes and ≤ 3 GB", huge.status if huge else "not run", "NOT met"))
        else:
            met = huge.median <= 480 and huge.peak_rss <= 3 * 1024 * MB
            rows.append(("100k pages ≤ 8 minutes and ≤ 3 GB", f"{_s(huge.median)} s, {huge.largest_rss / MB:.0f} MB largest "
                         f"process, tree PSS {huge.tree_pss / MB:.0f} MB", "met" if met else "NOT met"))
    return rows


def targets_table(rows: list[tuple[str, str, str]]) -> str:
    return "\n".join(["| target (issue 16) | measured | verdict |", "| --- | --- | --- |"]
                     + [f"| {a} | {b} | {c} |" for a, b, c in rows])


def key_value_table(title: str, items: dict[str, str]) -> str:
    return "\n".join([f"| {title} | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in items.items()])


DEFAULT_USAGE = """# Benchmarks

How fast kbwiki builds a wiki, next to Hugo and MkDocs building the same pages, and next to the
floor (reading every source file and writing as many files of the same size).

## Usage

```bash
pip install mkdocs                       # optional: MkDocs is measured when it is installed
python benchmarks/run.py                 # 1k and 10k pages, median of 3; rewrites docs/benchmarks.md
python benchmarks/run.py --large         # also 50k pages
python benchmarks/run.py --huge          # also 100k pages (one cold build, just to see it finish)
python benchmarks/run.py --mkdocs-10k    # also MkDocs at 10k pages (slow)
python benchmarks/run.py --sizes 1000,10000:1 --sample-repeat 1   # 10k and the vault once each (busy machine)
python benchmarks/run.py --sizes 1000 --repeat 1 --no-sample --no-doc   # a quick look, docs untouched
python benchmarks/corpus.py --pages 10000 --out /tmp/wiki --format all   # just the corpus
```

Other options: `--sizes N[:RUNS],...` (page counts, each with its own number of runs),
`--repeat R` (runs per measurement, default 3; the median is reported), `--seed N` (corpus seed,
default 1), `--work DIR` (work folder, default `benchmarks/work/`, gitignored; `--keep` keeps the
corpora), `--sample DIR` (the real vault, default `../shared/corpora/llm-wiki-sample`;
`--no-sample` skips it; `--sample-repeat R`), `--kbwiki-cache-dir DIR` (deleted before every
cold build; default `<content parent>/.kbwiki-cache`; when `kbwiki build` has a `--cache-dir`
option the runner passes a folder of its own instead), `--repo DIR` (measure another kbwiki
checkout), `--timeout S` (per command, default 3600), `--doc FILE`, `--no-doc`.

The doc is rewritten after each corpus (marked UNFINISHED until the run ends), so an interrupted
run still leaves its figures. Everything every command printed is in `benchmarks/work/run.log`.

What is measured (every figure is the wall time of one command, Python's start included):

- **cold build**: no output folder, no kbwiki cache (the OS file cache is warm);
- **no-change rebuild**: the same command again, nothing changed;
- **one-page edit (CLI)**: a sentence appended to the page in the middle of the popularity
  ranking, then the same command;
- **one-page edit (serve)**: `kbwiki serve` running; the time from writing the file until
  the page served on 127.0.0.1 shows the new sentence (only when `serve` exists);
- **peak memory**: the larger of the biggest single process's peak RSS (`wait4` on a small
  fork/exec wrapper, so the runner's own memory is not inherited; ~10 MB is the wrapper's floor)
  and the peak of the process tree's summed PSS (sampled every 0.1 s from
  `/proc/<pid>/smaps_rollup`), the highest over the runs. PSS divides each shared page among the
  processes sharing it: summed RSS would count the parent's memory again for every forked worker
  that shares it (at 10k pages that doubled the figure);
- **read+write floor** (`benchmarks/floor.py`): read every source, write each one's bytes to an
  `.html` file: no parsing or rendering;
- **Hugo** (Debian package) builds the same pages with minimal layouts, **MkDocs** (PyPI) with
  its default theme and automatic navigation (1k only unless `--mkdocs-10k`); for both, every
  `[[wiki link]]` is turned into a plain Markdown link (Hugo: `[Title](/entities/slug/)`; MkDocs:
  `[Title](../entities/slug.md)`), a dangling one pointing where the missing page would be; Hugo
  gets the wiki's `aliases` under `names` (Hugo's own `aliases` would make redirect pages);
- **llm-wiki-sample**: read in place for cold and no-change builds; the edit runs on a copy in a
  temporary folder, so nothing under `shared/` is written; output goes to a temporary folder.

The corpus (`benchmarks/corpus.py`) is deterministic: ~5 KB pages (40% entities, 60% concepts)
with front matter, sections, a list, a table, a code block and ~19 wiki links each, targets drawn
from a Zipf law (exponent 1) over a random ranking, ~2% of links dangling.

The machine is shared: figures taken while others work on it are noisy; the load average is
recorded with each run.
"""


def write_doc(path: Path, sections: list[str]) -> None:
    """Keep the usage part of the doc (above RESULTS_MARKER, or the default) and replace the rest."""
    usage = DEFAULT_USAGE
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if RESULTS_MARKER in text:
            usage = text.split(RESULTS_MARKER, 1)[0].rstrip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(usage + "\n" + RESULTS_MARKER + "\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
