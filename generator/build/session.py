"""One build, start to finish: read, skip when nothing changed, parse (cached, parallel), render what changed, write."""

from __future__ import annotations

import dataclasses
import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from generator.build.cache import ParseCache, Spool, default_cache_dir, parse_key
from generator.config import Config, LintConfig
from generator.diagnostics import Diagnostic, DiagnosticTable
from generator.build.fingerprint import Inputs, UpToDate, read_inputs, site_fingerprint, up_to_date
from generator.parse.sources import source_digest
from generator.emit.theme import theme_fingerprint
from generator.emit import Kept, Output
from generator import diagnostics as diag
from generator.emit.graph_json import graph_json
from generator.emit.backlinks import changed_targets
from generator.emit.listings import backlink_page, backlink_page_number, wanted as wanted_page
from generator.emit.pages import render_page
from generator.emit.search_index import edited_outputs, search_row_texts, search_types
from generator.parse.links import LinkRef, normalize
from generator.wiki.lint import unlinked_mentions
from generator.parse.markdown import NO_HTML, make_markdown, note_embeds
from generator.build.parallel import LOCAL, Engine, map_forked, settle
from generator.build.cluster import connect
from generator.wiki.model import Entry, Wanted, Wiki, group_wanted, lean
from generator.parse.page import ParsedPage
from generator.emit.render import Renderer
from generator.build.pipeline import analyse, page_texts, parse_all, render_items
from generator.parse.page import parse_source
from generator.wiki.gather import resolve_links
from generator.parse.sources import SourceFile, read_source
from generator.build.state import BuildState, PageRecords, load_state, save_state, state_path, with_entries
from generator.paths import Slug
from generator.build.writer import (Placed, all_files_there, build_lock, interrupted_update, reusable_keys, staging_folder,
                                    update_in_place, write_site)

ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass(slots=True)
class BuildResult:
    """What a build did, for the summary line and for callers that keep building (serve)."""

    diagnostics: list[Diagnostic] | DiagnosticTable  # a full build's list; a rebuild's table (shared with its state)
    pages: int = 0
    files: int = 0
    parsed: int = 0  # files parsed this time (the rest came from the cache)
    cached: int = 0
    rendered: int = 0  # content pages rendered (the rest were unchanged and kept)
    kept: int = 0
    unchanged: bool = False  # nothing changed since the last build: nothing was written
    written: bool = False
    seconds: float = 0.0
    wiki: Wiki | None = None
    notes: list[str] = field(default_factory=list)


def unchanged_result(current: UpToDate, sources: int, diagnostics: Sequence[Diagnostic] | None = None) -> BuildResult:
    """What a build that found nothing changed did: nothing. `diagnostics`: the same findings as a table
    already made (a saved state's), else those the manifest holds, made into values."""
    return BuildResult(list(current.diagnostics) if diagnostics is None else diagnostics, pages=current.pages,
                       files=current.files, cached=sources, kept=current.pages, unchanged=True)


def run_build(config: Config, cache_dir: Path | None = None, use_cache: bool = True,
              progress: ProgressFactory | None = None, write: bool = True,
              on_stray: Callable[[list[str]], None] | None = None, inputs: Inputs | None = None) -> BuildResult:
    """Build the site into config.out_dir once; `strict` (in config) leaves the old site in place when there are problems.
    `inputs`: fingerprint.read_inputs(config), when the caller has read them already."""
    return Session(config, cache_dir, use_cache, progress, on_stray).build(write=write, inputs=inputs)


# Diagnostics that depend on the whole wiki's shape: a page edit that keeps the shape keeps them.
_SHAPE_CODES = frozenset({"duplicate-title", "duplicate-alias", "duplicate-id", "duplicate-slug", "orphan", "dead-end",
                          "no-summary", "stale", "uncited", "not-in-index", "schema"})


class Session:
    """Builds that start from the last one (serve keeps it in memory; the CLI keeps it in the cache folder).

    build(changed) after an edit that keeps every page's title, aliases, type, tags, summary, links
    and headings re-parses and re-renders the edited pages alone (plus the search index and the
    wanted page); any other change is a full build through the parse cache and render keys. A CLI
    build finds the edited pages itself, by comparing every file's bytes with the saved state.
    Either way the output is byte-identical to a cold build.
    """

    def __init__(self, config: Config, cache_dir: Path | None = None, use_cache: bool = True,
                 progress: ProgressFactory | None = None, on_stray: Callable[[list[str]], None] | None = None,
                 remember: bool = False):
        self.config = config
        # serve: keep state in memory, never skip building it (a site already up to date is not rewritten),
        # write fast rebuilds in place
        self.remember = remember
        self.cache_dir = cache_dir or default_cache_dir(config)
        self.use_cache, self.progress, self.on_stray = use_cache, progress, on_stray
        self._memory: dict[str, tuple] = {}
        self._last: BuildState | None = None
        self._engine: Engine = LOCAL  # where a full build parses and renders (config.cluster: a Dask cluster)

    def build(self, changed: Iterable[str] | None = None, write: bool = True, inputs: Inputs | None = None) -> BuildResult:
        """Build after `changed` (source paths relative to the content folder; None = look at everything)."""
        started = time.perf_counter()
        try:
            result = self._fast(set(changed)) if changed is not None and write else None
            if result is None:
                result = self._full(write, inputs)
        finally:
            self._engine.close()  # a cluster's pending tasks cancelled (Ctrl-C, a failure), its client closed
            self._engine = LOCAL
        result.seconds = time.perf_counter() - started
        return result

    def _full(self, write: bool, inputs: Inputs | None = None) -> BuildResult:
        config, progress = self.config, self.progress
        inputs = inputs or read_inputs(config, self.cache_dir if self.use_cache else None)
        current = up_to_date(config.out_dir, inputs) if write else None
        if current is not None and not self.remember:
            return unchanged_result(current, len(inputs.digests))
        if current is not None and self._last is None and self.use_cache and self._adopt_saved_state(inputs):
            # serve: the saved state is the site's, as it is, and so are its findings (not made into values here)
            return unchanged_result(current, len(inputs.digests), self._last.diagnostics)
        if write and not self.remember and self._last is None and self.use_cache:
            result = self._from_saved_state(inputs.theme, inputs.digests, inputs.attachments, inputs.manifest,
                                            {s.src_path: s for s in inputs.sources})
            if result is not None:
                return result
        if not inputs.complete:  # a full build parses every page: read them all
            inputs = read_inputs(config)
        sources, problems, theme, digests = inputs.sources, list(inputs.problems), inputs.theme, inputs.digests
        attachments, fingerprint = inputs.attachments, inputs.fingerprint
        if config.cluster:  # connected only now that there is work for it; an unusable cluster fails before any write
            self._engine = connect(config.cluster)
        cache = ParseCache(self.cache_dir) if self.use_cache else None
        notes = [cache.problem] if cache and cache.problem else []
        inputs.sources = []  # the files' bytes go with `sources` once parsed
        tick = progress("Parsing", len(sources)) if progress else None
        live_keys = {parse_key(config, s.src_path, s.raw) for s in sources}
        gc.unfreeze()  # the last build's objects (serve) may be collected again
        # serve keeps every parse in memory for its next full build; the CLI lets them go once linted
        parsed, parse_problems = parse_all(config, sources, cache, tick, self._memory if self.remember else None, self._engine)
        count = len(sources)
        texts = page_texts(sources)  # the files' bytes, for the lines of unlinked mentions: gone once linted
        del sources
        settle()  # parsed pages live to the end: later collections need not walk them again
        tick = progress("Linking", 2 * len(parsed)) if progress else None
        wiki, diagnostics = analyse(config, parsed, problems + parse_problems, tick, texts)
        del parsed, texts
        wiki.entries = {slug: lean(entry) for slug, entry in wiki.entries.items()}  # rendering reads no Markdown or prose
        wiki.graph = wiki.graph.compacted()  # nor networkx's adjacency: the links as arrays, a tenth of the memory
        settle()  # nor the gathered wiki (nor, in forked render workers, touch its memory: pages stay shared)
        if cache:
            cache.keep_only(live_keys)
            cache.close()
        fresh = count - (cache.hits if cache else 0)
        result = BuildResult(diagnostics, pages=len(wiki.entries), parsed=fresh, cached=count - fresh,
                             notes=notes, wiki=wiki)
        if write and not (config.strict and diagnostics):
            checked = list(diagnostics)  # rendering and writing add theirs to `diagnostics`
            tick = progress("Rendering", len(wiki.entries)) if progress else None
            embedded = _embedded(wiki)
            records = PageRecords(search_types(wiki), {wiki.by_src[src] for src in embedded if src in wiki.by_src},
                                  blobs_too=not self.remember and self.use_cache, spool_in=self.cache_dir)
            written: dict[str, str] = {}
            # A site written afresh: the workers that make its files write them into the staging folder themselves
            place_into = staging_folder(config.out_dir) if current is None else None
            items = _counting(render_items(config, wiki, reusable_keys(config.out_dir), tick, records, self._engine,
                                           place_into), result, written, {entry.out_path for entry in wiki.entries.values()})
            if current is None:
                table = self._write(items, result, fingerprint, diagnostics, len(wiki.entries))
            else:  # serve's memory of the site already in the folder: made to know it, not written again
                result.files, result.unchanged = sum(1 for _ in items), True
                diagnostics.sort(key=diag.sort_key)
                table = DiagnosticTable(diagnostics)
            by_file: dict[str, list[Diagnostic]] = {}
            for problem in parse_problems:
                by_file.setdefault(problem.src_path, []).append(problem)
            self._remember(BuildState(theme, fingerprint, digests, attachments, wiki, table, by_file, sorted(written),
                                      {path: key for path, key in written.items() if key}, records.types, records.rows,
                                      embedded, config.lint, table.sharing(checked), search_terms=records.terms),
                           result, records.blobs)
        return result

    def _from_saved_state(self, theme: str, digests: dict[str, str], attachments: dict, manifest: dict,
                          sources: dict[str, SourceFile]) -> BuildResult | None:
        """A CLI build after an edit: start from the state the last build saved, when it describes the site
        in the output folder exactly and the edits keep every page's shape; None otherwise."""
        state = load_state(state_path(self.cache_dir, self.config.out_dir))
        if (state is None or state.theme != theme or state.fingerprint != manifest.get("fingerprint")
                or state.attachments != attachments or set(state.digests) != set(digests)
                or interrupted_update(self.config.out_dir) is not None
                or not all_files_there(self.config.out_dir, state.files)):
            return None
        self._last = state
        result = self._fast({src for src, digest in digests.items() if state.digests[src] != digest}, sources)
        if result is None:
            self._last = None
        return result

    def _adopt_saved_state(self, inputs: Inputs) -> bool:
        """Serve's first build on a site that is up to date: take the state the last CLI build saved as this
        session's memory when it describes exactly these inputs (nothing to parse, gather or render)."""
        state = load_state(state_path(self.cache_dir, self.config.out_dir))
        if state is None or state.fingerprint != inputs.fingerprint:  # a hash of the theme, every page and attachment
            return False
        self._last = state
        return True

    def save(self) -> str:
        """Save the state of the last build for the next CLI build (serve, as it stops: it keeps its state in
        memory while it runs, and the next `kbwiki build` would otherwise be a full one); "" when saved or
        there is nothing to save, else why not."""
        if self._last is None or not self.use_cache:
            return ""
        return save_state(state_path(self.cache_dir, self.config.out_dir), self._last)

    def _remember(self, state: BuildState, result: BuildResult, blobs: Spool | None = None) -> None:
        """Keep the state of the site just written: in memory, and for the next CLI build in the cache folder."""
        self._last = state
        if not self.remember and self.use_cache:
            problem = save_state(state_path(self.cache_dir, self.config.out_dir), state, blobs)
            if problem:
                result.notes.append(problem)
        if blobs is not None:
            blobs.close()

    def _write(self, items: Iterable, result: BuildResult, fingerprint: str, diagnostics: list[Diagnostic],
               pages: int) -> DiagnosticTable:
        """Hand the items to the writer; the manifest records the diagnostics as they are once every item is made
        (a page that could not be rendered or written adds its own to `diagnostics`, in place): their table."""
        manifest = {"fingerprint": fingerprint, "page_count": pages, "diagnostics": []}
        sources: dict[str, str] = {}  # out_path -> src_path, made the first time a file cannot be written

        def unwritable(out_path: str, reason: str) -> None:
            if not sources and result.wiki:
                sources.update({entry.out_path: entry.page.src_path for entry in result.wiki.entries.values()})
            diagnostics.append(diag.error(sources.get(out_path, out_path), "unwritable",
                                          f"cannot write {out_path}: {reason}; the rest of the site is written"))

        def then_record() -> Iterator:
            yield from items
            diagnostics.sort(key=diag.sort_key)
            manifest["diagnostics"] = DiagnosticTable(diagnostics)

        with build_lock(self.config.out_dir):
            result.files = write_site(then_record(), self.config.out_dir, manifest, before_swap=self.on_stray,
                                      on_unwritable=unwritable)
        result.written = True
        return manifest["diagnostics"]

    def _fast(self, changed: set[str], sources: dict[str, SourceFile] | None = None) -> BuildResult | None:
        """Rebuild after edits that keep the wiki's shape; None when the change needs a full build.

        `sources`: the files as already read (a CLI build reads them all to find what changed)."""
        last, config = self._last, self.config
        if last is None or not changed or config.strict or theme_fingerprint(config) != last.theme:
            return None
        wiki = last.wiki
        if changed & last.embedded:
            return None  # pages that embed them show their text: a full build re-renders those too
        edit = relint(last, config, changed, sources)
        if edit is None:
            return None
        if not edit.fresh:
            return BuildResult(last.diagnostics, pages=len(wiki.entries), files=len(last.files), cached=len(wiki.entries),
                               kept=len(wiki.entries), unchanged=True, wiki=wiki)
        new_wiki, changed_slugs = edit.wiki, edit.slugs
        # Pages whose backlinks show a sentence an edit changed: their page and the list page that shows it
        linked = changed_targets(wiki, new_wiki, changed_slugs)
        new_wiki = _with_bodies(new_wiki, config, sorted(set(linked) - set(changed_slugs)), last.digests, sources)
        if new_wiki is None:
            return None
        renderer = Renderer(config, new_wiki)
        outputs: list[Output] = [render_page(new_wiki, renderer, new_wiki.entries[slug]) for slug in changed_slugs]
        rendered = len(changed_slugs)
        for target in sorted(linked):
            entry = new_wiki.entries[target]
            if target not in changed_slugs:
                item = render_page(new_wiki, renderer, entry, last.keys.get(entry.out_path, ""))
                if isinstance(item, Output):
                    outputs.append(item)
                    rendered += 1
            numbers = {backlink_page_number(new_wiki, config, target, source) for source in linked[target]}
            outputs += [backlink_page(new_wiki, renderer, target, number) for number in sorted(numbers)]
        diagnostics = edit.diagnostics.replaced([o.problem for o in outputs if o.problem])
        rows = {**last.search_rows, **search_row_texts(new_wiki, changed_slugs, last.search_types)}
        search, terms = edited_outputs(new_wiki, last.search_rows, rows, changed_slugs, last.search_terms)
        outputs += search
        if new_wiki.wanted != wiki.wanted:
            outputs += [wanted_page(new_wiki, renderer), graph_json(new_wiki, config.summary_length)]
        keys = {**last.keys, **{o.out_path: o.key for o in outputs if o.key}}
        fresh = edit.fresh
        result = BuildResult(diagnostics, pages=len(wiki.entries), parsed=len(fresh), cached=len(wiki.entries) - len(fresh),
                             rendered=rendered, kept=len(wiki.entries) - rendered, wiki=new_wiki)
        fingerprint = site_fingerprint(last.theme, edit.digests, last.attachments)
        known = set(last.files)
        if any(o.out_path not in known for o in outputs):
            return None  # a file the last build could not write: a full build reports it again
        # Every file of the site stays and a few get new bytes: they are replaced where they are, each atomically
        # (a journal until the manifest is written), for serve and the CLI alike.
        manifest = {"fingerprint": fingerprint, "page_count": len(wiki.entries), "diagnostics": diagnostics}
        with build_lock(config.out_dir):
            update_in_place(outputs, config.out_dir, manifest, last.files, keys)
        result.files, result.written = len(last.files), True
        self._remember(BuildState(last.theme, fingerprint, edit.digests, last.attachments, new_wiki, diagnostics,
                                  edit.parse_problems, last.files, keys, last.search_types, rows, last.embedded, last.lint,
                                  edit.diagnostics, terms, last.stored), result)  # same shape: same embeds
        return result


@dataclass(slots=True)
class Relinted:
    """The wiki after edits that keep its shape, and its diagnostics (relint())."""

    wiki: Wiki
    diagnostics: DiagnosticTable
    fresh: dict[str, ParsedPage]  # the edited pages, parsed again (none: every file is as the state has it)
    slugs: list[Slug]  # theirs, in source order
    digests: dict[str, str]
    parse_problems: dict[str, list[Diagnostic]]


def relint(last: BuildState, config: Config, changed: set[str], sources: dict[str, SourceFile] | None = None,
           found: DiagnosticTable | None = None) -> Relinted | None:
    """Parse the changed pages again and lint the wiki the state describes with them (nothing rendered or
    written); None when an edit changes some page's shape (a new or deleted page, another title, link,
    heading…) or a changed file cannot be read: a full build or check is needed then. `found`: the
    diagnostics to start from (default: the state's own, rendering's included)."""
    wiki = last.wiki
    found = last.diagnostics if found is None else found
    fresh: dict[str, ParsedPage] = {}
    texts: dict[str, bytes] = {}  # the edited files' bytes, for the lines of their unlinked mentions
    problems: dict[str, list[Diagnostic]] = {}
    digests = dict(last.digests)
    md = make_markdown()
    for src in sorted(changed):
        if src not in wiki.by_src:
            return None  # a new page, a deleted one, or not a page
        if sources is not None and src in sources:
            source, read_problems = sources[src], []
        else:  # not read yet (a file whose stat another command recorded since the state was saved)
            source, read_problems = read_source(config.content_dir, src)
        if source is None or read_problems:
            return None
        digest = source_digest(source)
        if digest == last.digests[src]:
            continue  # saved without a change (or changed back)
        digests[src] = digest
        item, item_problems = parse_source(source, config, md)
        old = wiki.entries[wiki.by_src[src]].parsed
        if item is None or _shape(item) != _shape(old):
            return None
        fresh[src], problems[src], texts[src] = item, item_problems, source.raw
    if not fresh:
        return Relinted(wiki, found, {}, [], digests, last.parse_problems)
    resolved, wanted_new, link_problems = resolve_links(list(fresh.values()), wiki.by_src, wiki.resolver, map_forked)
    changed_entries = {}
    for src, item in fresh.items():
        old = wiki.entries[wiki.by_src[src]]
        changed_entries[old.slug] = Entry(item, old.slug, old.out_path, resolved[src])
    wanted = _merge_wanted(wiki.wanted, set(fresh), wanted_new)
    new_wiki = dataclasses.replace(wiki, entries=with_entries(wiki.entries, changed_entries), wanted=wanted)
    changed_slugs = [wiki.by_src[src] for src in sorted(fresh)]
    new = [d for d in [p for src in sorted(fresh) for p in problems[src]] + link_problems
           + (unlinked_mentions(new_wiki, only=changed_slugs, map_chunks=map_forked, max_share=config.lint.mention_max_share,
                                texts=texts)
              if config.lint.wants("unlinked-mention") else [])
           if config.lint.wants(d.code)]
    diagnostics = found.replaced(new, set(fresh), keep=_SHAPE_CODES)
    parse_problems = {**last.parse_problems, **{src: problems[src] for src in fresh}}
    return Relinted(new_wiki, diagnostics, fresh, changed_slugs, digests, parse_problems)


def check_from_state(config: Config, cache_dir: Path) -> tuple[Wiki, list[Diagnostic]] | None:
    """What `kbwiki check` finds, from the state the last build into config.out_dir saved: its diagnostics
    as they were when nothing changed since, else with the edited pages parsed and linted again (relint).
    None when the state cannot answer: none saved, another theme or shaping setting, files added,
    removed or reshaped, or findings asked for (`--select`) that the build did not look for."""
    state = load_state(state_path(cache_dir, config.out_dir))
    if state is None or not _covers(state.lint, config.lint):
        return None
    if theme_fingerprint(dataclasses.replace(config, lint=state.lint)) != state.theme:
        return None
    inputs = read_inputs(config, cache_dir)
    if state.attachments != inputs.attachments or set(state.digests) != set(inputs.digests):
        return None
    changed = {src for src, digest in inputs.digests.items() if state.digests[src] != digest}
    edit = relint(state, config, changed, {s.src_path: s for s in inputs.sources}, state.checked)
    if edit is None:
        return None
    return edit.wiki, [d for d in edit.diagnostics if config.lint.wants(d.code)]


def _covers(built: LintConfig, asked: LintConfig) -> bool:
    """Whether findings made under `built` hold every finding `asked` wants: the same settings, and no code
    selected that `built` left out."""
    if asked.stale_after_days:
        return False  # `stale` by age depends on today: found afresh
    if dataclasses.replace(built, select=(), ignore=(), per_code=0) != dataclasses.replace(asked, select=(), ignore=(), per_code=0):
        return False
    return all(built.wants(code) for code in diag.CODES if asked.wants(code))


def _with_bodies(wiki: Wiki, config: Config, slugs: list[Slug], digests: dict[str, str],
                 sources: dict[str, SourceFile] | None) -> Wiki | None:
    """The wiki with the entries of `slugs`, unchanged pages about to be rendered again, holding their HTML
    (a saved state keeps none: they are parsed again); None when one of them is not as the state has it."""
    again = {}
    md = None
    for slug in slugs:
        entry = wiki.entries[slug]
        if entry.parsed.body.html_z != NO_HTML:
            continue
        src = entry.page.src_path
        source = sources.get(src) if sources else None
        if source is None:
            source, problems = read_source(config.content_dir, src)
            if source is None or problems:
                return None
        if source_digest(source) != digests.get(src):
            return None
        md = md or make_markdown()
        item, _ = parse_source(source, config, md)
        if item is None:
            return None
        again[slug] = lean(Entry(item, entry.slug, entry.out_path, entry.links))
    return dataclasses.replace(wiki, entries=with_entries(wiki.entries, again)) if again else wiki


def _embedded(wiki: Wiki) -> set[str]:
    """Source paths of the pages some page embeds (![[Note]])."""
    found = set()
    for entry in wiki.entries.values():
        for target in (note_embeds(entry.parsed.body.html) if entry.parsed.body.embeds else ()):
            hit = wiki.resolver.resolve(LinkRef(target, syntax="embed", base=entry.page.folder), entry.page.src_path).src_path
            if hit:
                found.add(hit)
    return found


def _shape(item: ParsedPage) -> tuple:
    """What other pages and the site-wide files see of a page: all but its body text and positions."""
    page = dataclasses.replace(item.page, body="", body_line=0)
    refs = tuple((r.target, r.fragment, r.label, r.syntax, r.base) for r in item.refs)
    return page, refs, item.body.headings, item.body.placeholders


def _merge_wanted(old: list[Wanted], changed: set[str], new: list[Wanted]) -> list[Wanted]:
    """The wanted list with the changed pages' references replaced by their new ones: group_wanted() of every
    reference, grouped again only for the targets the changed pages link to, now or before (the others,
    the same objects, keep their place in its order)."""
    targets = {(item.file, normalize(item.target)) for item in new}
    kept, again = [], []
    for item in old:
        key = (item.file, normalize(item.target))
        if key in targets or any(ref.src_path in changed for ref in item.refs):
            again += [(item.file, ref) for ref in item.refs if ref.src_path not in changed]
        else:
            kept.append((key, item))
    again += [(item.file, ref) for item in new for ref in item.refs]
    merged = kept + [((item.file, normalize(item.target)), item) for item in group_wanted(again)]
    merged.sort(key=lambda pair: pair[0])  # group_wanted()'s order
    return [item for _, item in merged]


def _counting(items: Iterable[Output | Kept | Placed], result: BuildResult, written: dict[str, str],
              pages: set[str]) -> Iterator[Output | Kept | Placed]:
    """Pass items through, counting rendered and kept content pages (`pages`: their paths; listings have keys
    too, and are not counted) and noting each path's key."""
    for item in items:
        written[item.out_path] = item.key
        if not isinstance(item, Kept) and item.problem is not None:
            result.diagnostics.append(item.problem)
        if item.out_path not in pages:
            pass
        elif isinstance(item, Kept):
            result.kept += 1
        elif item.key:
            result.rendered += 1
        yield item
