"""Parsing many files on every core: a process pool when it pays, in-process otherwise."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator, Mapping

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


_render_state: tuple | None = None  # (renderer, previous keys) inherited by forked render workers


def _render_chunk(slugs: list[str]) -> list:
    renderer, previous = _render_state
    return list(_render_in_process(renderer, slugs, previous))


def render_many(renderer, slugs: list[str], previous: Mapping[str, str] | None = None) -> Iterator:
    """Content pages planned and rendered on every core, in order: a page whose render key equals its key
    in `previous` (the site being replaced) comes as Kept, unrendered. Workers are forked so they share the
    gathered wiki and the renderer (templates compiled once) without pickling them; without fork-safety
    (other threads running) or with few pages: in-process."""
    global _render_state
    previous = previous or {}
    workers = worker_count()
    if workers == 1 or len(slugs) < MIN_PARALLEL * 4 or threading.active_count() > 1 \
            or "fork" not in multiprocessing.get_all_start_methods():
        yield from _render_in_process(renderer, slugs, previous)
        return
    _render_state = (renderer, previous)
    try:
        chunks = [slugs[i:i + CHUNK] for i in range(0, len(slugs), CHUNK)]
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for outputs in pool.map(_render_chunk, chunks):
                yield from outputs
    finally:
        _render_state = None


def _render_in_process(renderer, slugs: list[str], previous: Mapping[str, str]) -> Iterator:
    from generator.emit import Kept
    from generator.emit.pages import page_plan
    wiki = renderer.wiki
    for slug in slugs:
        plan = page_plan(wiki, renderer, wiki.entries[slug])
        if plan.key and previous.get(plan.out_path) == plan.key:
            yield Kept(plan.out_path, plan.key)
        else:
            yield plan.render()
