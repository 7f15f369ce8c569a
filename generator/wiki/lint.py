"""Warnings about a gathered wiki: orphans, dead ends, pages without a summary, unlinked mentions,
and the LLM-wiki rules of wiki/rules.py. Pure.

Unlinked mentions: a page's prose (its reading text without links, code and headings, see
markdown.RenderedBody.prose) names another page's title or alias, case-insensitively and as
whole words, without linking that page anywhere. Names shorter than MIN_MENTION_LENGTH
characters are left out: short names ("AI", "Go") match everywhere and say little. So is a
one-word name under COMMON_WORD_LENGTH characters where the text writes it in lower case
("agent", "token": a common word there, not the page's name), and a name that would be
reported on more pages than `lint.mention_max_share` of the wiki (and on over MIN_COMMON_PAGES):
a name everyone uses without a link ("Marcus" in a game log) is noise, listed once in check's
summary instead. The scan is one pass over each page's words with a dictionary of names keyed
by their first word, so it costs about the same for 10 pages as for 10,000 names.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
import re
import unicodedata
from collections import Counter
from itertools import accumulate
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from generator import diagnostics as diag
from generator.config import MENTION_MAX_SHARE, Config
from generator.diagnostics import Diagnostic
from generator.parse.content import body_lines
from generator.parse.links import normalize
from generator.wiki.mapping import ChunkMap, in_process
from generator.wiki.model import Entry, Wiki
from generator.wiki.rules import not_in_index, schema_problems, stale_pages, uncited
from generator.paths import Slug

MIN_MENTION_LENGTH = 4
COMMON_WORD_LENGTH = 6  # a one-word name shorter than this, written in lower case, is a common word
MIN_COMMON_PAGES = 10  # a name is left out as too common only past this many pages, whatever the share
_WORD = re.compile(r"\w+")
_WORD_SPLIT = re.compile(r"(\w+)")


@dataclass(frozen=True, slots=True)
class Mention:
    """A name found in a text: the name as indexed (normalised), the text as written, where it starts."""

    name: str
    written: str
    start: int


class MentionIndex:
    """Names (titles, aliases) to find as whole words in text, longest match first."""

    def __init__(self, names: Iterable[str], min_length: int = MIN_MENTION_LENGTH):
        self._names: set[tuple[str, ...]] = set()
        self._lengths: dict[str, list[int]] = {}
        self._by_words: dict[tuple[str, ...], str] = {}
        for name in names:
            key = normalize(name)
            if len(key) < min_length:
                continue
            words = tuple(_WORD.findall(key))
            if not words or words in self._by_words:
                continue
            self._by_words[words] = key
            self._lengths.setdefault(words[0], []).append(len(words))
        for first in self._lengths:
            self._lengths[first] = sorted(set(self._lengths[first]), reverse=True)
        self._firsts = frozenset(self._lengths)
        # The first two words of every name of two words or more: where a word that starts names is not followed
        # by the second word of one, only a one-word name can start there (most places "the" or "model" is
        # written), so the longer ones are not looked up.
        self._pairs = frozenset(words[:2] for words in self._by_words if len(words) > 1)

    def find(self, text: str) -> list[Mention]:
        """Every name in `text`, left to right, not overlapping; a name never spans a line break."""
        text = unicodedata.normalize("NFC", text)
        lengths, by_words, pairs = self._lengths, self._by_words, self._pairs
        folded = text.casefold()
        parts = _WORD_SPLIT.split(folded)  # gap, word, gap, word, … gap: the words, and where each is, in C
        words = parts[1::2]
        firsts = self._firsts.intersection(words)  # in C: most texts hold no word that starts a name
        if not firsts:
            return []
        starts = [i for i, word in enumerate(words) if word in firsts]
        found: list[Mention] = []
        ends: list[int] | None = None  # word i starts at ends[2 * i] in `text` and ends at ends[2 * i + 1]
        free = 0  # names do not overlap: the first word not inside a name found
        for i in starts:
            if i < free:
                continue
            candidates = lengths[words[i]]
            if candidates[0] > 1 and (i + 1 >= len(words) or (words[i], words[i + 1]) not in pairs):
                candidates = candidates[-1:] if candidates[-1] == 1 else ()
            for n in candidates:
                if i + n > len(words):
                    continue
                name = by_words.get(tuple(words[i:i + n]))
                if name is None:
                    continue
                if ends is None:  # counted on the first hit
                    ends = (list(accumulate(map(len, parts))) if len(folded) == len(text)  # every place kept
                            else [at for m in _WORD.finditer(text) for at in m.span()])  # ß -> ss moved them
                    if len(ends) // 2 != len(words):  # casefolding moved a word boundary: rare scripts
                        return self._find_by_tokens(text)
                start, end = ends[2 * i], ends[2 * (i + n) - 1]
                written = text[start:end]
                if "\n" not in written and normalize(written) == name:
                    found.append(Mention(name, written, start))
                    free = i + n
                    break
        return found

    def _find_by_tokens(self, text: str) -> list[Mention]:
        """find(), word by word of the text as written (each casefolded alone)."""
        tokens = [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]
        words = [t[0] for t in tokens]
        found: list[Mention] = []
        i = 0
        while i < len(tokens):
            step = 1
            for n in self._lengths.get(words[i], ()):
                if i + n > len(words):
                    continue
                name = self._by_words.get(tuple(words[i:i + n]))
                if name is None:
                    continue
                start, end = tokens[i][1], tokens[i + n - 1][2]
                written = text[start:end]
                if "\n" not in written and normalize(written) == name:
                    found.append(Mention(name, written, start))
                    step = n
                    break
            i += step
        return found


def lint(wiki: Wiki, tick: Callable[[int], None] | None = None, map_chunks: ChunkMap = in_process,
         config: Config | None = None, today: dt.date | None = None,
         texts: Mapping[str, bytes] | None = None) -> list[Diagnostic]:
    """Every warning about the wiki's shape that `config.lint` selects, sorted by file; tick(1) after each
    page's mentions are checked. `today` is the date `stale_after_days` counts from (default: today).
    `texts`: the files' bytes by source path, where an unlinked mention's line and column are read from (a page
    keeps no Markdown of its own); without them a mention is reported at line 0."""
    config = config or Config()
    wants = config.lint.wants
    rules: list[tuple[str, Callable[[], list[Diagnostic]]]] = [
        ("orphan", lambda: orphans(wiki)), ("dead-end", lambda: dead_ends(wiki)),
        ("no-summary", lambda: missing_summaries(wiki)),
        ("stale", lambda: stale_pages(wiki, config.lint.stale_after_days, today or dt.date.today())),
        ("uncited", lambda: uncited(wiki, config.lint.require_sources)),
        ("not-in-index", lambda: not_in_index(wiki, config.lint.index_depth)),
        ("schema", lambda: schema_problems(wiki, dict(config.types), config.type_keys))]
    problems = [d for code, rule in rules if wants(code) for d in rule()]
    if wants("unlinked-mention"):
        problems += unlinked_mentions(wiki, tick=tick, map_chunks=map_chunks, max_share=config.lint.mention_max_share,
                                      texts=texts)
    elif tick:
        tick(len(wiki.entries))
    return sorted(problems, key=diag.sort_key)


def orphans(wiki: Wiki) -> list[Diagnostic]:
    """Pages no other page links to (the home page is exempt)."""
    return [diag.warning(wiki.entries[s].page.src_path, "orphan", "no other page links here",
                         hint="Link it from a related page, or from the home page.")
            for s in wiki.orphans()]


def dead_ends(wiki: Wiki) -> list[Diagnostic]:
    """Pages that link to no other page."""
    return [diag.warning(wiki.entries[s].page.src_path, "dead-end", "links to no other page",
                         hint="Link the pages it talks about.")
            for s in wiki.graph.dead_ends()]


def missing_summaries(wiki: Wiki) -> list[Diagnostic]:
    """Pages with no `summary:` and no opening paragraph to take one from."""
    return [diag.warning(e.page.src_path, "no-summary", "page has no summary: no `summary:` and no opening paragraph",
                         hint="Add `summary: one sentence` to the front matter.")
            for e in wiki.entries.values() if not e.page.summary.strip()]


def mention_names(wiki: Wiki) -> dict[str, Slug]:
    """Each title and alias (normalised) -> the page a link with that text goes to."""
    names: dict[str, Slug] = {}
    for slug in sorted(wiki.entries):
        page = wiki.entries[slug].page
        for name in (page.title, *page.aliases):
            key = normalize(name)
            if key in names:
                continue
            found = wiki.resolver.resolve_name(name)
            target = wiki.by_src.get(found.src_path) if found.src_path else None
            if target is not None:
                names[key] = target
    return names


def mention_index(wiki: Wiki, min_length: int = MIN_MENTION_LENGTH) -> tuple[dict[str, Slug], MentionIndex]:
    """The names pages are known by and the index that finds them (memoised in the wiki: the same while no
    title or alias changes)."""
    key = ("mentions", min_length)
    found = wiki.memo.get(key)
    if found is None:
        names = mention_names(wiki)
        found = wiki.memo[key] = (names, MentionIndex(names, min_length))
    return found


def unlinked_mentions(wiki: Wiki, min_length: int = MIN_MENTION_LENGTH, only: Iterable[Slug] | None = None,
                      tick: Callable[[int], None] | None = None, map_chunks: ChunkMap = in_process,
                      max_share: float = MENTION_MAX_SHARE, texts: Mapping[str, bytes] | None = None) -> list[Diagnostic]:
    """Per page and mentioned page: the first place the page names it without linking it, and how often;
    names too common to report (left_out_names) left out. `texts`: as lint()'s.

    `only` limits the search to some pages (a rebuild after they alone changed): those keep the names the
    last search of every page left out."""
    names, index = mention_index(wiki, min_length)
    slugs = list(wiki.entries) if only is None else list(only)
    problems: list[Diagnostic] = []
    texts = texts or {}
    for found in map_chunks(lambda chunk: [_mentions_in(wiki, slug, index, names, texts) for slug in chunk], slugs):
        problems += found
        if tick:
            tick(1)
    key = ("mentions-left-out", min_length, max_share)
    if only is None:
        pages = Counter(d.subject for d in problems)
        limit = max(MIN_COMMON_PAGES, max_share * len(wiki.entries))
        wiki.memo[key] = {name: n for name, n in sorted(pages.items()) if n > limit}
    left_out = wiki.memo.get(key, {})
    return [d for d in problems if d.subject not in left_out] if left_out else problems


def left_out_names(wiki: Wiki, max_share: float = MENTION_MAX_SHARE,
                   min_length: int = MIN_MENTION_LENGTH) -> dict[str, int]:
    """The names the last search of every page left out as too common: name -> pages naming it unlinked."""
    return dict(wiki.memo.get(("mentions-left-out", min_length, max_share), {}))


def is_common_word(mention: Mention) -> bool:
    """A one-word name under COMMON_WORD_LENGTH characters, written in lower case: a common word in that text."""
    return len(mention.name) < COMMON_WORD_LENGTH and mention.written.islower() and len(_WORD.findall(mention.name)) == 1


def _mentions_in(wiki: Wiki, slug: Slug, index: MentionIndex, names: dict[str, Slug],
                 texts: Mapping[str, bytes]) -> list[Diagnostic]:
    """The unlinked-mention warnings of one page."""
    entry = wiki.entries[slug]
    linked = {link.slug for link in entry.links if link.slug} | {slug}
    seen: dict[Slug, list[Mention]] = {}
    for mention in index.find(entry.parsed.body.prose):
        target = names[mention.name]
        if target not in linked and not is_common_word(mention):
            seen.setdefault(target, []).append(mention)
    problems = []
    lines = _searched_lines(entry, texts.get(entry.page.src_path, b"")) if seen else None  # once, for every page mentioned
    for target, mentions in seen.items():
        title = wiki.entries[target].page.title
        line, column = _position(entry, mentions[0].written, lines)
        times = f" ({len(mentions)} times)" if len(mentions) > 1 else ""
        problems.append(diag.warning(entry.page.src_path, "unlinked-mention",
                                     f'mentions "{mentions[0].written}"{times} without linking it', line, column,
                                     hint=f"Link it: [[{title}]]" if normalize(title) == mentions[0].name
                                     else f"Link it: [[{title}|{mentions[0].written}]]", subject=mentions[0].name))
    return problems


@dataclass(frozen=True, slots=True)
class _Lines:
    """The lines of a body searched for where a mention is written: casefolded, joined by "\n" (one search
    in C for the first that holds a name, not one a line), where each starts, and each one's line in the body."""

    text: str
    starts: list[int]
    offsets: list[int]


def _searched_lines(entry: Entry, raw: bytes) -> _Lines:
    """The lines of the body but headings (not searched), from the file's bytes `raw`, for _position()."""
    kept = [(offset, line) for offset, line in enumerate(body_lines(raw, entry.page.body_line))
            if not line.lstrip().startswith("#")]
    text = "\n".join(line for _, line in kept).casefold()  # casefolding is a character's own: no line moves
    starts, at = [], 0
    for line in text.split("\n"):
        starts.append(at)
        at += len(line) + 1
    return _Lines(text, starts, [offset for offset, _ in kept])


def _position(entry: Entry, written: str, lines: _Lines) -> tuple[int, int]:
    """Line and column of the first of `lines` (_searched_lines(entry)) that holds `written` (case-insensitive;
    the column counts the casefolded line's characters); 0, 0 if none."""
    at = lines.text.find(written.casefold())  # a mention never spans lines
    if at < 0:
        return 0, 0
    k = bisect_right(lines.starts, at) - 1
    return entry.page.body_line + lines.offsets[k], at - lines.starts[k] + 1
