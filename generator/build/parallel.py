"""Work on every core: parsing files in a process pool, and any work over gathered pages in forked workers."""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.util
import os
import pickle
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, Mapping, Protocol

from generator.config import Config
from generator.libc import function
from generator.build.writer import place
from generator.parse.sources import SourceFile

MIN_PARALLEL = 64  # fewer files than this parse faster in-process than a pool starts
CHUNK = 32
# Chunks per set of forked workers (map_forked). Each fork costs a page fault for every page of the parent that
# the worker, or the parent itself, then writes (reference counts): fewer forks, less system time. A longer-lived
# worker holds more copied pages, so the waves bound the tree's memory, not the largest process's (the parent's).
WAVE = 192
RENDER_WAVE = 64  # rendering reads the most of the wiki (a hub's page, thousands of cards): fresh workers sooner

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
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    from generator.parse.markdown import make_markdown
    _worker_config, _worker_md = config, make_markdown()


def _parse_chunk(chunk: list[SourceFile]) -> list[bytes]:
    from generator.parse.page import parse_source
    # Pickled here: the parent keeps these bytes for the parse cache as they are (no second pickling).
    return [pickle.dumps(parse_source(source, _worker_config, _worker_md), protocol=pickle.HIGHEST_PROTOCOL)
            for source in chunk]


def parse_many(sources: list[SourceFile], config: Config, progress: Callable[[int], None] | None = None) -> Iterator[tuple]:
    """parse_source() over every file, in order, as (result, its pickled bytes or None); progress(n) after each n files."""
    from generator.parse.markdown import make_markdown
    from generator.parse.page import parse_source

    workers = worker_count()
    if workers == 1 or len(sources) < MIN_PARALLEL:
        md = make_markdown()
        for source in sources:
            yield parse_source(source, config, md), None
            if progress:
                progress(1)
        return
    # fork is fastest; with other threads running (serve's watcher) forkserver is the safe choice.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    chunks = [sources[i:i + CHUNK] for i in range(0, len(sources), CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                             initializer=_init, initargs=(config,)) as pool:
        for results in pool.map(_parse_chunk, chunks):
            for data in results:
                yield pickle.loads(data), data
            if progress:
                progress(len(results))


def stop_workers() -> None:
    """Before os._exit with a build still running in another thread (serve quitting during its catch-up): kill
    this process's pool workers (a forkserver pool's workers hold both ends of their queue, so they would wait
    for work forever) and release the named semaphores of the pools' queues, as a normal exit would first (the
    resource tracker would warn of them as leaked). A normal exit waits for the pool, or hangs on a broken one."""
    for child in multiprocessing.active_children():
        child.kill()
    multiprocessing.util._run_finalizers(0)  # private; tests/test_parallel.py fails if it goes


def settle() -> None:
    """Before forking workers that share this process's memory: freeze what lives now out of the collector's
    reach (collections would touch it, and a page touched in a worker is a page copied), and give the heap's
    free pages back to the system (glibc keeps them: at 10,000 pages the files' bytes and the parse leave
    ~60 MB of holes, which a worker allocating into would copy too)."""
    gc.freeze()
    trim = function("malloc_trim")
    if trim is not None:  # glibc only
        trim(0)

_forked_work: Callable[[list], list] | None = None  # what forked workers run on each chunk (inherited by fork)


def _run_forked(chunk: list) -> list:
    return _forked_work(chunk)


def can_fork(count: int, least: int = MIN_PARALLEL * 4) -> bool:
    """Whether work over `count` items should go to forked workers: several cores, enough items, fork
    available, and no other thread running (forking a threaded process is unsafe: serve runs in-process)."""
    return (worker_count() > 1 and count >= least and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods())


def map_forked(work: Callable[[list], list], items: list, least: int = MIN_PARALLEL * 4, wave: int = WAVE,
               chunk: int = CHUNK) -> Iterator:
    """work(chunk) over chunks of `items` (`chunk` items each) on every core; the results of all chunks, in order.

    The workers are forked, so `work` may close over the whole gathered wiki: only items and results
    are pickled. In-process when can_fork() says no.
    """
    global _forked_work
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    if not can_fork(len(items), least):
        for chunk in chunks:
            yield from work(chunk)
        return
    _forked_work = work
    try:
        # Workers live for one wave of chunks, then fresh ones are forked: a forked worker slowly copies the
        # parent's memory it reads (CPython writes reference counts), so long-lived workers would end up
        # holding a second copy of the wiki each.
        for start in range(0, len(chunks), wave):
            yield from _wave(work, chunks[start:start + wave])
    finally:
        _forked_work = None


def _wave(work: Callable[[list], list], wave: list[list]) -> Iterator:
    """The results of work(chunk) for each chunk of the wave, in order, from forked workers and this process.

    One core's worth of the work is done here, not in another worker (one copy fewer of what workers copy):
    while the next result in order is not ready, this process takes the last chunk no worker has started.
    The pool is shut down before the last chunk's results are handed out: a caller that stops asking once it
    has them all (zip() with a list as long) must not leave the pool's threads running, or every later
    map_forked() of its build would run in-process (can_fork() refuses to fork a threaded process)."""
    with ProcessPoolExecutor(max_workers=worker_count() - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_run_forked, chunk) for chunk in wave]
        done_here: dict[int, list] = {}
        found: list = []
        last = len(wave) - 1
        for i in range(len(wave)):
            if i not in done_here:
                while last > i and not futures[i].done():
                    if futures[last].cancel():  # no worker has it yet
                        done_here[last] = work(wave[last])
                    last -= 1
            found = done_here.pop(i) if i in done_here else futures[i].result()
            if i == len(wave) - 1:
                break
            yield from found
    yield from found


def render_many(renderer, slugs: list[str], previous: Mapping[str, str] | None = None, records=None,
                place_into: Path | None = None) -> Iterator:
    """Content pages planned and rendered on every core, in order: a page whose render key equals its key
    in `previous` (the site being replaced) comes as Kept, unrendered. Workers are forked so they share the
    gathered wiki and the renderer (templates compiled once) without pickling them. With `records`
    (build/state.PageRecords), each item comes as (item, records.make(wiki, slug)): what the build state
    keeps of the page, made in the same workers. With `place_into` (the writer's staging folder), each worker
    writes the pages it renders there itself (writer.place) and sends a Placed, not the page's bytes."""
    previous = previous or {}

    def work(chunk: list[str]) -> list:
        items = list(_render_in_process(renderer, chunk, previous))
        if place_into is not None:
            items = place(items, place_into)
        return items if records is None else [(item, records.make(renderer.wiki, slug)) for item, slug in zip(items, chunk)]
    return map_forked(work, slugs, wave=RENDER_WAVE)


def _render_in_process(renderer, slugs: list[str], previous: Mapping[str, str]) -> Iterator:
    from generator.emit.pages import render_page
    wiki = renderer.wiki
    for slug in slugs:
        entry = wiki.entries[slug]
        yield render_page(wiki, renderer, entry, previous.get(entry.out_path, ""))


class Engine(Protocol):
    """Where a build's parse and render work runs: LocalPool (this machine's cores) or build/cluster.py's
    ClusterEngine (a Dask cluster). Each yields what parse_many() and render_many() above yield, in order."""

    def parse_many(self, sources: list[SourceFile], config: Config,
                   progress: Callable[[int], None] | None = None) -> Iterator[tuple]: ...

    def render_many(self, renderer, slugs: list[str], previous: Mapping[str, str] | None = None,
                    records=None, place_into: Path | None = None) -> Iterator:
        """`place_into`: the staging folder, for an engine whose workers can write there (writer.place)."""

    def close(self) -> None:
        """Cancel what is still running and let go of the workers."""


class LocalPool:
    """The engine of every build not given a cluster: this machine's cores, through the functions above."""

    def parse_many(self, sources: list[SourceFile], config: Config,
                   progress: Callable[[int], None] | None = None) -> Iterator[tuple]:
        return parse_many(sources, config, progress)

    def render_many(self, renderer, slugs: list[str], previous: Mapping[str, str] | None = None, records=None,
                    place_into: Path | None = None) -> Iterator:
        return render_many(renderer, slugs, previous, records, place_into)

    def close(self) -> None:
        """Nothing to release: each wave's workers are gone when it ends."""


LOCAL = LocalPool()
