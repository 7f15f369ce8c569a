"""One build's pipeline in memory: read and parse every page (cache, pool), gather and lint, render every output.
Writes nothing itself: build/session.py hands the outputs to the writer (and, for a full write, lets the
forked workers write what they make into the writer's staging folder through writer.place)."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from generator import diagnostics as diag
from generator.build.cache import ParseCache, parse_key
from generator.build.parallel import LOCAL, Engine, map_forked
from generator.build.state import PageRecords
from generator.build.writer import Placed, place
from generator.config import Config
from generator.diagnostics import Diagnostic
from generator.emit import Kept, Output
from generator.emit.assets import asset_outputs
from generator.emit.attachments import attachment_outputs
from generator.emit.exports import export_outputs
from generator.emit.graph_json import graph_json
from generator.emit.graph_view import graph_outputs
from generator.emit.listings import listing_jobs
from generator.emit.recent import recent_changes
from generator.emit.render import Renderer
from generator.emit.search_index import search_outputs
from generator.parse.page import ParsedPage
from generator.parse.sources import SourceFile, discover_attachments, read_pages, unreadable_attachments
from generator.wiki.gather import gather
from generator.wiki.lint import lint
from generator.wiki.model import Wiki


@dataclass(slots=True)
class Site:
    """A built site in memory: its files, the wiki they came from, and what was found wrong."""

    outputs: list[Output]
    wiki: Wiki
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # content pages unchanged since the previous build: not rendered
    keys: dict[str, str] = field(default_factory=dict)  # render key of every content page, for the next build


TAIL_PARALLEL = 1000  # pages from which the generated pages are made on every core (below: forking costs more)
CACHE_BATCH = 256  # parsed pages written to the parse cache per transaction
FREEZE_EVERY = 1000  # parsed pages between gc.freeze() calls while they arrive


def parse_all(config: Config, sources: list[SourceFile], cache: ParseCache | None = None,
              progress: Callable[[int], None] | None = None,
              memory: dict[str, tuple] | None = None, engine: Engine = LOCAL) -> tuple[list[ParsedPage], list[Diagnostic]]:
    """Parse every file: from memory or the cache when its bytes were parsed before, else on every core
    (or on the cluster `engine` stands for: build/cluster.py).

    `memory` (parse_key -> result) is a layer in front of the cache kept by a long-running process; it is
    refilled with exactly the current files' results.
    """
    keys = {s.src_path: parse_key(config, s.src_path, s.raw) for s in sources}
    known = memory or {}
    cached = {k: known[k] for k in keys.values() if k in known}
    if cache:
        cached.update(cache.get_many([k for k in keys.values() if k not in cached]))
    todo = [s for s in sources if keys[s.src_path] not in cached]
    if progress and len(cached):
        progress(len(cached))
    fresh: dict[str, tuple] = {}
    pending: dict[str, object] = {}  # parse_key -> the result, pickled by a worker when one parsed it
    for n, (source, (result, data)) in enumerate(zip(todo, engine.parse_many(todo, config, progress)), 1):
        fresh[source.src_path] = result
        if n % FREEZE_EVERY == 0:
            gc.freeze()  # parsed pages live on: the collector need not walk them again and again as they pile up
        if cache:
            pending[keys[source.src_path]] = data if data is not None else result
            if len(pending) >= CACHE_BATCH:  # stored as they come: never every page's bytes at once
                cache.put_many(pending)
                pending = {}
    if cache:
        cache.put_many(pending)
        cache.hits, cache.misses = len(sources) - len(todo), len(todo)
    parsed: list[ParsedPage] = []
    problems: list[Diagnostic] = []
    for source in sources:
        item, item_problems = fresh.get(source.src_path) or cached[keys[source.src_path]]
        problems += item_problems
        if item is not None:
            parsed.append(item)
    if memory is not None:
        memory.clear()
        memory.update({keys[s.src_path]: fresh.get(s.src_path) or cached[keys[s.src_path]] for s in sources})
    return parsed, problems


def page_texts(sources: list[SourceFile]) -> dict[str, bytes]:
    """The files' bytes by source path: what lint reads the lines of unlinked mentions from (analyse())."""
    return {source.src_path: source.raw for source in sources}


def load(config: Config, cache: ParseCache | None = None,
         texts: dict[str, bytes] | None = None) -> tuple[list[ParsedPage], list[Diagnostic]]:
    """Discover, read and parse every page of the content folder; `texts`, when given, is filled with the
    files' bytes (page_texts(), for lint)."""
    sources, problems = read_pages(config.content_dir)
    if texts is not None:
        texts.update(page_texts(sources))
    parsed, parse_problems = parse_all(config, sources, cache)
    return parsed, problems + parse_problems


def analyse(config: Config, parsed: list[ParsedPage] | None = None, problems: list[Diagnostic] | None = None,
            tick: Callable[[int], None] | None = None,
            texts: Mapping[str, bytes] | None = None) -> tuple[Wiki, list[Diagnostic]]:
    """Gather and lint (loading first unless parsed pages are given): the wiki and every diagnostic, sorted.
    tick(1) twice a page: once its related list is made, once it is linted (for a progress line). `texts`:
    the files' bytes by source path, for the lines of unlinked mentions (lint.lint()); read here when loading."""
    if parsed is None:
        texts = {}
        parsed, problems = load(config, texts=texts)
    wiki, gather_problems = gather(config, parsed, tuple(discover_attachments(config.content_dir)), tick, map_forked)
    gather_problems += unreadable_attachments(config.content_dir, wiki.attachments)
    found = (problems or []) + gather_problems + lint(wiki, tick, map_forked, config, texts=texts)
    return wiki, sorted((d for d in found if config.lint.wants(d.code)), key=diag.sort_key)


def render_items(config: Config, wiki: Wiki, previous_keys: Mapping[str, str] | None = None,
                 progress: Callable[[int], None] | None = None,
                 records: PageRecords | None = None, engine: Engine = LOCAL,
                 place_into: Path | None = None) -> Iterator[Output | Kept | Placed]:
    """Every file of the site, one at a time. A content page whose render key equals the one in
    `previous_keys` (the site being replaced) is not rendered again: it comes as Kept. `records`
    collects what the build state keeps of each page, made by the same workers. The content pages are
    rendered by `engine` (this machine's cores, or a cluster's); the rest here. With `place_into` (the
    writer's staging folder, made before the first item is asked for), what is made in a forked worker is
    written there by that worker and comes as a Placed (writer.place)."""
    renderer = Renderer(config, wiki)
    slugs = sorted(wiki.entries)
    for made in engine.render_many(renderer, slugs, previous_keys, records, place_into):  # the expensive part, on every core
        if records is not None:
            item, record = made
            records.add(record)
        else:
            item = made
        yield item
        if progress:
            progress(1)
    search_rows = records.rows if records is not None else None
    # The generated pages and site-wide files, each job independent of the others: on every core too (the
    # full backlinks lists of hubs alone draw ~100,000 cards at 10,000 pages).
    jobs = listing_jobs(wiki, renderer, previous_keys) + [lambda: graph_outputs(wiki, renderer),
                                                          lambda: list(export_outputs(config, wiki)),
                                                          lambda: list(recent_changes(wiki, renderer))]
    least = 1 if len(wiki.entries) >= TAIL_PARALLEL else len(jobs) + 1

    def run(chunk: list[int]) -> list:
        made = [output for i in chunk for output in jobs[i]()]
        return made if place_into is None else place(made, place_into)
    yield from map_forked(run, list(range(len(jobs))), least=least, chunk=1)
    yield graph_json(wiki, config.summary_length)  # made as it is written, here: a stream is not sent between processes
    # The rows came with the pages, in this process; the term index is built from them on every core.
    search, terms = search_outputs(wiki, search_rows, map_chunks=lambda work, items: map_forked(work, items, least=2, chunk=1))
    if records is not None:
        records.terms = terms
    yield from search  # made one at a time, as the writer takes them
    yield from asset_outputs(config)
    yield from attachment_outputs(config, wiki)


def build_site(config: Config, parsed: list[ParsedPage] | None = None, problems: list[Diagnostic] | None = None,
               previous_keys: Mapping[str, str] | None = None) -> Site:
    """The whole site in memory, with every diagnostic found on the way (writes nothing)."""
    wiki, problems = analyse(config, parsed, problems)
    items = [i.whole() if isinstance(i, Output) else i for i in render_items(config, wiki, previous_keys)]
    problems = sorted(problems + [i.problem for i in items if isinstance(i, Output) and i.problem], key=diag.sort_key)
    return Site([i for i in items if isinstance(i, Output)], wiki, problems,
                reused=[i.out_path for i in items if isinstance(i, Kept)], keys={i.out_path: i.key for i in items if i.key})
