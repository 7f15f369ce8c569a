"""Parsing many files on every core: a process pool when it pays, in-process otherwise."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator

from generator.config import Config
from generator.sources import SourceFile

MIN_PARALLEL = 64  # fewer files than this parse faster in-process than a pool starts
CHUNK = 32

_worker_config: Config | None = None
_worker_md = None


def worker_count() -> int:
    """Usable cores (KBWIKI_JOBS overrides; 1 means no pool)."""
    wanted = os.environ.get("KBWIKI_JOBS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _init(config: Config) -> None:
    global _worker_config, _worker_md
    from generator.markdown import make_markdown
    _worker_config, _worker_md = config, make_markdown()


def _parse_chunk(chunk: list[SourceFile]) -> list:
    from generator.site import parse_source
    return [parse_source(source, _worker_config, _worker_md) for source in chunk]


def parse_many(sources: list[SourceFile], config: Config, progress: Callable[[int], None] | None = None) -> Iterator[tuple]:
    """parse_source() over every file, in order; progress(n) after each n files."""
    from generator.markdown import make_markdown
    from generator.site import parse_source

    workers = worker_count()
    if workers == 1 or len(sources) < MIN_PARALLEL:
        md = make_markdown()
        for source in sources:
            yield parse_source(source, config, md)
            if progress:
                progress(1)
        return
    # fork is fastest; with other threads running (serve's watcher) forkserver is the safe choice.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    chunks = [sources[i:i + CHUNK] for i in range(0, len(sources), CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                             initializer=_init, initargs=(config,)) as pool:
        for results in pool.map(_parse_chunk, chunks):
            yield from results
            if progress:
                progress(len(results))
