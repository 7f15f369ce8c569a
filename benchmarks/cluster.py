"""A cold build on this machine's pool against the same build sent to a Dask LocalCluster on the same machine: what
going through the scheduler costs (issue 20). Rewrites its section of docs/benchmarks.md.

    python benchmarks/cluster.py                       # 10k pages, 2 workers of 1 thread, median of 3
    python benchmarks/cluster.py --pages 300 --repeat 1 --no-doc   # a quick check that it works

Each run: the output and cache folders deleted, then `kbwiki build` (local pool, every core), then a fresh
LocalCluster (processes, --workers workers of 1 thread; started before the clock starts) and
`kbwiki build --cluster ADDRESS` of the same corpus. The two sites are compared byte for byte. The driver's wall
time, CPU and memory come from benchmarks/measure.py; the workers' and the scheduler's CPU and peak RSS from
getrusage in those processes (each cluster is fresh, so the peak is this build's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import os
import resource
import shlex
import shutil
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import corpus as corpus_mod
from benchmarks import measure

START = "<!-- cluster: rewritten by benchmarks/cluster.py -->"
END = "<!-- /cluster -->"
RESULTS_MARKER = "<!-- Everything below is rewritten by benchmarks/run.py; edit the usage above it. -->"


def usage() -> tuple[float, int]:
    """(user + system seconds, peak RSS in bytes) of the process this runs in: run on each worker and the scheduler."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime, own.ru_maxrss * 1024


def digest(folder: Path) -> str:
    """One hash of every file's path and bytes under `folder`."""
    found = hashlib.blake2b(digest_size=16)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            found.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return found.hexdigest()


def build(content: Path, out: Path, log: Path, extra: list[str], timeout: float) -> measure.Run:
    """One cold `kbwiki build` (its output and cache folders deleted first), measured."""
    cache = out.with_name(out.name + "-cache")
    for folder in (out, cache):
        shutil.rmtree(folder, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("KBWIKI_JOBS", "KBWIKI_CLUSTER")}
    env["PYTHONPATH"] = str(REPO)
    cmd = [sys.executable, "-m", "generator", "build", "--content", str(content), "--out", str(out), "--cache-dir", str(cache),
           *extra]
    run = measure.run_command(cmd, log, cwd=out.parent, timeout=timeout, env=env)
    if not run.ok:
        raise SystemExit(f"build failed ({run.problem()}); see {log}")
    return run


def cluster_build(content: Path, out: Path, log: Path, workers: int, timeout: float) -> tuple[measure.Run, float, int, float]:
    """The build on a fresh LocalCluster: (the driver's run, the workers' CPU seconds, their largest peak RSS, the
    scheduler's CPU seconds)."""
    import distributed
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(workers)
        before = client.run(usage)
        scheduler_before = client.run_on_scheduler(usage)[0]
        run = build(content, out, log, ["--cluster", cluster.scheduler_address], timeout)
        after = client.run(usage)
        scheduler_cpu = client.run_on_scheduler(usage)[0] - scheduler_before
    cpu = sum(after[w][0] - before[w][0] for w in after)
    return run, cpu, max(rss for _, rss in after.values()), scheduler_cpu


def mb(value: float) -> str:
    return f"{value / 1e6:,.0f}"


def section(rows: dict[str, list], pages: int, seed: int, workers: int, same: bool, command: str, started: dt.datetime,
            host: dict[str, str]) -> str:
    """The doc's section: the table and what it says."""
    local, remote = rows["local"], rows["cluster"]
    wall_local = statistics.median(r.seconds for r in local)
    wall_remote = statistics.median(r[0].seconds for r in remote)
    lines = [
        START,
        "## A cold build through a Dask scheduler on this machine (issue 20)",
        "",
        f"`{command}`, {started:%Y-%m-%d %H:%M} UTC, {host['cpu']}, {host['cores']} cores, load average at the start "
        f"{host['load']}: the {pages:,}-page corpus (seed {seed}) built cold on the local pool, then through a fresh "
        f"`distributed.LocalCluster` of {workers} worker processes of 1 thread each on the same machine (started before "
        "the clock starts). Median of "
        f"{len(local)} run{'s' if len(local) != 1 else ''}; wall seconds of the `kbwiki build` command; CPU and peak RSS "
        "of the driver (the command and its children), and of the workers and the scheduler (getrusage in each).",
        "",
        "| build | wall (s) | runs (s) | driver CPU (s) | workers' CPU (s) | scheduler CPU (s) | driver: largest process RSS (MB) | driver: tree PSS (MB) | largest worker's peak RSS (MB) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| local pool (every core) | {wall_local:.1f} | {', '.join(f'{r.seconds:.1f}' for r in local)} | "
        f"{statistics.median(r.cpu_seconds for r in local):.1f} | — | — | {mb(max(r.largest_rss for r in local))} | "
        f"{mb(max(r.tree_pss for r in local))} | — |",
        f"| `--cluster`: LocalCluster, {workers} × 1 thread | {wall_remote:.1f} | {', '.join(f'{r[0].seconds:.1f}' for r in remote)} | "
        f"{statistics.median(r[0].cpu_seconds for r in remote):.1f} | {statistics.median(r[1] for r in remote):.1f} | "
        f"{statistics.median(r[3] for r in remote):.1f} | {mb(max(r[0].largest_rss for r in remote))} | "
        f"{mb(max(r[0].tree_pss for r in remote))} | {mb(max(r[2] for r in remote))} |",
        "",
        f"Going through the scheduler took {wall_remote / wall_local - 1:+.0%} of the local build's wall time on the same "
        f"cores; the sites were {'byte-identical' if same else 'NOT identical'}. This is the cost of the scheduler "
        "(every page pickled to a worker and back, the gathered wiki scattered to each worker, the scheduler's own "
        "CPU, Dask imported and connected twice), not a speed-up: the workers share the driver's cores. "
        "`kbwiki build --cluster` pays off with more machines (docs/cluster.md).",
        END,
    ]
    return "\n".join(lines)


def write_section(doc: Path, text: str) -> None:
    """Replace the section between START and END, or add it just above run.py's results."""
    current = doc.read_text(encoding="utf-8")
    if START in current and END in current:
        head, rest = current.split(START, 1)
        current = head + text + rest.split(END, 1)[1]
    elif RESULTS_MARKER in current:
        head, rest = current.split(RESULTS_MARKER, 1)
        current = head.rstrip("\n") + "\n\n" + text + "\n\n" + RESULTS_MARKER + rest
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    doc.write_text(current, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10000, help="corpus size (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes, 1 thread each (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build; the median is reported (default 3)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before one build is killed")
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "work", help="work folder (default benchmarks/work)")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md", help="the doc whose section is rewritten")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    command = "python benchmarks/cluster.py" + ("" if not sys.argv[1:] else " " + shlex.join(sys.argv[1:] if argv is None else argv))
    started, host = dt.datetime.now(dt.timezone.utc), measure.machine()
    work = (args.work / f"cluster-{args.pages}-{args.seed}").resolve()
    content = corpus_mod.write_kbwiki(corpus_mod.generate(args.pages, seed=args.seed), work / "content")
    log = work / "run.log"
    rows: dict[str, list] = {"local": [], "cluster": []}
    same = True
    for run in range(args.repeat):
        rows["local"].append(build(content, work / "local", log, [], args.timeout))
        rows["cluster"].append(cluster_build(content, work / "cluster", log, args.workers, args.timeout))
        same = same and digest(work / "local") == digest(work / "cluster")
        print(f"run {run + 1}: local {rows['local'][-1].seconds:.1f} s, cluster {rows['cluster'][-1][0].seconds:.1f} s, "
              f"same bytes: {same}", flush=True)
    text = section(rows, args.pages, args.seed, args.workers, same, command, started, host)
    print(text)
    if not args.no_doc:
        write_section(args.doc, text)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
