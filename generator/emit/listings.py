"""Generated pages: home (when there is no index.md), one per type and per tag, A–Z, wanted, orphans, 404."""

from __future__ import annotations

from generator import paths
from generator.emit import Output, html_output
from generator.emit.pages import home_extras
from generator.model import Wiki
from generator.paths import OutPath, relative_url
from generator.render import Card, Renderer, type_label


def _listing(renderer: Renderer, out: OutPath, title: str, kind: str, groups: list[tuple[str, list[Card]]], intro: str = "") -> Output:
    html = renderer.render("listing.html", out, title=title, kind=kind, groups=groups, intro=intro)
    return html_output(out, html)


def _cards(renderer: Renderer, slugs: list[str], out: OutPath) -> list[Card]:
    return [renderer.card(s, out) for s in slugs]


def type_pages(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """One listing per page type."""
    outs = []
    for type_name, slugs in wiki.types().items():
        out = paths.type_out_path(type_name)
        label = type_label(type_name)
        outs.append(_listing(renderer, out, f"{label} pages", "type", [("", _cards(renderer, slugs, out))],
                             intro=f"{len(slugs)} page{'s' if len(slugs) != 1 else ''} of type {label}."))
    return outs


def tag_pages(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """One listing per tag."""
    outs = []
    for tag, slugs in wiki.tags().items():
        out = paths.tag_out_path(tag)
        outs.append(_listing(renderer, out, f"Tag: {tag}", "tag", [("", _cards(renderer, slugs, out))],
                             intro=f"{len(slugs)} page{'s' if len(slugs) != 1 else ''} tagged {tag}."))
    return outs


def all_pages(wiki: Wiki, renderer: Renderer) -> Output:
    """Every page A–Z, grouped by first letter."""
    out = paths.ALL_PAGES
    groups: dict[str, list[Card]] = {}
    for slug in wiki.sorted_slugs():
        title = wiki.entries[slug].page.title
        first = title[:1].upper()
        letter = first if first.isalpha() else "#"
        groups.setdefault(letter, []).append(renderer.card(slug, out))
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] != "#", kv[0]))
    return _listing(renderer, out, "All pages", "all", ordered, intro=f"{len(wiki.entries)} pages, A–Z.")


def orphans(wiki: Wiki, renderer: Renderer) -> Output:
    """Pages no other page links to."""
    out = paths.ORPHANS
    slugs = wiki.orphans()
    return _listing(renderer, out, "Orphaned pages", "orphans", [("", _cards(renderer, slugs, out))],
                    intro="Pages that no other page links to." if slugs else "Every page is linked from another page.")


def wanted(wiki: Wiki, renderer: Renderer) -> Output:
    """Every missing page and who links to it; then every missing file (linked or embedded) and who names it."""
    out = paths.WANTED
    items: list[dict] = []
    files: list[dict] = []
    for item in wiki.wanted:
        refs = []
        for ref in item.refs:
            entry = wiki.entries[ref.slug]
            refs.append({"title": entry.page.title, "url": relative_url(out, entry.out_path),
                         "where": f"{ref.src_path}:{ref.line}" if ref.line else ref.src_path})
        (files if item.file else items).append({"target": item.target, "id": item.anchor, "refs": refs})
    html = renderer.render("wanted.html", out, title="Wanted pages", items=items, files=files)
    return html_output(out, html)


def home(wiki: Wiki, renderer: Renderer) -> Output:
    """The generated home page: pages by type and the most linked pages."""
    out = paths.HOME
    html = renderer.render("home.html", out, title=renderer.config.title, home=home_extras(wiki, renderer))
    return html_output(out, html)


def not_found(renderer: Renderer) -> Output:
    """404.html."""
    out = paths.NOT_FOUND
    return html_output(out, renderer.render("404.html", out, title="Page not found"))


def listing_outputs(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """Every generated page."""
    outs = [*type_pages(wiki, renderer), *tag_pages(wiki, renderer), all_pages(wiki, renderer),
            orphans(wiki, renderer), wanted(wiki, renderer), not_found(renderer)]
    if wiki.home_slug is None:
        outs.append(home(wiki, renderer))
    return outs
