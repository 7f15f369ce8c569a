"""Generated pages: home (when there is no index.md), one per type and per tag, A–Z, wanted, orphans, 404,
and the full list of what links to each page, with how each links there. Every listing of cards
(a type, a tag, a page's backlinks, A–Z, orphans) is paginated: `listing_page_size` cards a page."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterable, Mapping, TypeVar

from generator import paths
from generator.config import Config
from generator.emit import Kept, Output, html_output
from generator.emit.backlinks import card_context, context_key, link_contexts
from generator.emit.pages import home_extras
from generator.wiki.model import Wiki
from generator.paths import OutPath, relative_url
from generator.emit.render import Card, Link, Renderer, type_label


@dataclass(frozen=True, slots=True)
class Pager:
    """Where one page of a paginated listing sits among the others (URLs relative to it; "" where there is none)."""

    number: int
    count: int
    first: str = ""  # only when it is not also the previous page (likewise last and next)
    previous: str = ""
    next: str = ""
    last: str = ""


def _listing(renderer: Renderer, out: OutPath, title: str, kind: str, groups: list[tuple[str, list[Card]]], intro: str = "",
             pager: Pager | None = None, subject: Link | None = None, letters: list[Link] | None = None,
             anchors: dict[str, str] | None = None) -> Output:
    """One listing page. `letters`, `anchors`: the A–Z pages' letter links and each heading's id."""
    html = renderer.render("listing.html", out, title=title, kind=kind, groups=groups, intro=intro, pager=pager,
                           subject=subject, letters=letters or [], anchors=anchors or {})
    return html_output(out, html)


def _cards(renderer: Renderer, slugs: list[str], out: OutPath) -> list[Card]:
    return [renderer.card(s, out) for s in slugs]


def pages_of(count: int, size: int) -> list[tuple[int, int]]:
    """The (start, end) of each page when `count` items are shown `size` a page (0: all on one page); at least one."""
    if not size or count <= size:
        return [(0, count)]
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def pager(first: OutPath, number: int, count: int) -> Pager | None:
    """Page `number` of `count` of the listing whose first page is `first` (None for a listing of one page)."""
    if count <= 1:
        return None
    out = paths.listing_page_path(first, number)

    def url(n: int) -> str:
        return relative_url(out, paths.listing_page_path(first, n)) if 1 <= n <= count and n != number else ""
    return Pager(number, count, url(1) if number > 2 else "", url(number - 1), url(number + 1),
                 url(count) if number < count - 1 else "")


Previous = Mapping[str, str] | None  # the render key of each file of the site being replaced (None: render all)


def listing_page(renderer: Renderer, first: OutPath, number: int, title: str, kind: str, slugs: list[str], intro: str,
                 subject: str | None = None, draw: Callable[[list[str], OutPath], list[Card]] | None = None,
                 card_keys: list | None = None, previous: Previous = None) -> Output | Kept:
    """Page `number` of a listing of cards split `listing_page_size` a page: first, first/2.html, first/3.html, …
    `subject`: the slug of the page the listing is about (its intro ends in a link there); `draw`: the cards
    of some of `slugs` on the page `out` (default: their plain cards), and `card_keys` what each of those
    shows (default: card_key()). The page comes with its render key (Renderer.key()): as Kept, unrendered,
    when `previous` has that key for it."""
    spans = pages_of(len(slugs), renderer.config.listing_page_size)
    start, end = spans[number - 1]
    out = paths.listing_page_path(first, number)
    shown = title if number == 1 else f"{title} (page {number} of {len(spans)})"
    about = None
    if subject:
        entry = renderer.wiki.entries[subject]
        about = Link(entry.page.title, relative_url(out, entry.out_path))
    at = pager(first, number, len(spans))
    if card_keys is None:
        card_keys = [renderer.card_key(s) for s in slugs[start:end]]
    key = renderer.key(out, ("listing", shown, kind, intro, at, about, card_keys))  # the nav colours the cards
    if previous is not None and previous.get(out) == key:
        return Kept(out, key)
    cards = (draw or partial(_cards, renderer))(slugs[start:end], out)
    made = _listing(renderer, out, shown, kind, [("", cards)], intro, at, about)
    return Output(out, made.data, key)


def paged_listing(renderer: Renderer, first: OutPath, title: str, kind: str, slugs: list[str], intro: str,
                  previous: Previous = None) -> list[Output | Kept]:
    """Every page of a listing (listing_page())."""
    count = len(pages_of(len(slugs), renderer.config.listing_page_size))
    return [listing_page(renderer, first, number, title, kind, slugs, intro, previous=previous) for number in range(1, count + 1)]


def type_pages(wiki: Wiki, renderer: Renderer, previous: Previous = None) -> list[Output | Kept]:
    """One listing per page type."""
    outs = []
    for type_name, slugs in wiki.types().items():
        label = type_label(type_name)
        outs += paged_listing(renderer, paths.type_out_path(type_name), f"{label} pages", "type", slugs,
                              intro=f"{len(slugs)} page{'s' if len(slugs) != 1 else ''} of type {label}.", previous=previous)
    return outs


def tag_pages(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """One listing per tag."""
    return [output for tag, slugs in wiki.tags().items() for output in paged_tag(wiki, renderer, tag, slugs)]


def paged_tag(wiki: Wiki, renderer: Renderer, tag: str, slugs: list[str], previous: Previous = None) -> list[Output | Kept]:
    """The listing of one tag."""
    return paged_listing(renderer, paths.tag_out_path(tag), f"Tag: {tag}", "tag", slugs,
                         intro=f"{len(slugs)} page{'s' if len(slugs) != 1 else ''} tagged {tag}.", previous=previous)


def backlink_listings(wiki: Wiki, config: Config) -> list[tuple[str, int]]:
    """Every page of the full backlinks lists, as (slug of the page they link to, page number): one list for
    each page that some page links to."""
    found = []
    for slug in sorted(wiki.entries):
        count = wiki.graph.in_degree(slug)  # len(backlinks(slug)), without sorting every page's backlinks here
        if count:
            found += [(slug, number) for number in range(1, len(pages_of(count, config.listing_page_size)) + 1)]
    return found


T = TypeVar("T")
BATCH_CARDS = 2000  # cards of links-here/ pages drawn by one job: every linked page has a list, most of them short


def _batches(items: Iterable[T], cards_of: Callable[[T], int]) -> list[list[T]]:
    """`items` in order, in batches of about BATCH_CARDS cards (a job each: thousands of one-card jobs would cost
    more to hand out than to run, and map_forked forks a fresh set of workers every parallel.WAVE jobs)."""
    batches: list[list[T]] = []
    cards = BATCH_CARDS
    for item in items:
        shown = cards_of(item)
        if cards + shown > BATCH_CARDS:
            batches.append([])
            cards = 0
        batches[-1].append(item)
        cards += shown
    return batches


def backlink_batches(wiki: Wiki, config: Config) -> list[list[tuple[str, int]]]:
    """backlink_listings() in batches of about BATCH_CARDS cards."""
    size = config.listing_page_size

    def shown(listing: tuple[str, int]) -> int:
        slug, number = listing
        count = wiki.graph.in_degree(slug)
        return min(size, count - (number - 1) * size) if size else count
    return _batches(backlink_listings(wiki, config), shown)


def tag_batches(wiki: Wiki) -> list[list[tuple[str, list[str]]]]:
    """wiki.tags() in batches of about BATCH_CARDS cards (a job a tag was 4,179 jobs for llm-wiki-full, most of
    one card)."""
    return _batches(wiki.tags().items(), lambda tag: len(tag[1]))


def backlink_page_number(wiki: Wiki, config: Config, slug: str, source: str) -> int:
    """The page of `slug`'s full list of backlinks on which `source` (a page linking to it) is listed."""
    at = wiki.graph.backlinks(slug).index(source)
    return at // config.listing_page_size + 1 if config.listing_page_size else 1


def backlink_page(wiki: Wiki, renderer: Renderer, slug: str, number: int, previous: Previous = None) -> Output | Kept:
    """Page `number` of the full list of the pages that link to `slug`, by title, each with how it links there
    (links-here/<slug>.html, …)."""
    every = wiki.graph.backlinks(slug)
    start, end = pages_of(len(every), renderer.config.listing_page_size)[number - 1]
    contexts = link_contexts(wiki, every[start:end], slug)  # made once: for the key, and for the cards when drawn

    def draw(slugs: list[str], out: OutPath) -> list[Card]:
        return [renderer.card(s, out, context=card_context(c, True)) for s, c in zip(slugs, contexts)]
    count = len(every)
    return listing_page(renderer, paths.backlinks_out_path(slug), number, f"Pages that link to {wiki.entries[slug].page.title}",
                        "backlinks", every, f"{count} {'page links' if count == 1 else 'pages link'} to", subject=slug, draw=draw,
                        card_keys=[(renderer.card_key(s), context_key(c)) for s, c in zip(every[start:end], contexts)],
                        previous=previous)


def _letter(title: str) -> str:
    first = title[:1].upper()
    return first if first.isalpha() else "#"


def all_pages(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """Every page A–Z, grouped by first letter ('#' first), `listing_page_size` cards a page; the letters
    on every page link to where each letter starts."""
    first_out = paths.ALL_PAGES
    letter_of = {slug: _letter(wiki.entries[slug].page.title) for slug in wiki.sorted_slugs()}
    ordered = sorted(letter_of, key=lambda s: (letter_of[s] != "#", letter_of[s]))  # stable: by title within a letter
    letters = [letter_of[s] for s in ordered]
    spans = pages_of(len(ordered), renderer.config.listing_page_size)
    starts: dict[str, int] = {}  # letter -> the page number it starts on
    for number, (start, end) in enumerate(spans, 1):
        for letter in letters[start:end]:
            starts.setdefault(letter, number)
    anchors = {letter: f"letter-{i}" for i, letter in enumerate(starts, 1)}  # the same on every page
    outs = []
    for number, (start, end) in enumerate(spans, 1):
        out = paths.listing_page_path(first_out, number)
        groups: dict[str, list[Card]] = {}
        for slug, letter in zip(ordered[start:end], letters[start:end]):
            groups.setdefault(letter, []).append(renderer.card(slug, out))
        nav = [Link(letter, relative_url(out, paths.listing_page_path(first_out, page), anchors[letter])
                    if page != number else "#" + anchors[letter]) for letter, page in starts.items()]
        title = "All pages" if number == 1 else f"All pages (page {number} of {len(spans)})"
        outs.append(_listing(renderer, out, title, "all", list(groups.items()), f"{len(wiki.entries)} pages, A–Z.",
                             pager(first_out, number, len(spans)), letters=nav, anchors=anchors))
    return outs


def orphans(wiki: Wiki, renderer: Renderer, previous: Previous = None) -> list[Output | Kept]:
    """Pages no other page links to."""
    slugs = wiki.orphans()
    return paged_listing(renderer, paths.ORPHANS, "Orphaned pages", "orphans", slugs,
                         intro="Pages that no other page links to." if slugs else "Every page is linked from another page.",
                         previous=previous)


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


def listing_jobs(wiki: Wiki, renderer: Renderer, previous: Previous = None) -> list[Callable[[], list[Output | Kept]]]:
    """Every generated page, as jobs that each make some of them (independent: a build runs them on every core).
    The listings of cards come with render keys: as Kept when `previous` (the site being replaced) has theirs."""
    jobs: list[Callable[[], list[Output | Kept]]] = [lambda: type_pages(wiki, renderer, previous)]
    jobs += [partial(lambda tags: [out for tag, slugs in tags for out in paged_tag(wiki, renderer, tag, slugs, previous)], tags)
             for tags in tag_batches(wiki)]
    jobs += [partial(lambda pages: [backlink_page(wiki, renderer, slug, number, previous) for slug, number in pages], pages)
             for pages in backlink_batches(wiki, renderer.config)]
    jobs += [lambda: all_pages(wiki, renderer), lambda: orphans(wiki, renderer, previous),
             lambda: [wanted(wiki, renderer), not_found(renderer)]]
    if wiki.home_slug is None:
        jobs.append(lambda: [home(wiki, renderer)])
    return jobs


def listing_outputs(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """Every generated page."""
    return [output for job in listing_jobs(wiki, renderer) for output in job()]
