"""gather(): every parsed page -> the Wiki: slugs, the Resolver, resolved links, red links, the graph and related lists."""

from __future__ import annotations

import dataclasses
from typing import Callable

from generator import diagnostics as diag
from generator import paths
from generator.config import Config
from generator.diagnostics import Diagnostic
from generator.parse.content import is_published
from generator.parse.links import missing_file_name, names_a_file, normalize, wanted_name
from generator.parse.page import ParsedPage
from generator.paths import SourcePath, Slug, page_out_path, path_slug, url_slug
from generator.wiki.graph import WikiGraph
from generator.wiki.mapping import ChunkMap, in_process
from generator.wiki.model import Entry, ResolvedLink, Wanted, WantedRef, Wiki, group_wanted
from generator.wiki.resolve import Resolver


def assign_slugs(parsed: list[ParsedPage]) -> tuple[dict[SourcePath, Slug], list[Diagnostic]]:
    """A unique slug per page: its `slug:`/`permalink:` when it has one, else its source path (paths.path_slug:
    `concepts/Foo.md` -> `concepts/foo`), so a title change never moves a page.

    Two pages on one URL: the later (by source path) is suffixed `-2`, `-3`, …, with a warning naming both when
    their paths slugify alike (`Foo Bar.md`, `foo-bar.md`) and an error when a `slug:`/`permalink:` claims the
    URL. A content folder named like one of kbwiki's own (tags/, types/, …) is written as `tags-2/` etc."""
    slugs: dict[SourcePath, Slug] = {}
    owner: dict[str, SourcePath] = {}
    chosen: set[SourcePath] = set()  # pages whose slug came from their front matter
    problems = []
    moved: dict[str, str] = {}  # a reserved top folder -> the folder its pages are written in
    sources = {item.page.src_path for item in parsed}
    for item in sorted(parsed, key=lambda p: p.page.src_path):
        page = item.page
        if page.src_path == "index.md" or (is_home_permalink(page) and "index.md" not in sources and "index" not in owner):
            slugs[page.src_path] = Slug("index")
            owner["index"] = page.src_path
            continue
        wanted = url_slug(str(page.meta.get("slug") or page.meta.get("permalink") or ""))
        if wanted:
            chosen.add(page.src_path)
        base = wanted or path_slug(page.src_path) or Slug("page")
        top, sep, rest = base.partition("/")
        if sep and top in paths.RESERVED_FOLDERS:
            if top not in moved:
                moved[top] = f"{top}-2"
                problems.append(diag.warning(page.src_path, "reserved-folder",
                                             f"folder '{top}/' is where kbwiki writes its own pages; pages in it are written under {moved[top]}/",
                                             hint="Rename the folder to choose another name."))
            base = Slug(f"{moved[top]}/{rest}")
        slug, n = base, 1
        while slug in owner or slug in paths.RESERVED_SLUGS:
            n += 1
            slug = Slug(f"{base}-{n}")
        if slug != base:
            other = owner.get(base, "")
            clash = f"page {other}" if other else "a page kbwiki generates"
            claimed = page.src_path in chosen or other in chosen
            report = diag.error if claimed else diag.warning
            problems.append(report(page.src_path, "duplicate-slug",
                                   f"URL '{base}.html' is already taken by {clash}; this page is written as {slug}.html",
                                   hint="Give one of them another `slug:`." if claimed else "Rename one of the files."))
        slugs[page.src_path] = slug
        owner[slug] = page.src_path
    return slugs, problems


def is_home_permalink(page) -> bool:
    """`permalink: /` (Obsidian Publish's home page) or `permalink: index`."""
    return str(page.meta.get("permalink", "")).strip() in ("/", "index", "/index", "index.html")


def duplicate_names(parsed: list[ParsedPage]) -> list[Diagnostic]:
    """Two pages with one alias or id (case-insensitive): a warning naming both files (links by it go to one of
    them by Obsidian's rule). Two pages with one title are ordinary (Obsidian allows it): a link that could mean
    either is reported where it is written, as an ambiguous link."""
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for item in sorted(parsed, key=lambda p: p.page.src_path):
        page = item.page
        names = [("alias", a) for a in page.aliases]
        if page.declared_id:
            names.append(("id", page.declared_id))
        written = {}
        for kind, n in names:
            written.setdefault((kind, normalize(n)), n)
        for kind, name in written:
            if (kind, name) in seen and seen[kind, name] != page.src_path:
                problems.append(diag.warning(page.src_path, f"duplicate-{kind}",
                                             f"{kind} '{written[kind, name]}' is also used by {seen[kind, name]}",
                                             hint="Links to it go to the page in the linking page's folder, else the shorter path."))
            else:
                seen.setdefault((kind, name), page.src_path)
    return problems


SUGGESTED_PER_PAGE = 20  # broken links of one page that get a "did you mean" hint (a page with 50,000 gets 20)


def resolve_links(parsed: list[ParsedPage], slugs: dict[SourcePath, Slug], resolver: Resolver,
                  map_chunks: ChunkMap = in_process) -> tuple[dict[SourcePath, tuple[ResolvedLink, ...]], list[Wanted], list[Diagnostic]]:
    """Resolve every link ref (through `map_chunks`: on every core in a build); gather red links into Wanted entries and report them."""
    canonical = {slug: slug for slug in slugs.values()}  # workers' slugs come back as copies: keep one of each
    resolved: dict[SourcePath, tuple[ResolvedLink, ...]] = {}
    wanted: list[tuple[bool, WantedRef]] = []
    problems: list[Diagnostic] = []
    broken: list[tuple[int, str]] = []  # (index in problems, target) of each broken link: its hint comes later
    pages = map_chunks(lambda chunk: [_resolve_page(parsed[i], slugs, resolver) for i in chunk], list(range(len(parsed))))
    for item, (targets, missing, found_problems, broken_at) in zip(parsed, pages):
        src = item.page.src_path
        resolved[src] = tuple(ResolvedLink(ref, canonical[slug] if slug else None, attachment)
                              for ref, (slug, attachment) in zip(item.refs, targets))
        wanted += [(file, WantedRef(slugs[src], src, line, name)) for name, file, line in missing]
        broken += [(len(problems) + at, target) for at, target in broken_at]
        problems += found_problems
    _suggest(problems, broken, resolver, map_chunks)
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
                problems.append(diag.warning(src, "missing-attachment", f"{'link' if ref.syntax == 'markdown' else 'embed'} {_shown(ref)} -> no such file in the content folder.",
                                           ref.line, ref.column))
            continue
        slug = slugs[found.src_path] if found.src_path else None
        targets.append((slug, ""))
        if found.candidates and found.ambiguous:
            problems.append(diag.warning(src, "ambiguous-link", f"link {_shown(ref)} matches {len(found.candidates)} pages by {found.rule}: "
                                       + ", ".join(found.candidates) + f"; it goes to {found.src_path}", ref.line, ref.column,
                                       hint="Link by path ([[folder/name]]) to choose one."))
        if slug is None:
            missing.append((wanted_name(ref), False, ref.line))
            if len(broken) < SUGGESTED_PER_PAGE:
                broken.append((len(problems), ref.target))
            problems.append(diag.warning(src, "broken-link", f"link {_shown(ref)} -> no page.", ref.line, ref.column))
    return targets, missing, problems, broken


def _suggest(problems: list[Diagnostic], broken: list[tuple[int, str]], resolver: Resolver, map_chunks: ChunkMap) -> None:
    """'Did you mean …' hints for the broken links (each target once, through `map_chunks`)."""
    if not broken:
        return
    suggester = resolver.suggester()
    targets = list(dict.fromkeys(target for _, target in broken))
    close = suggester.known(targets)  # a rebuild after an edit asks again for the same targets
    todo = [t for t in targets if t not in close]
    if todo:
        suggester.prepare()  # built here: forked workers share it
        found = dict(zip(todo, map_chunks(lambda chunk: [suggester.suggest(t) for t in chunk], todo)))
        suggester.learn(found)  # kept in the parent (and the build state), not only in the workers
        suggester.release()
        close.update(found)
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
           tick: Callable[[int], None] | None = None, map_chunks: ChunkMap = in_process) -> tuple[Wiki, list[Diagnostic]]:
    """Slugs, resolution, the graph and related lists from parsed pages; tick(1) after each page's related list."""
    parsed = [p for p in parsed if is_published(p.page)]
    slugs, problems = assign_slugs(parsed)
    problems += duplicate_names(parsed)
    pages = [p.page for p in parsed]
    resolver = Resolver(pages, slugs, files)
    resolved, wanted, link_problems = resolve_links(parsed, slugs, resolver, map_chunks)
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
    for slug, found in zip(order, map_chunks(lambda chunk: [graph.related(s, config.related_count, config.related_hub_limit)
                                                             for s in chunk], order)):
        related[slug] = found
        if tick:
            tick(1)
    home = Slug("index") if "index" in entries else None
    wiki = Wiki(entries=entries, graph=graph, related=related, wanted=wanted, resolver=resolver,
                home_slug=home, by_src={src: slug for src, slug in slugs.items()},
                attachments=tuple(sorted({link.attachment for e in entries.values() for link in e.links if link.attachment})))
    return wiki, problems
