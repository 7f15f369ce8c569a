"""The term index of search, in shards: built at build time from the pages' rows, read by kbwiki.js.

A term shard is one JSON object:

- `t`: term -> its postings `[gap, bits, gap, bits, …]` (page numbers as gaps from the previous one; bits:
  search_terms' field bits), for terms of PREFIX letters or more, in the shard their first PREFIX letters
  hash to;
- `p`: prefix -> the same per page for a query word shorter than PREFIX (every term it starts summed up:
  the fields' bits, and the bits and exactness of the term that scores best), so "c" reads one list, not
  every term starting with c;
- `h` (terms) and `q` (prefixes): `[page, title, …]` of the pages whose title's first word it is or starts:
  the only pages that can get the "title starts with the query" bonus, with the title to test it.

Postings are kept packed in arrays (page << 16 | code) while built: 3 million of them at 32,000 pages.
"""

from __future__ import annotations

import json
import pickle
from array import array
from typing import Callable, Iterator, Mapping

from generator.emit.safejson import script_json
from generator.wiki.mapping import ChunkMap, in_process
from generator.emit.search_terms import FIELD_BITS, HEAD, PREFIX, field_weight, page_terms, shard_of, term_key

_SHIFT = 16


def row_terms(row: list) -> dict[str, int]:
    """The terms of a page from its search row (search_index.FIELDS order)."""
    _, title, _, aliases, tags, summary, section, _, body, stem = row
    return page_terms(title, aliases, tags, summary, section, body, stem)


_WEIGHT = [field_weight(bits) for bits in range(FIELD_BITS + 1)]


def prefix_codes(terms: Mapping[str, int]) -> dict[str, int]:
    """Each prefix shorter than PREFIX of a page's terms -> its code: the fields' bits of every term it starts,
    the bits of the best-scoring one << 7, and 1 << 13 when that one is the prefix itself (kbwiki.js reads it)."""
    best: dict[str, list] = {}
    for term, bits in terms.items():
        fields = bits & FIELD_BITS
        for k in range(1, min(PREFIX - 1, len(term)) + 1):
            prefix = term[:k]
            exact = len(term) == k
            score = _WEIGHT[fields] if exact else _WEIGHT[fields] * 0.7
            old = best.get(prefix)
            if old is None:
                best[prefix] = [score, fields, exact, bits]
            else:
                if score > old[0]:
                    old[0], old[1], old[2] = score, fields, exact
                old[3] |= bits
    return {prefix: (every & 127) | (win << 7) | (exact << 13) for prefix, (_, win, exact, every) in best.items()}


def _gaps(packed: array) -> list[int]:
    out, last = [], 0
    for value in packed:
        page = value >> _SHIFT
        out += (page - last, value & 0xFFFF)
        last = page
    return out


def _packed(gaps: list[int]) -> array:
    out, page = array("Q"), 0
    for i in range(0, len(gaps), 2):
        page += gaps[i]
        out.append(page << _SHIFT | gaps[i + 1])
    return out


def _prefix_key(prefix: str) -> str:
    return prefix


class TermIndex:
    """The term shards: built page by page in page-number order, or decoded (shard by shard, as an edit
    touches them) from what the last build wrote. Held as four maps over every shard; split by shard when encoded."""

    def __init__(self, count: int):
        self.count = count
        self.t: dict[str, array] = {}
        self.p: dict[str, array] = {}
        self.h: dict[str, list] = {}
        self.q: dict[str, list] = {}
        self._stored: dict[int, bytes] = {}  # shards as written, not decoded
        self._touched: set[int] = set()
        self._shard_of: dict[str, int] = {}

    def _number(self, key: str) -> int:
        found = self._shard_of.get(key)
        if found is None:
            found = self._shard_of[key] = shard_of(key, self.count)
        return found

    def add_page(self, page: int, title: str, terms: Mapping[str, int]) -> None:
        """Add one page's terms: pages must come in increasing number (postings stay sorted)."""
        t, base = self.t, page << _SHIFT
        for term, bits in terms.items():
            if len(term) >= PREFIX:
                found = t.get(term)
                if found is None:
                    found = t[term] = array("Q")
                found.append(base | bits)
            if bits & HEAD:
                for k in range(1, min(PREFIX - 1, len(term)) + 1):
                    self.q.setdefault(term[:k], []).extend((page, title))
                if len(term) >= PREFIX:
                    self.h.setdefault(term, []).extend((page, title))
        p = self.p
        for prefix, code in prefix_codes(terms).items():
            found = p.get(prefix)
            if found is None:
                found = p[prefix] = array("Q")
            found.append(base | code)

    def _decode(self, number: int) -> None:
        stored = self._stored.pop(number, None)
        if stored is None:
            return
        raw = json.loads(stored)
        self.h.update(raw["h"])
        self.q.update(raw["q"])
        self.t.update(raw["t"])  # as gaps: packed only when an edit changes them
        self.p.update(raw["p"])

    def replace_page(self, page: int, old_row: list, new_row: list) -> None:
        """One page's text changed (not its title): its postings replaced where they differ."""
        old, new = row_terms(old_row), row_terms(new_row)
        for lists, before, after, key_of in ((self.t, old, new, term_key), (self.p, prefix_codes(old), prefix_codes(new), _prefix_key)):
            for key in sorted(set(before) | set(after)):
                if before.get(key) == after.get(key) or (lists is self.t and len(key) < PREFIX):
                    continue
                number = self._number(key_of(key))
                self._decode(number)
                found = lists.get(key, ())
                kept = [v for v in (found if isinstance(found, array) else _packed(found)) if v >> _SHIFT != page]
                if key in after:
                    kept.append(page << _SHIFT | after[key])
                if kept:
                    lists[key] = array("Q", sorted(kept))
                else:
                    lists.pop(key, None)
                self._touched.add(number)

    @classmethod
    def from_encoded(cls, stored: Mapping[int, bytes], count: int) -> "TermIndex":
        """The index as the last build wrote it (shards decoded only when an edit touches them)."""
        index = cls(count)
        index._stored = dict(stored)
        return index

    def _encode(self, numbers: set[int]) -> Iterator[tuple[int, bytes]]:
        parts: dict[int, dict[str, dict]] = {n: {"h": {}, "p": {}, "q": {}, "t": {}} for n in numbers}
        for name, lists, key_of in (("h", self.h, term_key), ("p", self.p, _prefix_key), ("q", self.q, _prefix_key),
                                    ("t", self.t, term_key)):
            for key, value in lists.items():
                part = parts.get(self._number(key_of(key)))
                if part is not None:
                    part[name][key] = _gaps(value) if isinstance(value, array) else value
        for number in sorted(numbers):
            yield number, script_json(parts.pop(number)).encode("utf-8")

    def split(self) -> dict[int, bytes]:
        """The index as its shards' parts, each pickled: shard number -> (t, p, h, q) of the keys that fall in it."""
        parts: dict[int, tuple[dict, dict, dict, dict]] = {}
        for i, (lists, key_of) in enumerate(((self.t, term_key), (self.p, _prefix_key), (self.h, term_key), (self.q, _prefix_key))):
            for key, value in lists.items():
                number = self._number(key_of(key))
                part = parts.get(number)
                if part is None:
                    part = parts[number] = ({}, {}, {}, {})
                part[i][key] = value
        return {number: pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL) for number, part in sorted(parts.items())}

    def encode_one(self, number: int) -> bytes:
        """The JSON of shard `number`, of an index that holds only its terms (term_shards())."""
        return script_json({"h": self.h, "p": {k: _gaps(v) for k, v in self.p.items()}, "q": self.q,
                            "t": {k: _gaps(v) for k, v in self.t.items()}}).encode("utf-8")

    def encoded(self) -> Iterator[tuple[int, bytes]]:
        """(shard number, its JSON) of every shard, by number (an empty one where no term falls)."""
        made = dict(self._encode(set(range(self.count)) - set(self._stored)))
        for number in range(self.count):
            yield number, self._stored[number] if number in self._stored else made.pop(number)

    def touched(self) -> Iterator[tuple[int, bytes]]:
        """(shard number, its JSON) of the shards replace_page() changed."""
        yield from self._encode(self._touched)


BLOCK = 512  # pages one worker indexes at a time
JOIN_GROUPS = 64  # at most this many groups of shards to join (llm-wiki-full has 508 shards)


def term_shards(rows: Callable[[int], list], pages: int, count: int, map_chunks: ChunkMap = in_process) -> dict[int, bytes]:
    """The JSON of every term shard (by number, an empty one where no term falls) of pages 0 … pages - 1
    (`rows(n)`: page n's row). Blocks of pages are indexed on every core (`map_chunks`); each block comes
    back split by shard and pickled; then each shard's pieces are joined in page order (postings stay sorted)
    and encoded, shards on every core too, one at a time: no process ever holds the whole index as objects
    (at 32,000 pages that was ~200 MB in the build's largest process, at its very end)."""
    def block(starts: list[int]) -> list[dict[int, bytes]]:
        out = []
        for start in starts:
            part = TermIndex(count)
            for page in range(start, min(start + BLOCK, pages)):
                row = rows(page)
                part.add_page(page, row[1], row_terms(row))
            out.append(part.split())
        return out

    pieces: dict[int, list[bytes]] = {}
    for split in map_chunks(block, list(range(0, pages, BLOCK))):
        for number, data in split.items():
            pieces.setdefault(number, []).append(data)

    def joined(numbers: list[int]) -> list[bytes]:  # each shard's pieces joined and encoded, on every core too
        out = []
        for number in numbers:
            shard = TermIndex(count)
            for data in pieces.get(number, ()):
                for mine, theirs in zip((shard.t, shard.p, shard.h, shard.q), pickle.loads(data)):
                    for key, value in theirs.items():
                        found = mine.get(key)
                        if found is None:
                            mine[key] = value
                        else:
                            found.extend(value)
            out.append(shard.encode_one(number))
        return out
    step = max(1, count // JOIN_GROUPS)  # shards joined a group at a time: a job (and a set of forked workers
    groups = [list(range(i, min(i + step, count))) for i in range(0, count, step)]  # every WAVE) per shard was many
    encoded = [data for done in map_chunks(lambda chunk: [joined(group) for group in chunk], groups) for data in done]
    return dict(zip(range(count), encoded))
