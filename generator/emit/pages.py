"""Content pages: each page's body with resolved links, sources, backlinks and related articles."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterator

from generator import paths
from generator.emit import Output
from generator.emit.graph_view import LOCAL_LIMIT, local_graph
from generator.links import LinkRef, looks_like_reference, normalize
from generator.markdown import LinkTarget, fill_links, heading_id
from generator.model import Entry, Wiki
from generator.paths import OutPath, relative_url
from generator.render import Link, PageView, Renderer, Source, type_label


def heading_fragment(entry: Entry, fragment: str) -> str:
    """The anchor id a `#Heading` fragment names on a page: a heading's id, matched by text or id."""
    if not fragment:
        return ""
    wanted = normalize(fragment.lstrip("^"))
    for heading in entry.parsed.body.headings:
        if normalize(heading.text) == wanted or heading.id == fragment:
            return heading.id
    return heading_id(fragment.lstrip("^"))


def link_target(wiki: Wiki, entry: Entry, syntax: str, target: str, fragment: str) -> LinkTarget:
    """Where a placeholder in `entry`'s body points: the page (and heading), or its Wanted entry."""
    ref = LinkRef(target, fragment, syntax="markdown" if syntax == "m" else "wiki",
                  base=paths_base(entry.page.src_path))
    found = wiki.resolver.resolve(ref, entry.page.src_path)
    if found.src_path is None:
        return LinkTarget(relative_url(entry.out_path, paths.WANTED, paths.wanted_anchor(target)),
                          missing=True, title=f"Page not found: {target}")
    other = wiki.entries[wiki.by_src[found.src_path]]
    anchor = heading_fragment(other, fragment)
    if other is entry:
        return LinkTarget("#" + anchor if anchor else relative_url(entry.out_path, entry.out_path))
    return LinkTarget(relative_url(entry.out_path, other.out_path, anchor))


def paths_base(src_path: str) -> str:
    return src_path.rsplit("/", 1)[0] if "/" in src_path else ""


def body_html(wiki: Wiki, entry: Entry, targets: dict | None = None) -> str:
    """The page body with every link placeholder resolved."""
    if targets is None:
        targets = link_targets(wiki, entry)
    return fill_links(entry.parsed.body.html, lambda s, t, f: targets[(s, t, f)])


def sources(wiki: Wiki, entry: Entry) -> tuple[Source, ...]:
    """The Sources list: page references linked (or red), URLs linked, free text as it is."""
    out = []
    for text in entry.page.sources:
        if text.startswith(("http://", "https://")):
            out.append(Source(text, text))
        elif looks_like_reference(text):
            name = text[2:-2] if text.startswith("[[") else text
            found = wiki.resolver.resolve_name(name.split("|")[0], paths_base(entry.page.src_path), allow_relative=True)
            if found.src_path is None:
                out.append(Source(name, relative_url(entry.out_path, paths.WANTED, paths.wanted_anchor(name)), missing=True))
            else:
                other = wiki.entries[wiki.by_src[found.src_path]]
                out.append(Source(other.page.title, relative_url(entry.out_path, other.out_path)))
        else:
            out.append(Source(text))
    return tuple(out)


def page_view(wiki: Wiki, renderer: Renderer, entry: Entry, is_home: bool = False, targets: dict | None = None) -> PageView:
    """The view-model of one content page."""
    page, out = entry.page, entry.out_path
    return PageView(
        title=page.title, type=page.type, type_label=type_label(page.type),
        type_url=relative_url(out, paths.type_out_path(page.type)), src_path=page.src_path,
        body=body_html(wiki, entry, targets), headings=entry.parsed.body.headings,
        tags=tuple(Link(tag, relative_url(out, paths.tag_out_path(tag))) for tag in page.tags),
        aliases=page.aliases, sources=sources(wiki, entry),
        backlinks=tuple(renderer.card(s, out) for s in wiki.graph.backlinks(entry.slug)),
        related=tuple(renderer.card(r.slug, out, r.reason) for r in wiki.related.get(entry.slug, [])),
        created=page.created, updated=page.updated, summary=page.summary, meta=page.meta, is_home=is_home,
    )


@dataclass(frozen=True, slots=True)
class PagePlan:
    """A content page ready to render; its key changes whenever anything its HTML shows changes."""

    out_path: OutPath
    key: str
    wiki: Wiki
    renderer: Renderer
    entry: Entry
    targets: dict

    def render(self) -> Output:
        is_home = self.entry.slug == self.wiki.home_slug
        view = page_view(self.wiki, self.renderer, self.entry, is_home, self.targets)
        html = self.renderer.render("page.html", self.out_path, page=view,
                                    home=home_extras(self.wiki, self.renderer) if is_home else None,
                                    local_graph=local_graph(self.wiki, self.entry.slug, self.out_path))
        return Output(self.out_path, html.encode("utf-8"), self.key)


def link_targets(wiki: Wiki, entry: Entry) -> dict[tuple[str, str, str], LinkTarget]:
    """Where each link placeholder of the page's body points."""
    return {ph: link_target(wiki, entry, *ph) for ph in entry.parsed.body.placeholders}


def page_key(wiki: Wiki, renderer: Renderer, entry: Entry, targets: dict) -> str:
    """A hash over every input of a page's HTML, computed without building its view.

    The page's own bytes; where its links and sources point; the cards (type, title, URL, summary) of
    its backlinks, related articles and graph neighbours, and the reasons; the neighbours' links among
    themselves (the local graph); the nav; the theme, config and version. The home page lists the
    whole wiki, so it has no key and is always rendered.
    """
    if entry.slug == wiki.home_slug:
        return ""
    graph = wiki.graph
    slug = entry.slug
    card = renderer.card_key
    neighbours = sorted(set(graph.outlinks(slug)) | set(graph.backlinks(slug)))
    between = [(a, b) for a in neighbours for b in graph._succ[a] if b in graph._succ_set[slug] or b in graph._pred_set[slug]]
    parts = (
        renderer.fingerprint, entry.parsed.digest, entry.out_path,
        sorted(targets.items()), sources(wiki, entry),
        [card(s) for s in graph.backlinks(slug)],
        [(card(r.slug), r.reason) for r in wiki.related.get(slug, [])],
        [(card(s), graph.graph.has_edge(slug, s), graph.graph.has_edge(s, slug)) for s in neighbours], between,
        # which neighbours the local graph shows depends on their backlink counts once there are too many
        [graph.graph.in_degree(s) for s in neighbours] if len(neighbours) > LOCAL_LIMIT else None,
        renderer.nav(entry.out_path),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def page_plan(wiki: Wiki, renderer: Renderer, entry: Entry) -> PagePlan:
    """One content page, keyed, not yet rendered."""
    targets = link_targets(wiki, entry)
    return PagePlan(entry.out_path, page_key(wiki, renderer, entry, targets), wiki, renderer, entry, targets)


def page_output(wiki: Wiki, renderer: Renderer, entry: Entry) -> Output:
    """One content page as HTML."""
    return page_plan(wiki, renderer, entry).render()


HOME_PER_TYPE = 12  # the home page shows the most linked pages of each type, then links to the listing


def home_extras(wiki: Wiki, renderer: Renderer) -> dict:
    """What the home page lists besides its own text: pages by type, the most linked pages."""
    out = paths.HOME
    return {
        "types": [(type_label(t), relative_url(out, paths.type_out_path(t)), len(slugs),
                   [renderer.card(s, out) for s in sorted(slugs, key=lambda s: -wiki.graph.graph.in_degree(s))[:HOME_PER_TYPE]])
                  for t, slugs in wiki.types().items()],
        "most_linked": [renderer.card(s, out, count=wiki.graph.graph.in_degree(s))
                        for s in wiki.graph.most_linked(10) if wiki.graph.graph.in_degree(s)],
    }


def page_plans(wiki: Wiki, renderer: Renderer) -> Iterator[PagePlan]:
    """Every content page, planned, one at a time."""
    return (page_plan(wiki, renderer, wiki.entries[slug]) for slug in sorted(wiki.entries))


def page_outputs(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """Every content page, rendered."""
    return [plan.render() for plan in page_plans(wiki, renderer)]
