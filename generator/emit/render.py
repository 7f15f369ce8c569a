"""Jinja2 rendering: the Environment (autoescape, StrictUndefined), view-models, and HTML strings out."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
from dataclasses import dataclass, field

import jinja2
import markupsafe

from generator import paths
from generator.parse.changelog import LOG_SOURCE
from generator.config import Config
from generator.wiki.model import Wiki
from generator.paths import OutPath, relative_url
from generator.emit.safejson import script_json
from generator.parse.text import truncate
from generator.emit.theme import CARD_TEMPLATE, ThemeSources, has_own_card, theme_dirs, theme_fingerprint

_environments: dict[tuple, jinja2.Environment] = {}


def make_environment(config: Config) -> jinja2.Environment:
    """The Jinja2 environment over the theme folders; one per theme as it is now (serve rebuilds reuse the
    compiled templates until a theme file changes)."""
    key = (tuple(theme_dirs(config)), theme_fingerprint(config))
    found = _environments.get(key)
    if found is None:
        _environments.clear()  # the theme changed: the old environment is no use
        found = _environments[key] = _new_environment(jinja2.FileSystemLoader([str(d) for d in theme_dirs(config)]))
    return found


def sources_environment(theme: ThemeSources) -> jinja2.Environment:
    """The Jinja2 environment over a theme's templates as text (ThemeSources), one per theme: the same
    settings as make_environment(), so the same HTML."""
    key = ("sources", theme.fingerprint)
    found = _environments.get(key)
    if found is None:
        _environments.clear()
        found = _environments[key] = _new_environment(jinja2.DictLoader(dict(theme.templates)))
    return found


def _new_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per build: templates never change under it (no stat per render)
    )
    env.filters["script_json"] = lambda data: markupsafe.Markup(script_json(data))  # {{ data|script_json }} in <script>
    return env


def type_label(type_name: str) -> str:
    """The label shown for a page type: entity -> Entity."""
    return type_name[:1].upper() + type_name[1:] if type_name else "Page"


PALETTE_SIZE = 12  # the theme's distinct type colours (--t1 … --t12); from the 13th type on they repeat, marked
NAV_TYPES = 5  # types named in the site header; the others are under its "More types" menu
# Cards memoised at most (then the memo starts again): one per page, folder and count shown would grow
# with the wiki times its folders (~100,000 cards, ~80 MB, at 10,000 pages) in every rendering process,
# while what it is for, a hub's card drawn for thousands of pages, is back in it after a few pages.
CARD_MEMO = 16384


def ranked_types(wiki: Wiki) -> list[str]:
    """The wiki's types, most pages first (ties by name): the order of the header and of the palette."""
    types = wiki.types()
    return sorted(types, key=lambda t: (-len(types[t]), t))


def type_palette(wiki: Wiki) -> dict[str, str]:
    """The colour classes of each type, keyed by its listing path (the one identity of a type): `type-tN` by
    rank, and `type-more` from the 13th type on, whose colour repeats one above (cards, badges and both
    graphs show a marker for it). The one rule for a type's colour; memoised on the wiki."""
    found = wiki.memo.get("palette")
    if found is None:
        found = wiki.memo["palette"] = {
            paths.type_out_path(t): f"type-t{i % PALETTE_SIZE + 1}" + (" type-more" if i >= PALETTE_SIZE else "")
            for i, t in enumerate(ranked_types(wiki))}
    return found


def type_colour(wiki: Wiki, type_name: str) -> str:
    """The colour classes of a page type (see type_palette); memoised by name (asked for every card and graph node)."""
    by_name = wiki.memo.setdefault("palette_by_name", {})
    found = by_name.get(type_name)
    if found is None:
        found = by_name[type_name] = type_palette(wiki).get(paths.type_out_path(type_name), "type-t1")
    return found


def key_bytes(parts: tuple) -> bytes:
    """A render key's parts as the bytes hashed: pickled without a memo (an object met twice is written twice),
    so equal parts give equal bytes whichever objects hold them, in any process. Strings, numbers, None, tuples,
    lists and frozen dataclasses of them; never a set (its order is the hash seed's). Half the time of repr(),
    which a build spent on ~20,000 keys (a links-here/ list's holds every card and context it shows)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: the bytes depend on values only
    pickler.dump(parts)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class CardContext:
    """How a backlink's page links to the page it is listed on: the text before the link, the link text, the
    text after it (plain text, escaped when drawn), "and N more"; `shown`: drawn in the card, not only in its
    hover preview."""

    before: str
    mark: str = ""
    after: str = ""
    more: str = ""
    shown: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """A page as a card in a list: type label, linked title, summary cut to the configured length."""

    type: str
    type_label: str
    title: str
    url: str
    summary: str
    reason: str = ""
    count: int = 0
    html: markupsafe.Markup = markupsafe.Markup()  # the card drawn: card_html(), or a user theme's partials/card.html
    colour: str = ""  # the type's colour classes (type_colour)
    context: CardContext | None = None  # a backlink's: how its page links to the page it is listed on


def _card_with(card: Card, html: markupsafe.Markup, context: CardContext | None) -> Card:
    """`card` drawn as `html`, with `context`: dataclasses.replace() without its cost (a hub's list draws
    thousands of cards, each made twice)."""
    return Card(card.type, card.type_label, card.title, card.url, card.summary, card.reason, card.count, html, card.colour,
                context)


def _escape(value) -> str:
    """markupsafe.escape(value) as a plain string: the same five characters replaced the same way (`&`, `<`, `>`,
    `'`, `"`), without its Markup object, whose making was a tenth of a worker's time on a page of cards."""
    if type(value) is not str:
        return str(markupsafe.escape(value))
    if "&" in value:
        value = value.replace("&", "&amp;")
    return value.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;")


def card_html(card: Card) -> markupsafe.Markup:
    """A card as the default theme draws it: type label, linked title, summary and reason (each escaped); a
    backlink's context in data attributes (for its hover preview) and, when `shown`, under the summary.

    Written here rather than by a template: a page shows dozens of cards, thousands on a hub, and
    Python writes one several times faster than Jinja renders it."""
    esc = _escape
    parts = [_card_open(card.context),
             f'  <span class="type-label type-{esc(card.type.replace(" ", "-"))} {card.colour}">{esc(card.type_label)}</span>\n'
             f'  <a class="card-title" href="{esc(card.url)}">{esc(card.title)}</a>\n']
    if card.summary:
        parts.append(f'  <p class="card-summary">{esc(card.summary)}</p>\n')
    if card.reason:
        parts.append(f'  <p class="card-reason">{esc(card.reason)}</p>\n')
    parts.append(_card_close(card.context))
    return markupsafe.Markup("".join(parts))


def card_html_with(drawn: str, context: CardContext) -> markupsafe.Markup:
    """card_html() of a card with `context`, from card_html() of the same card without one (`drawn`): its
    label, title, summary and reason are the same; the opening tag and the end change."""
    inner = str(drawn)[len(_CARD_OPEN):-len(_CARD_CLOSE)]  # a plain str: Markup would escape what is added to it
    return markupsafe.Markup(_card_open(context) + inner + _card_close(context))


_CARD_OPEN, _CARD_CLOSE = '<li class="card">\n', "</li>\n"


def _card_open(context: CardContext | None) -> str:
    if context is None:
        return _CARD_OPEN
    esc = _escape
    return (f'<li class="card" data-context-before="{esc(context.before)}" data-context-mark="{esc(context.mark)}"'
            f' data-context-after="{esc(context.after)}" data-context-more="{esc(context.more)}">\n')


def _card_close(context: CardContext | None) -> str:
    if not (context and context.shown):
        return _CARD_CLOSE
    esc = _escape
    mark = f"<mark>{esc(context.mark)}</mark>" if context.mark else ""
    more = f' <span class="card-context-more">{esc(context.more)}</span>' if context.more else ""
    return f'  <p class="card-context">{esc(context.before)}{mark}{esc(context.after)}{more}</p>\n' + _CARD_CLOSE


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str
    count: int = 0


@dataclass(frozen=True, slots=True)
class Nav:
    """Site-wide links, relative to the page being rendered."""

    title: str
    root: str
    home: str
    all_pages: str
    wanted: str
    orphans: str
    graph_json: str
    graph_page: str = ""
    types: tuple[Link, ...] = ()  # the NAV_TYPES types with the most pages, named in the header
    more_types: tuple[Link, ...] = ()  # the others, most pages first, under the header's "More types" menu
    recent_changes: str = ""  # the Recent changes page, when the wiki has a log.md

    def asset(self, name: str) -> str:
        return self.root + paths.ASSETS + "/" + name


@dataclass(frozen=True, slots=True)
class Source:
    text: str
    url: str = ""
    missing: bool = False


@dataclass(frozen=True, slots=True)
class PageView:
    """What page.html shows for one page."""

    title: str
    type: str
    type_label: str
    type_url: str
    src_path: str
    body: str  # HTML, trusted (rendered by Python-Markdown)
    headings: tuple = ()
    tags: tuple[Link, ...] = ()
    aliases: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    backlinks: tuple[Card, ...] = ()  # the first `backlinks_shown` (config) of the pages that link here, by title
    backlink_count: int = 0  # how many pages link here in all
    backlinks_url: str = ""  # their full list, when there are more than the page shows
    links_here_url: str = ""  # their full list with the context of each (links-here/), on every page linked to
    related: tuple[Card, ...] = ()
    created: str = ""
    updated: str = ""
    summary: str = ""
    meta: dict = field(default_factory=dict)
    is_home: bool = False
    css_classes: tuple[str, ...] = ()  # front-matter `cssclasses`, added to the article's class
    type_colour: str = "type-t1"  # the type's colour classes (type_colour)
    math: bool = False  # the body (embeds included) holds a formula: the page loads KaTeX
    diagrams: bool = False  # … a Mermaid diagram: the page loads Mermaid


class Renderer:
    """Turns view-models into HTML through the theme's templates: those in the theme folders, or with
    `theme`, those read from them elsewhere (a Dask worker renders with the driver's theme)."""

    def __init__(self, config: Config, wiki: Wiki, theme: ThemeSources | None = None):
        self.config = config
        self.wiki = wiki
        self.fingerprint = theme.fingerprint if theme else theme_fingerprint(config)
        self.env = sources_environment(theme) if theme else make_environment(config)
        self._types = wiki.types()
        self._navs: dict[str, Nav] = {}
        self._card_keys: dict[str, str] = {}
        self._cards: dict[tuple, Card] = {}
        self._has_log = LOG_SOURCE in wiki.by_src  # emit/recent.py writes the page then
        self._nav_keys: dict[str, str] = {}
        # A theme of the user's may draw cards itself (partials/card.html, context: card, nav); else card_html().
        own = theme.own_card if theme else has_own_card(config)
        self._card_template = self.env.get_template(CARD_TEMPLATE) if own else None

    def nav(self, out_path: OutPath) -> Nav:
        """Site links relative to `out_path` (the same for every file in one folder)."""
        folder = out_path.rpartition("/")[0]
        if folder not in self._navs:
            links = self._type_links(out_path)
            self._navs[folder] = Nav(
                title=self.config.title,
                root=paths.root_prefix(out_path),
                home=relative_url(out_path, paths.HOME),
                all_pages=relative_url(out_path, paths.ALL_PAGES),
                wanted=relative_url(out_path, paths.WANTED),
                orphans=relative_url(out_path, paths.ORPHANS),
                graph_json=relative_url(out_path, paths.GRAPH_JSON),
                graph_page=relative_url(out_path, paths.GRAPH_PAGE),
                types=links[:NAV_TYPES],
                more_types=links[NAV_TYPES:],
                recent_changes=relative_url(out_path, paths.RECENT_CHANGES) if self._has_log else "",
            )
        return self._navs[folder]

    def _type_links(self, out_path: OutPath) -> tuple[Link, ...]:
        return tuple(Link(type_label(t), relative_url(out_path, paths.type_out_path(t)), len(self._types[t]))
                     for t in ranked_types(self.wiki))

    def card(self, slug: str, from_out: OutPath, reason: str = "", count: int = 0, context: CardContext | None = None) -> Card:
        """A page as a card, linked relative to `from_out`, with its HTML.

        Cards without a reason are memoised per folder (a hub's card is shown on thousands of pages, and its
        URL, like a theme's own card's `nav`, is the same from every file of one folder); a backlink's card
        is that card with its context."""
        if context is not None:
            plain = self.card(slug, from_out, count=count)
            if self._card_template is None:  # the default drawing: the plain card's HTML, with the context
                return _card_with(plain, card_html_with(plain.html, context), context)
            card = _card_with(plain, markupsafe.Markup(), context)
            return _card_with(card, self._draw(card, from_out), context)
        where = from_out.rpartition("/")[0]
        key = (slug, where, count)
        found = None if reason else self._cards.get(key)
        if found is None:
            entry = self.wiki.entries[slug]
            page = entry.page
            card = Card(type=page.type, type_label=type_label(page.type), title=page.title,
                        url=relative_url(from_out, entry.out_path),
                        summary=truncate(page.summary, self.config.summary_length), reason=reason, count=count,
                        colour=type_colour(self.wiki, page.type))
            found = _card_with(card, self._draw(card, from_out), None)
            if not reason:
                if len(self._cards) >= CARD_MEMO:
                    self._cards.clear()
                self._cards[key] = found
        return found

    def _draw(self, card: Card, from_out: OutPath) -> markupsafe.Markup:
        if self._card_template is None:
            return card_html(card)
        return markupsafe.Markup(self._card_template.render(card=card, nav=self.nav(from_out)))

    def key(self, out_path: OutPath, shown: tuple) -> str:
        """The render key of the file `out_path` showing `shown` (everything else its HTML depends on: the
        theme, config and version, and the nav): a hash, the one rule for content pages and listings alike."""
        parts = (self.fingerprint, out_path, shown, self.nav_key(out_path))
        return hashlib.blake2b(key_bytes(parts), digest_size=16).hexdigest()

    def card_key(self, slug: str) -> str:
        """Everything a card of `slug` shows, as one string (memoised): part of render keys."""
        found = self._card_keys.get(slug)
        if found is None:
            page = self.wiki.entries[slug].page
            found = self._card_keys[slug] = repr((page.type, page.title, self.wiki.entries[slug].out_path,
                                                  truncate(page.summary, self.config.summary_length)))
        return found

    def nav_key(self, out_path: OutPath) -> str:
        """Everything the site navigation of `out_path` shows, as one string (memoised per folder)."""
        folder = out_path.rpartition("/")[0]
        found = self._nav_keys.get(folder)
        if found is None:
            found = self._nav_keys[folder] = repr(self.nav(out_path))
        return found

    def render(self, template: str, out_path: OutPath, **context) -> str:
        """Render a template for the output file `out_path`."""
        return self.env.get_template(template).render(nav=self.nav(out_path), **context)
