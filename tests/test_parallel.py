"""parallel.py: stopping the pool workers of a build abandoned mid-way (serve quitting during its catch-up)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.conftest import ROOT
from tests.serving import wait_for

# A build parsing on a forkserver pool in a thread (as serve's catch-up does), held after its first chunk;
# the main thread then ends the process the way `kbwiki serve` does when Ctrl-C comes during it.
ABANDON = textwrap.dedent("""
    import multiprocessing, os, sys, threading
    from pathlib import Path
    from generator.build import parallel
    from generator.config import Config
    from generator.parse.sources import SourceFile

    sources = [SourceFile(f"p{i}.md", f"# Page {i}\\n\\nText of page {i}.\\n".encode())
               for i in range(4 * parallel.MIN_PARALLEL)]
    first_chunk, never = threading.Event(), threading.Event()

    def held(count):
        first_chunk.set()
        never.wait()

    def parse():
        try:
            for _ in parallel.parse_many(sources, Config(content_dir=Path("."), out_dir=Path("site")), held):
                pass
        except BaseException:  # its pool killed under it as the process ends (a race on a busy machine): not what is tested
            pass
    threading.Thread(target=parse, daemon=True).start()
    first_chunk.wait(60)
    print(" ".join(str(child.pid) for child in multiprocessing.active_children()), flush=True)
    parallel.stop_workers()
    os._exit(0)
""")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_workers_leaves_no_worker_and_no_leaked_semaphore(tmp_path):
    done = subprocess.run([sys.executable, "-c", ABANDON], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), KBWIKI_JOBS="2"))
    assert done.returncode == 0, done.stderr
    workers = [int(pid) for pid in done.stdout.split()]
    assert workers  # the pool was running when the process ended
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to be gone")
    assert done.stderr == ""  # no traceback, and no "leaked semaphore objects" from the resource tracker


# zip() with a list as long as the results never asks map_forked() for more once it has the last one: the
# wave's pool must be gone by then, or the next map_forked() of the build (the "did you mean" hints after
# resolving links) finds its threads running and works in this process alone. In a process of its own: the
# test process may have other threads running, and then nothing forks.
STOP_AT_LAST = textwrap.dedent("""
    import os, sys, threading
    sys.path.insert(0, sys.argv[1])
    from generator.build.parallel import can_fork, map_forked
    items = list(range(700))
    results = map_forked(lambda chunk: [(i, os.getpid()) for i in chunk], items, least=1, wave=3)
    got = [found for _, found in zip(items, results)]
    assert [i for i, _ in got] == items
    assert {pid for _, pid in got} - {os.getpid()}, "nothing was forked"
    assert threading.active_count() == 1 and can_fork(len(items), least=1), threading.enumerate()
""")


def test_a_caller_that_stops_at_the_last_result_leaves_no_pool_behind():
    from generator.build.parallel import worker_count
    if worker_count() < 2:
        import pytest
        pytest.skip("one core: nothing is forked")
    done = subprocess.run([sys.executable, "-c", STOP_AT_LAST, str(ROOT)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
