"""Backlinks with context: how a page links to another (its first link's sentence, "and N more"), for the
target's backlink cards, its full list of backlinks (links-here/) and the render keys of both."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Callable, Iterable, Iterator

from generator.emit.render import CardContext
from generator.parse.context import LinkContext, context_of, unpack_contexts
from generator.paths import Slug
from generator.wiki.model import Entry, Wiki

_SLUG = attrgetter("slug")


@dataclass(frozen=True, slots=True)
class Shown:
    """How one page links to another: the context shown (None: no link of it has one) and how many more links."""

    context: LinkContext | None
    more: int = 0


HUB_LINKS = 64  # a page with this many links has them indexed once (by target), not searched for each target


@dataclass(frozen=True, slots=True)
class _Indexed:
    """A page's links by target and its contexts by link: asked once for each page it links to, a page of
    thousands of links (an index.md: 6,517 in llm-wiki-full) was searched whole each time, its contexts too."""

    entry: Entry  # held, so that no other entry takes its id while it is cached
    refs: dict[Slug, list[int]]
    contexts: dict[int, LinkContext]


_INDEXED: dict[int, _Indexed] = {}  # by id(entry): the hubs of the pages being rendered
_INDEXED_KEPT = 64


def _indexed(entry: Entry) -> _Indexed:
    found = _INDEXED.get(id(entry))
    if found is None or found.entry is not entry:
        refs: dict[Slug, list[int]] = {}
        for at, link in enumerate(entry.links):
            refs.setdefault(link.slug, []).append(at)
        contexts: dict[int, LinkContext] = {}
        for context in unpack_contexts(entry.parsed.contexts):
            contexts.setdefault(context.ref, context)  # the first line of a link, as context_of() reads it
        if len(_INDEXED) >= _INDEXED_KEPT:
            _INDEXED.clear()
        found = _INDEXED[id(entry)] = _Indexed(entry, refs, contexts)
    return found


def link_context(wiki: Wiki, source: Slug, target: Slug) -> Shown:
    """How `source` links to `target`: the context of its first link to it written in the text, else of one
    in its front matter, and the number of its other links to `target`."""
    entry = wiki.entries[source]
    packed = entry.parsed.contexts
    if len(entry.links) >= HUB_LINKS:
        indexed = _indexed(entry)
        refs = indexed.refs.get(target, ())
        return _first_shown(refs, len(refs), indexed.contexts.get, packed)
    slugs = list(map(_SLUG, entry.links))  # searched by list.count and list.index: a page asked for each of its targets
    count = slugs.count(target)
    refs = (slugs.index(target),) if count == 1 else _places(slugs, target, count)  # most pages link a page once
    return _first_shown(refs, count, partial(context_of, packed), packed)


def _places(slugs: list[Slug], target: Slug, count: int) -> Iterator[int]:
    at = -1
    for _ in range(count):
        at = slugs.index(target, at + 1)
        yield at


def _first_shown(refs: Iterable[int], count: int, context_at: Callable[[int], LinkContext | None], packed: bytes) -> Shown:
    """The rule of link_context(), over the `count` links `refs` of a page to one target and their contexts."""
    more = max(count - 1, 0)
    if not packed or not count:
        return Shown(None, more)
    first = None  # the first link's context (it may have no text: a front-matter link's), unless one with text follows
    for at in refs:
        found = context_at(at)
        if found is not None:
            if found.text:
                return Shown(found, more)
            if first is None:
                first = found
    return Shown(first, more)


def link_contexts(wiki: Wiki, sources: list[Slug], target: Slug) -> list[Shown]:
    """link_context() of each of `sources` (pages that link to `target`)."""
    return [link_context(wiki, source, target) for source in sources]


def context_key(shown: Shown) -> tuple:
    """Everything a backlink card shows of a context, for render keys."""
    c = shown.context
    return (shown.more,) if c is None else (c.text, c.start, c.end, c.key, shown.more)


def front_matter_phrase(key: str) -> str:
    """What a card says of a link in the linking page's front matter."""
    return f"listed under {key}:" if key else "listed in its front matter"


def more_phrase(more: int) -> str:
    """What a card says of the linking page's other links to the same page."""
    return f"and {more} more" if more else ""


def card_context(shown: Shown, visible: bool) -> CardContext | None:
    """A context as a card shows it (None: none to show); `visible`: drawn in the card, not only in its preview."""
    c = shown.context
    if c is None:
        return None
    if not c.text:
        return CardContext(front_matter_phrase(c.key), more=more_phrase(shown.more), shown=visible)
    return CardContext(c.text[:c.start], c.text[c.start:c.end], c.text[c.end:], more_phrase(shown.more), visible)


def changed_targets(old: Wiki, new: Wiki, sources: list[Slug]) -> dict[Slug, list[Slug]]:
    """The pages whose backlinks show another context since `sources` were edited (their links to them
    the same), each with the edited pages whose context changed: what a body edit must render again."""
    found: dict[Slug, list[Slug]] = {}
    for source in sources:
        targets = sorted({link.slug for link in new.entries[source].links if link.slug and link.slug != source})
        for target in targets:
            if context_key(link_context(old, source, target)) != context_key(link_context(new, source, target)):
                found.setdefault(target, []).append(source)
    return found
