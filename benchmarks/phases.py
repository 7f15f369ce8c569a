"""Where a cold build's time goes: wall and CPU seconds of each phase (parsing, linking, rendering, the rest).

    python benchmarks/phases.py --content C --out S [--jobs N]

Runs one build without the cache (the output folder is replaced) and prints, for each phase, its wall
seconds, the CPU seconds of this process and those of the workers that ended in it (a worker's CPU is
counted when it is reaped, so a phase's workers can show up in the next line). Phases are the build's
own progress lines: "done" marks the moment the last page of a phase was counted; what follows it
(the lint after linking, the listings, indexes and writing after rendering) is the phase's tail.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.build.session import run_build
from generator.config import load_config
from generator.build.writer import check_out_dir


def cpu() -> tuple[float, float]:
    """(this process's user + system seconds, those of its reaped children)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def measure(content: Path, out: Path) -> list[tuple[str, float, float, float]]:
    """Build once (no cache; a site of kbwiki's in `out` is deleted first, any other folder refused);
    (phase, wall, own CPU, children's CPU) for each phase, in order."""
    check_out_dir(out, content)
    if out.is_dir():
        shutil.rmtree(out)
    marks = [("start", time.perf_counter(), cpu())]

    def factory(label: str, total: int):
        marks.append((label, time.perf_counter(), cpu()))
        counted = [0]

        def tick(count: int) -> None:
            counted[0] += count
            if counted[0] == total:
                marks.append((f"{label} done", time.perf_counter(), cpu()))
        return tick

    config = load_config(None, content_dir=content, out_dir=out)
    run_build(config, use_cache=False, progress=factory)
    marks.append(("end", time.perf_counter(), cpu()))
    return [(label, t2 - t1, c2[0] - c1[0], c2[1] - c1[1]) for (label, t1, c1), (_, t2, c2) in zip(marks, marks[1:])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--content", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="replaced: the build is always a cold one")
    parser.add_argument("--jobs", type=int, help="cores to use (KBWIKI_JOBS; 1: no workers)")
    args = parser.parse_args(argv)
    if args.jobs:
        os.environ["KBWIKI_JOBS"] = str(args.jobs)
    rows = measure(args.content, args.out)
    print(f"{'phase':<16} {'wall s':>8} {'CPU s':>8} {'workers s':>10}")
    for label, wall, own, kids in rows:
        print(f"{label:<16} {wall:8.2f} {own:8.2f} {kids:10.2f}")
    print(f"{'total':<16} {sum(r[1] for r in rows):8.2f} {sum(r[2] for r in rows):8.2f} {sum(r[3] for r in rows):10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
