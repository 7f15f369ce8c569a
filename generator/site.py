"""build_site(config) -> Site: read, parse, resolve, graph, render. Gathers everything, writes nothing."""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

from generator import diagnostics as diag
from generator import paths
from generator.cache import ParseCache, parse_key
from generator.config import Config
from generator.content import Page, decode_source, is_published, parse_page
from generator.diagnostics import Diagnostic
from generator.emit import Kept, Output
from generator.emit.assets import asset_outputs
from generator.emit.attachments import attachment_outputs
from generator.emit.exports import export_outputs
from generator.emit.graph_json import graph_json
from generator.emit.graph_view import graph_outputs
from generator.emit.listings import listing_outputs
from generator.emit.search_index import search_index, search_text
from generator.emit.recent import recent_changes
from generator.fingerprint import source_digest
from generator.graph import WikiGraph
from generator.lint import lint
from generator.links import (Resolver, agree_with_rendering, extract_links, front_matter_links,
                             missing_file_name, names_a_file, normalize, wanted_name)
from generator.markdown import make_markdown, render_body
from generator.model import Entry, ParsedPage, ResolvedLink, Wanted, WantedRef, Wiki, group_wanted
from generator.paths import SourcePath, Slug, page_out_path, slugify
from generator.render import Renderer
from generator.parallel import map_forked, parse_many, render_many
from generator.sanitize import sanitize_html
from generator.state import PageRecords
from generator.sources import SourceFile, discover_attachments, read_pages, unreadable_attachments


@dataclass(slots=True)
class Site:
    """A built site in memory: its files, the wiki they came from, and what was found wrong."""

    outputs: list[Output]
    wiki: Wiki
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # content pages unchanged since the previous build: not rendered
    keys: dict[str, str] = field(default_factory=dict)  # render key of every content page, for the next build


def parse_source(source: SourceFile, config: Config, md=None) -> tuple[ParsedPage | None, list[Diagnostic]]:
    """One file's bytes -> ParsedPage (fields, rendered body, link refs). Depends on nothing else."""
    text, problems = decode_source(source.src_path, source.raw)
    if text is None:
        return None, problems
    page, page_problems = parse_page(source.src_path, text, config)
    front_text = "\n".join(text.split("\n")[: page.body_line - 1])  # the front matter, as parse_page found it
    body = render_body(md or make_markdown(), page.body)
    # The body's #tags are the ones the renderer made links of (one rule: a tag page for every tag link)
    inline = [target for syntax, target, _ in body.placeholders if syntax == "t"]
    if inline:
        page = dataclasses.replace(page, tags=tuple(dict.fromkeys((*page.tags, *inline))))
    scanned = extract_links(page.body, page.body_line, page.src_path)
    refs = front_matter_links(page, front_text) + agree_with_rendering(scanned, body.placeholders, page.folder)
    if config.sanitize:
        body = body.with_html(sanitize_html(body.html))
    digest = source_digest(source)
    search = search_text(body)
    body = dataclasses.replace(body, text="")  # what search needs of it is in `search`
    problems += page_problems + unsafe_url_problems(page, body.blocked)
    markdown = page.body.encode("utf-8")  # kept for lint's line numbers, as UTF-8 (see RenderedBody)
    return ParsedPage(dataclasses.replace(page, body=""), body, refs, digest, search, markdown), problems


def unsafe_url_problems(page: Page, blocked: tuple[str, ...]) -> list[Diagnostic]:
    """A warning per script-running URL removed from a page's links and images (with its line when found)."""
    lines = page.body.split("\n")
    problems = []
    for url in blocked:
        line = next((page.body_line + i for i, text in enumerate(lines) if url in text), 0)
        shown = " ".join(url.split())[:60]
        problems.append(diag.warning(page.src_path, "unsafe-url", f"link to '{shown}' removed: javascript:, vbscript: and data: URLs can run script",
                                     line, hint="Link to an http(s) address or another page."))
    return problems


def assign_slugs(parsed: list[ParsedPage]) -> tuple[dict[SourcePath, Slug], list[Diagnostic]]:
    """A unique slug per page (from `slug`/`permalink`, else the title); a clash is an error naming both files."""
    slugs: dict[SourcePath, Slug] = {}
    owner: dict[str, SourcePath] = {}
    problems = []
    sources = {item.page.src_path for item in parsed}
    for item in sorted(parsed, key=lambda p: p.page.src_path):
        page = item.page
        if page.src_path == "index.md" or (is_home_permalink(page) and "index.md" not in sources and "index" not in owner):
            slugs[page.src_path] = Slug("index")
            owner["index"] = page.src_path
            continue
        wanted = str(page.meta.get("slug") or page.meta.get("permalink") or "").strip("/")
        base = slugify(wanted) or slugify(page.title) or slugify(page.stem) or "page"
        slug, n = base, 1
        while slug in owner or slug in paths.RESERVED_SLUGS:
            n += 1
            slug = f"{base}-{n}"
        if slug != base:
            other = owner.get(base, "")
            clash = f"page {other}" if other else "a page kbwiki generates"
            problems.append(diag.error(page.src_path, "duplicate-slug",
                                       f"slug '{base}' is already taken by {clash}; this page is written as {slug}.html",
                                       hint="Give one of them another title or a `slug:`."))
        slugs[page.src_path] = Slug(slug)
        owner[slug] = page.src_path
    return slugs, problems


def is_home_permalink(page) -> bool:
    """`permalink: /` (Obsidian Publish's home page) or `permalink: index`."""
    return str(page.meta.get("permalink", "")).strip() in ("/", "index", "/index", "index.html")


def duplicate_names(parsed: list[ParsedPage]) -> list[Diagnostic]:
    """Two pages with one title, alias or id (case-insensitive): an error naming both files; a warning for two
    notes whose title is their one file name (in two folders: ordinary in a vault)."""
    seen: dict[tuple[str, str], str] = {}
    pages = {item.page.src_path: item.page for item in parsed}
    problems = []
    for item in sorted(parsed, key=lambda p: p.page.src_path):
        page = item.page
        names = [("title", page.title), *(("alias", a) for a in page.aliases)]
        if page.declared_id:
            names.append(("id", page.declared_id))
        written = {}
        for kind, n in names:
            written.setdefault((kind, normalize(n)), n)
        for kind, name in written:
            key = ("id" if kind == "id" else "name", name)
            if key in seen and seen[key] != page.src_path:
                if kind == "title" and all(normalize(p.stem) == name for p in (page, pages[seen[key]])):
                    # two notes of one file name in two folders: ordinary in a vault; links follow Obsidian's rule
                    problems.append(diag.warning(page.src_path, "duplicate-title",
                                                 f"title '{written[kind, name]}' is also used by {seen[key]}",
                                                 hint="Links by that name go to the one in the linking page's folder, else to the shorter path."))
                    continue
                problems.append(diag.error(page.src_path, f"duplicate-{kind}",
                                           f"{kind} '{written[kind, name]}' is also used by {seen[key]}",
                                           hint="Links to it go to the page with the shorter path."))
            else:
                seen.setdefault(key, page.src_path)
    return problems


def resolve_links(parsed: list[ParsedPage], slugs: dict[SourcePath, Slug], resolver: Resolver) -> tuple[dict[SourcePath, tuple[ResolvedLink, ...]], list[Wanted], list[Diagnostic]]:
    """Resolve every link ref (on every core); gather red links into Wanted entries and report them."""
    canonical = {slug: slug for slug in slugs.values()}  # workers' slugs come back as copies: keep one of each
    resolved: dict[SourcePath, tuple[ResolvedLink, ...]] = {}
    wanted: list[tuple[bool, WantedRef]] = []
    problems: list[Diagnostic] = []
    broken: list[tuple[int, str]] = []  # (index in problems, target) of each broken link: its hint comes later
    pages = map_forked(lambda chunk: [_resolve_page(parsed[i], slugs, resolver) for i in chunk], list(range(len(parsed))))
    for item, (targets, missing, found_problems, broken_at) in zip(parsed, pages):
        src = item.page.src_path
        resolved[src] = tuple(ResolvedLink(ref, canonical[slug] if slug else None, attachment)
                              for ref, (slug, attachment) in zip(item.refs, targets))
        wanted += [(file, WantedRef(slugs[src], src, line, name)) for name, file, line in missing]
        broken += [(len(problems) + at, target) for at, target in broken_at]
        problems += found_problems
    _suggest(problems, broken, resolver)
    return resolved, group_wanted(wanted), problems


def _resolve_page(item: ParsedPage, slugs: dict[SourcePath, Slug], resolver: Resolver) -> tuple:
    """One page's links: (slug or None, attachment) per ref, its missing targets (name, is a file, line), its problems,
    and which of them are broken links, by index, with their targets."""
    src = item.page.src_path
    targets: list[tuple[Slug | None, str]] = []
    missing: list[tuple[str, bool, int]] = []
    problems: list[Diagnostic] = []
    broken: list[tuple[int, str]] = []
    for ref in item.refs:
        found = resolver.resolve(ref, src)
        if found.attachment or (found.src_path is None and names_a_file(ref)):
            targets.append((None, found.src_path or ""))
            if found.src_path is None:
                missing.append((missing_file_name(ref), True, ref.line))
                problems.append(diag.error(src, "missing-attachment", f"{'link' if ref.syntax == 'markdown' else 'embed'} {_shown(ref)} -> no such file in the content folder.",
                                           ref.line, ref.column))
            continue
        slug = slugs[found.src_path] if found.src_path else None
        targets.append((slug, ""))
        if found.candidates and found.ambiguous:
            problems.append(diag.error(src, "ambiguous-link", f"link {_shown(ref)} matches {len(found.candidates)} pages by {found.rule}: "
                                       + ", ".join(found.candidates) + f"; it goes to {found.src_path}", ref.line, ref.column,
                                       hint="Link by path ([[folder/name]]) to choose one."))
        if slug is None:
            missing.append((wanted_name(ref), False, ref.line))
            broken.append((len(problems), ref.target))
            problems.append(diag.error(src, "broken-link", f"link {_shown(ref)} -> no page.", ref.line, ref.column))
    return targets, missing, problems, broken


def _suggest(problems: list[Diagnostic], broken: list[tuple[int, str]], resolver: Resolver) -> None:
    """'Did you mean …' hints for the broken links (each target once, on every core)."""
    if not broken:
        return
    suggester = resolver.suggester()
    suggester.prepare()  # built here: forked workers share it
    targets = list(dict.fromkeys(target for _, target in broken))
    close = dict(zip(targets, map_forked(lambda chunk: [suggester.suggest(t) for t in chunk], targets)))
    for at, target in broken:
        if close[target]:
            problems[at] = dataclasses.replace(problems[at], hint="Did you mean " + " or ".join(f'"{t}"' for t in close[target]) + "?")


def _shown(ref) -> str:
    frag = f"#{ref.fragment}" if ref.fragment else ""
    if ref.syntax == "embed":
        return f"![[{ref.target}{frag}]]"
    if ref.syntax in ("markdown", "image"):
        return f"({ref.target}{frag})"
    if ref.syntax == "front-matter":
        return f"'{ref.target}' (front matter)"
    return f"[[{ref.target}{frag}]]"


def gather(config: Config, parsed: list[ParsedPage], files: tuple[SourcePath, ...] = (),
           tick: Callable[[int], None] | None = None) -> tuple[Wiki, list[Diagnostic]]:
    """Slugs, resolution, the graph and related lists from parsed pages; tick(1) after each page's related list."""
    parsed = [p for p in parsed if is_published(p.page)]
    slugs, problems = assign_slugs(parsed)
    problems += duplicate_names(parsed)
    pages = [p.page for p in parsed]
    resolver = Resolver(pages, slugs, files)
    resolved, wanted, link_problems = resolve_links(parsed, slugs, resolver)
    problems += link_problems
    entries = {}
    for item in parsed:
        src = item.page.src_path
        slug = slugs[src]
        out = paths.HOME if slug == "index" else page_out_path(slug)
        entries[slug] = Entry(item, slug, out, resolved[src])
    edges = [(e.slug, link.slug) for e in entries.values() for link in e.links if link.slug]
    graph = WikiGraph({s: e.page.title for s, e in entries.items()}, edges, {s: e.page.tags for s, e in entries.items()})
    order = sorted(entries)
    related = {}
    for slug, found in zip(order, map_forked(lambda chunk: [graph.related(s, config.related_count, config.related_hub_limit)
                                                             for s in chunk], order)):
        related[slug] = found
        if tick:
            tick(1)
    home = Slug("index") if "index" in entries else None
    wiki = Wiki(entries=entries, graph=graph, related=related, wanted=wanted, resolver=resolver,
                home_slug=home, by_src={src: slug for src, slug in slugs.items()},
                attachments=tuple(sorted({link.attachment for e in entries.values() for link in e.links if link.attachment})))
    return wiki, problems


CACHE_BATCH = 256  # parsed pages written to the parse cache per transaction
FREEZE_EVERY = 1000  # parsed pages between gc.freeze() calls while they arrive


def parse_all(config: Config, sources: list[SourceFile], cache: ParseCache | None = None,
              progress: Callable[[int], None] | None = None,
              memory: dict[str, tuple] | None = None) -> tuple[list[ParsedPage], list[Diagnostic]]:
    """Parse every file: from memory or the cache when its bytes were parsed before, else on every core.

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
    for n, (source, (result, data)) in enumerate(zip(todo, parse_many(todo, config, progress)), 1):
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


def load(config: Config, cache: ParseCache | None = None) -> tuple[list[ParsedPage], list[Diagnostic]]:
    """Discover, read and parse every page of the content folder."""
    sources, problems = read_pages(config.content_dir)
    parsed, parse_problems = parse_all(config, sources, cache)
    return parsed, problems + parse_problems


def analyse(config: Config, parsed: list[ParsedPage] | None = None, problems: list[Diagnostic] | None = None,
            tick: Callable[[int], None] | None = None) -> tuple[Wiki, list[Diagnostic]]:
    """Gather and lint (loading first unless parsed pages are given): the wiki and every diagnostic, sorted.
    tick(1) twice a page: once its related list is made, once it is linted (for a progress line)."""
    if parsed is None:
        parsed, problems = load(config)
    wiki, gather_problems = gather(config, parsed, tuple(discover_attachments(config.content_dir)), tick)
    gather_problems += unreadable_attachments(config.content_dir, wiki.attachments)
    return wiki, sorted((problems or []) + gather_problems + lint(wiki, tick), key=diag.sort_key)


def render_items(config: Config, wiki: Wiki, previous_keys: Mapping[str, str] | None = None,
                 progress: Callable[[int], None] | None = None,
                 records: PageRecords | None = None) -> Iterator[Output | Kept]:
    """Every file of the site, one at a time. A content page whose render key equals the one in
    `previous_keys` (the site being replaced) is not rendered again: it comes as Kept. `records`
    collects what the build state keeps of each page, made by the same workers."""
    renderer = Renderer(config, wiki)
    slugs = sorted(wiki.entries)
    also = (lambda slug: records.make(wiki, slug)) if records is not None else None
    for made in render_many(renderer, slugs, previous_keys, also):  # the expensive part, on every core
        if records is not None:
            item, record = made
            records.add(record)
        else:
            item = made
        yield item
        if progress:
            progress(1)
    search_rows = records.rows if records is not None else None
    yield from listing_outputs(wiki, renderer)
    yield graph_json(wiki, config.summary_length)
    yield search_index(wiki, search_rows)
    yield from graph_outputs(wiki, renderer)
    yield from asset_outputs(config)
    yield from attachment_outputs(config, wiki)
    yield from export_outputs(config, wiki)
    yield from recent_changes(wiki, renderer)


def build_site(config: Config, parsed: list[ParsedPage] | None = None, problems: list[Diagnostic] | None = None,
               previous_keys: Mapping[str, str] | None = None) -> Site:
    """The whole site in memory, with every diagnostic found on the way (writes nothing)."""
    wiki, problems = analyse(config, parsed, problems)
    items = list(render_items(config, wiki, previous_keys))
    return Site([i for i in items if isinstance(i, Output)], wiki, problems,
                reused=[i.out_path for i in items if isinstance(i, Kept)], keys={i.out_path: i.key for i in items if i.key})
