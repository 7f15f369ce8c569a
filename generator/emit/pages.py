"""Content pages: each page's body with resolved links, sources, backlinks and related articles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Iterator

import jinja2

from generator import diagnostics as diag
from generator import paths
from generator.emit import Kept, Output
from generator.emit.graph_view import Neighbourhood, local_graph, neighbourhood
from generator.parse.links import LinkRef, looks_like_reference, normalize
from generator.parse.content import css_classes
from generator.parse.links import has_extension, missing_file_name, names_a_file, split_wiki_target, wanted_name
from generator.parse.markdown import Embed, LinkTarget, fill_embeds, fill_links, heading_id
from generator.parse.highlight import has_diagram
from generator.parse.math import has_math
from generator.parse.obsidian import block_anchor
from generator.wiki.model import Entry, Wiki
from generator.wiki.rules import source_target
from generator.paths import OutPath, relative_url, slugify
from generator.emit.render import Link, PageView, Renderer, Source, type_colour, type_label
from generator.emit.backlinks import Shown, card_context, context_key, link_contexts


EMBED_DEPTH = 3  # notes embedded in embedded notes, at most this deep; deeper ones (and cycles) become links
IMAGE_EXTS = frozenset({"png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "avif", "ico", "tif", "tiff"})
AUDIO_EXTS = frozenset({"mp3", "wav", "m4a", "ogg", "oga", "opus", "flac", "3gp"})
VIDEO_EXTS = frozenset({"mp4", "webm", "ogv", "mov", "mkv", "m4v"})


def heading_fragment(entry: Entry, fragment: str) -> str:
    """The anchor id a fragment names on a page: `^block` ids, else a heading matched by text or id.

    Obsidian's nested `#Heading#Subheading` names the last heading."""
    if not fragment:
        return ""
    if fragment.startswith("^"):
        return block_anchor(fragment)
    fragment = fragment.rsplit("#", 1)[-1].strip()
    wanted = normalize(fragment)
    for heading in entry.parsed.body.headings:
        if normalize(heading.text) == wanted or heading.id == fragment:
            return heading.id
    return heading_id(fragment)


def link_target(wiki: Wiki, entry: Entry, syntax: str, target: str, fragment: str, out: OutPath | None = None) -> LinkTarget:
    """Where a placeholder in `entry`'s body points (its URL relative to `out`): a page, heading, tag, file or Wanted entry."""
    out = out or entry.out_path
    if syntax == "t":
        return LinkTarget(relative_url(out, paths.tag_out_path(target)), css="tag")
    ref = LinkRef(target, fragment, syntax="markdown" if syntax == "m" else "wiki",
                  base=entry.page.folder)
    found = wiki.resolver.resolve(ref, entry.page.src_path)
    if found.attachment:
        return LinkTarget(relative_url(out, paths.attachment_out_path(found.src_path)))
    if found.src_path is None and names_a_file(ref):  # a missing file: listed under the Wanted page's Missing files
        return LinkTarget(relative_url(out, paths.WANTED, paths.wanted_anchor(missing_file_name(ref), file=True)), missing=True,
                          title=f"File not found: {target}")
    if found.src_path is None or found.src_path not in wiki.by_src:
        return LinkTarget(relative_url(out, paths.WANTED, paths.wanted_anchor(wanted_name(ref))),
                          missing=True, title=f"Page not found: {target}")
    other = wiki.entries[wiki.by_src[found.src_path]]
    anchor = heading_fragment(other, fragment)
    if other.out_path == out:
        return LinkTarget("#" + anchor if anchor else relative_url(out, out))
    return LinkTarget(relative_url(out, other.out_path, anchor))


def fill_body(wiki: Wiki, entry: Entry, out: OutPath, chain: tuple[str, ...] = ()) -> str:
    """`entry`'s body with every placeholder filled, URLs relative to `out` (the page it is shown on)."""
    chain = chain or (entry.page.src_path,)
    html = fill_embeds(entry.parsed.body.html, lambda embed: embed_html(wiki, entry, out, embed, chain))
    return fill_links(html, lambda s, t, f: link_target(wiki, entry, s, t, f, out))


def body_html(wiki: Wiki, entry: Entry, targets: dict | None = None) -> str:
    """The page body with every placeholder resolved (embeds first: what they show is filled in their own context)."""
    if targets is None:
        targets = link_targets(wiki, entry)
    chain = (entry.page.src_path,)
    html = fill_embeds(entry.parsed.body.html, lambda embed: embed_html(wiki, entry, entry.out_path, embed, chain))
    return fill_links(html, lambda s, t, f: targets[(s, t, f)])


def has_embeds(entry: Entry) -> bool:
    """Whether the body shows other pages or files: its HTML then depends on more than its own text."""
    return entry.parsed.body.embeds or entry.parsed.body.images


def embed_html(wiki: Wiki, entry: Entry, out: OutPath, embed: Embed, chain: tuple[str, ...]) -> str:
    """What an embed shows: the image, audio, video or file link; or the note (or its section) inline."""
    base = entry.page.folder
    ref = LinkRef(embed.target, embed.fragment, syntax="image" if embed.image else "embed", base=base)
    found = wiki.resolver.resolve(ref, entry.page.src_path)
    label = escape(embed.label or embed.target)
    if found.attachment:
        return media_html(relative_url(out, paths.attachment_out_path(found.src_path)), found.src_path, embed)
    if found.src_path is None or found.src_path not in wiki.by_src:
        if embed.image or has_extension(embed.target):
            return f'<span class="embed-missing" title="File not found: {escape(embed.target)}">{label}</span>'
        href = relative_url(out, paths.WANTED, paths.wanted_anchor(wanted_name(ref)))
        return f'<a class="wikilink missing" href="{href}" title="Page not found: {escape(embed.target)}">{label}</a>'
    other = wiki.entries[wiki.by_src[found.src_path]]
    target = link_target(wiki, entry, "w", embed.target, embed.fragment, out)
    link = f'<a class="wikilink" href="{escape(target.href)}">{label}</a>'
    if len(chain) >= EMBED_DEPTH or other.page.src_path in chain:
        return link
    html = fill_body(wiki, other, out, chain + (other.page.src_path,))
    if embed.fragment:
        html = fragment_html(html, heading_fragment(other, embed.fragment))
        if not html:
            return link
    title = escape(other.page.title + (f" › {embed.fragment.lstrip('^')}" if embed.fragment else ""))
    return (f'<div class="embed embed-note"><p class="embed-title"><a class="wikilink" href="{escape(target.href)}">{title}</a></p>\n'
            f'{html}</div>')


def media_html(url: str, src_path: str, embed: Embed) -> str:
    """An attachment shown by kind: <img>, <audio>, <video>, else a link (PDFs and other files)."""
    ext = src_path.rsplit(".", 1)[-1].casefold() if "." in src_path else ""
    name = escape(src_path.rsplit("/", 1)[-1])
    css = "embed-file" + (f" embed-{slugify(embed.fragment)}" if embed.fragment and not embed.fragment.startswith(("page=", "height=")) else "")
    src = escape(url)
    if ext in IMAGE_EXTS:
        width, _, height = embed.size.partition("x")
        size = (f' width="{width}"' if width else "") + (f' height="{height}"' if height else "")
        alt = escape(embed.label if embed.label and embed.label != embed.target else "")
        return f'<img class="{css}" src="{src}" alt="{alt}"{size} loading="lazy">'
    if ext in AUDIO_EXTS:
        return f'<audio class="{css}" controls src="{src}"><a href="{src}">{name}</a></audio>'
    if ext in VIDEO_EXTS:
        return f'<video class="{css}" controls src="{src}"><a href="{src}">{name}</a></video>'
    return f'<a class="{css}" href="{src}">{escape(embed.label) if embed.label and embed.label != embed.target else name}</a>'


_OPEN_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")


def fragment_html(html: str, anchor: str) -> str:
    """The part of a rendered body an embed fragment names: a heading's section, or the block with that id.

    The HTML is our own Python-Markdown output (well-formed, attributes quoted), so a scan of its tags is exact."""
    start = re.search(r'<(h([1-6])|[a-z]+[0-9]?)\b[^>]*\sid="' + re.escape(escape(anchor)) + '"', html)
    if not start:
        return ""
    if start.group(2):  # a heading: up to the next heading of its level or higher
        stop = re.compile(r"<h[1-" + start.group(2) + r"][\s>]").search(html, start.end())
        return html[start.start(): stop.start() if stop else len(html)]
    tag, depth = start.group(1), 0
    for m in _OPEN_TAG.finditer(html, start.start()):
        if m.group(2) != tag or m.group(3):
            continue
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return html[start.start(): m.end()]
    return ""


def sources(wiki: Wiki, entry: Entry) -> tuple[Source, ...]:
    """The Sources list: page references linked (or red), URLs linked, free text as it is."""
    out = []
    for text in entry.page.sources:
        if text.startswith(("http://", "https://")):
            out.append(Source(text, text))
        elif looks_like_reference(text):
            name, target = source_target(wiki, entry, text)
            if target is None:
                shown = wanted_name(LinkRef(split_wiki_target(name)[0], syntax="front-matter"))
                out.append(Source(name, relative_url(entry.out_path, paths.WANTED, paths.wanted_anchor(shown)), missing=True))
            else:
                other = wiki.entries[target]
                out.append(Source(other.page.title, relative_url(entry.out_path, other.out_path)))
        else:
            out.append(Source(text))
    return tuple(out)


def shown_backlinks(wiki: Wiki, limit: int, slug: str) -> tuple[list[str], int]:
    """The pages a page lists under "N articles link here" (the first `limit` by title; 0: all) and N."""
    every = wiki.graph.backlinks(slug)
    return (every[:limit] if limit else every), len(every)


def backlinks_cut(limit: int, count: int) -> bool:
    """Whether a page with `count` backlinks shows only the first `limit` (0: all) and links to the full list."""
    return 0 < limit < count


def backlinks_link(entry: Entry, limit: int, count: int) -> str:
    """The URL of a page's full list of backlinks when the page shows only the first ones (else "")."""
    return links_here_link(entry, count) if backlinks_cut(limit, count) else ""


def links_here_link(entry: Entry, count: int) -> str:
    """The URL of a page's full list of backlinks, with their contexts ("" for a page no page links to)."""
    return relative_url(entry.out_path, paths.backlinks_out_path(entry.slug)) if count else ""


def page_view(wiki: Wiki, renderer: Renderer, entry: Entry, is_home: bool = False, targets: dict | None = None,
              backlinks: tuple[list[str], int] | None = None, page_sources: tuple[Source, ...] | None = None,
              contexts: list[Shown] | None = None) -> PageView:
    """The view-model of one content page. `backlinks`: shown_backlinks() of the page; `contexts`: their
    link_contexts()."""
    page, out = entry.page, entry.out_path
    shown, count = shown_backlinks(wiki, renderer.config.backlinks_shown, entry.slug) if backlinks is None else backlinks
    if contexts is None:
        contexts = link_contexts(wiki, shown, entry.slug)
    visible = renderer.config.backlink_context
    body = body_html(wiki, entry, targets)
    return PageView(
        title=page.title, type=page.type, type_label=type_label(page.type), type_colour=type_colour(wiki, page.type),
        type_url=relative_url(out, paths.type_out_path(page.type)), src_path=page.src_path,
        body=body, headings=entry.parsed.body.headings,
        tags=tuple(Link(tag, relative_url(out, paths.tag_out_path(tag))) for tag in page.tags),
        aliases=page.aliases, sources=sources(wiki, entry) if page_sources is None else page_sources,
        backlinks=tuple(renderer.card(s, out, context=card_context(c, visible)) for s, c in zip(shown, contexts)),
        backlink_count=count, backlinks_url=backlinks_link(entry, renderer.config.backlinks_shown, count),
        links_here_url=links_here_link(entry, count),
        related=tuple(renderer.card(r.slug, out, r.reason) for r in wiki.related.get(entry.slug, [])),
        created=page.created, updated=page.updated, summary=page.summary, meta=page.meta, is_home=is_home,
        css_classes=css_classes(page), math=has_math(body), diagrams=has_diagram(body),
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
    backlinks: tuple[list[str], int]  # shown_backlinks()
    sources: tuple[Source, ...]
    around: Neighbourhood
    contexts: list[Shown]  # how each shown backlink links here (link_contexts())

    def render(self) -> Output:
        is_home = self.entry.slug == self.wiki.home_slug
        view = page_view(self.wiki, self.renderer, self.entry, is_home, self.targets, self.backlinks, self.sources,
                         self.contexts)
        html = self.renderer.render("page.html", self.out_path, page=view,
                                    home=home_extras(self.wiki, self.renderer) if is_home else None,
                                    local_graph=local_graph(self.wiki, self.entry.slug, self.out_path, self.around))
        return Output(self.out_path, html.encode("utf-8"), self.key)


def render_page(wiki: Wiki, renderer: Renderer, entry: Entry, previous_key: str = "") -> Output | Kept:
    """A content page: Kept when its render key equals `previous_key`, else rendered. A page whose rendering
    raises comes out as a placeholder naming the error, carrying an error diagnostic: it never stops the build."""
    try:
        plan = page_plan(wiki, renderer, entry)
        if plan.key and previous_key == plan.key:
            return Kept(plan.out_path, plan.key)
        return plan.render()
    except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound):
        raise  # the theme is broken, not this page: every page would be wrong (serve keeps the last good site)
    except Exception as exc:  # noqa: BLE001 - one page must never stop the build; the error is reported
        return unrendered_page(entry, f"page could not be rendered: {type(exc).__name__}: {exc}")


def unrendered_page(entry: Entry, reason: str) -> Output:
    """The placeholder written for a page that could not be rendered: its title and the reason, on the theme's
    stylesheet, with no render key (the next build tries again)."""
    title = escape(entry.page.title)
    style = relative_url(entry.out_path, f"{paths.ASSETS}/style.css")
    html = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
            f'<link rel="stylesheet" href="{style}">\n</head>\n<body>\n<main id="content">\n<h1>{title}</h1>\n'
            f'<div class="callout callout-warning" data-callout="warning"><div class="callout-title">This page could not '
            f'be rendered</div><div class="callout-content"><p>{escape(reason)}</p></div></div>\n</main>\n</body>\n</html>\n')
    return Output(entry.out_path, html.encode("utf-8"), "", diag.error(entry.page.src_path, "page-failed", reason,
                                                                      hint="Please report it with the page and your theme."))


def link_targets(wiki: Wiki, entry: Entry) -> dict[tuple[str, str, str], LinkTarget]:
    """Where each link placeholder of the page's body points."""
    return {ph: link_target(wiki, entry, *ph) for ph in entry.parsed.body.placeholders}


def page_key(wiki: Wiki, renderer: Renderer, entry: Entry, targets: dict, page_sources: tuple[Source, ...],
             backlinks: tuple[list[str], int], around: Neighbourhood, contexts: list[Shown]) -> str:
    """A hash over every input of a page's HTML, computed without building its view.

    The page's own path and bytes (and, when it embeds, its filled body); where its links and sources
    point; the cards (type, title, URL, summary) of the backlinks it shows, with the context of each (how
    it links here), and their count; the cards of its related
    articles and of the neighbours its local graph shows, the reasons, how it links with them and they
    among themselves; the nav; the theme, config and version. The home page lists the whole wiki, so it
    has no key and is always rendered.
    """
    if entry.slug == wiki.home_slug:
        return ""
    card = renderer.card_key
    return renderer.key(entry.out_path, (
        entry.page.src_path, entry.parsed.digest,
        body_html(wiki, entry, targets) if has_embeds(entry) else None,  # embeds show other pages' current text
        sorted(targets.items()), page_sources,
        [(card(s), context_key(c)) for s, c in zip(backlinks[0], contexts)], backlinks[1],
        [(card(r.slug), r.reason) for r in wiki.related.get(entry.slug, [])],
        [card(s) for s in around.shown], around.kinds, around.between, around.more,
    ))


def page_plan(wiki: Wiki, renderer: Renderer, entry: Entry) -> PagePlan:
    """One content page, keyed, not yet rendered."""
    targets = link_targets(wiki, entry)
    backlinks = shown_backlinks(wiki, renderer.config.backlinks_shown, entry.slug)
    page_sources = sources(wiki, entry)
    around = neighbourhood(wiki, entry.slug)
    contexts = link_contexts(wiki, backlinks[0], entry.slug)
    return PagePlan(entry.out_path, page_key(wiki, renderer, entry, targets, page_sources, backlinks, around, contexts),
                    wiki, renderer, entry, targets, backlinks, page_sources, around, contexts)


def page_output(wiki: Wiki, renderer: Renderer, entry: Entry) -> Output:
    """One content page as HTML."""
    return page_plan(wiki, renderer, entry).render()


HOME_PER_TYPE = 12  # the home page shows the most linked pages of each type, then links to the listing


def home_extras(wiki: Wiki, renderer: Renderer) -> dict:
    """What the home page lists besides its own text: pages by type, the most linked pages."""
    out = paths.HOME
    return {
        "types": [(type_label(t), relative_url(out, paths.type_out_path(t)), len(slugs),
                   [renderer.card(s, out) for s in sorted(slugs, key=lambda s: -wiki.graph.in_degree(s))[:HOME_PER_TYPE]])
                  for t, slugs in wiki.types().items()],
        "most_linked": [renderer.card(s, out, count=wiki.graph.in_degree(s))
                        for s in wiki.graph.most_linked(10) if wiki.graph.in_degree(s)],
    }


def page_plans(wiki: Wiki, renderer: Renderer) -> Iterator[PagePlan]:
    """Every content page, planned, one at a time."""
    return (page_plan(wiki, renderer, wiki.entries[slug]) for slug in sorted(wiki.entries))


def page_outputs(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """Every content page, rendered."""
    return [plan.render() for plan in page_plans(wiki, renderer)]
