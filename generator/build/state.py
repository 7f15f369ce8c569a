"""The build state: what one build leaves for the next to start from, in memory (serve) or on disk (CLI).

A build that wrote a site remembers the wiki it gathered, every page's digest, render key and search
row, and its diagnostics. The next build after an edit that changes no page's shape starts from that
state instead of parsing and gathering the whole wiki again (build.Session). On disk the state is one
pickle in the cache folder per output folder; each page is stored as its own pickled bytes without its
text and HTML (but for pages other pages embed), and is decoded only when a rebuild touches it,
so loading the state of 10,000 pages costs a fraction of a second. A state that does not match the
output folder's manifest, kbwiki's version or the schema is ignored: the build is then a full one.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import pickle
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from generator import __version__
from generator.build.cache import Spool, StreamedDict, dump_pickle, load_pickle
from generator.config import LintConfig
from generator.diagnostics import Diagnostic, DiagnosticTable, as_table
from generator.emit.search_index import search_row_texts
from generator.parse.markdown import NO_HTML
from generator.wiki.model import Entry, Wiki
from generator.paths import Slug

SCHEMA = 20  # bump when what the state holds changes (2: ParsedPage.search; 3: UTF-8 bodies; 4: UTF-8 search rows; 5: packed HTML; 6: classes moved into stage folders; 7: Output.problem, path slugs; 8: Page.front, Diagnostic.subject; 9: a folder of parts, related lists decoded on demand, suggestions kept; 10: lint, checked; 11: diagnostics as rows, checked as a mask; 12: digests, keys, search rows as parts, deltas; 13: the graph pickled compactly; 14: ParsedPage.contexts; 15: search term shards; 16: diagnostics as DiagnosticTable; 17: MentionIndex._pairs; 18: the diagnostics a part, their digest, the graph's predecessors; 19: no ParsedPage.markdown; 20: ParsedPage.search as UTF-8)


@dataclass(slots=True)
class BuildState:
    """What a build that wrote a site knows of it."""

    theme: str  # render.theme_fingerprint() it was built with
    fingerprint: str  # the site fingerprint written into the manifest
    digests: dict[str, str]  # source path -> digest of its bytes
    attachments: dict[str, tuple[int, int]]  # every non-page file -> (size, mtime_ns)
    wiki: Wiki
    diagnostics: DiagnosticTable
    parse_problems: dict[str, list[Diagnostic]]
    files: list[str]
    keys: dict[str, str]
    search_types: list[str]  # the page types the search files list
    search_rows: dict[str, bytes]  # slug -> the page's search row (emit/search_index.FIELDS), as UTF-8 JSON
    embedded: set[str]  # source paths of the pages some page embeds
    lint: LintConfig = LintConfig()  # what the diagnostics were found under (kbwiki check reuses them when it may)
    checked: DiagnosticTable = field(default_factory=DiagnosticTable)  # the diagnostics but rendering's and writing's: what check finds
    search_terms: dict[int, bytes] = field(default_factory=dict)  # each search term shard's data (emit/search_shards)
    # part name -> (its files in the state folder, the object saved there, its delta): what save_state need not write again
    stored: dict = field(default_factory=dict, compare=False, repr=False)


class StoredEntries(Mapping):
    """A wiki's entries (or related lists) as stored: each decoded from its pickled bytes the first time it is asked for."""

    def __init__(self, blobs: dict[Slug, bytes], decoded: dict[Slug, Entry] | None = None):
        self._blobs = blobs
        self._decoded: dict[Slug, Entry] = decoded if decoded is not None else {}

    def __getitem__(self, slug: Slug) -> Entry:
        found = self._decoded.get(slug)
        if found is None:
            found = self._decoded[slug] = pickle.loads(self._blobs[slug])
        return found

    def __iter__(self) -> Iterator[Slug]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, slug: object) -> bool:
        return slug in self._blobs

    def replaced(self, changed: dict[Slug, Entry]) -> "StoredEntries":
        """These entries with some replaced (same slugs, same order)."""
        blobs = dict(self._blobs)
        for slug in changed:
            blobs[slug] = b""  # never decoded: the new entry is in `decoded`
        return StoredEntries(blobs, {**self._decoded, **changed})

    def stored_bytes(self) -> dict[Slug, bytes]:
        """Every value's stored bytes (none replaced)."""
        return dict(self._blobs)

    def blob(self, slug: Slug, keep_html: bool) -> bytes:
        """The stored bytes of one entry (re-encoded when it was replaced)."""
        stored = self._blobs[slug]
        return stored if stored else entry_blob(self._decoded[slug], keep_html)


@dataclass(slots=True)
class PageRecords:
    """What the build state keeps of each page (its search row; with `blobs`, its stored bytes), made by the
    workers that render the pages, as they render them."""

    types: list[str]  # emit/search_index.search_types() of the wiki
    keep_html: set[Slug]  # pages other pages embed: stored with their HTML
    blobs_too: bool = True  # the CLI saves the state; serve keeps it in memory only
    rows: dict[Slug, bytes] = field(default_factory=dict)
    blobs: Spool | None = None  # the stored bytes, made with blobs_too (on disk until the state is saved)
    terms: dict[int, bytes] = field(default_factory=dict)  # each search term shard's data, once made
    spool_in: Path | None = None  # where `blobs` keeps them (the cache folder)

    def make(self, wiki: Wiki, slug: Slug) -> tuple[Slug, bytes, bytes]:
        row = search_row_texts(wiki, [slug], self.types)[slug]
        return slug, row, entry_blob(wiki.entries[slug], slug in self.keep_html) if self.blobs_too else b""

    def add(self, made: tuple[Slug, bytes, bytes]) -> None:
        slug, row, blob = made
        self.rows[slug] = row
        if blob:
            if self.blobs is None:
                self.blobs = Spool(self.spool_in)
            self.blobs.add(slug, blob)


def with_entries(entries: Mapping[Slug, Entry], changed: dict[Slug, Entry]) -> Mapping[Slug, Entry]:
    """`entries` with some entries replaced, in the same order and of the same kind."""
    if isinstance(entries, StoredEntries):
        return entries.replaced(changed)
    return {**entries, **changed}


def slim(entry: Entry, keep_html: bool) -> Entry:
    """An entry as the state keeps it: without its prose and search text (the state keeps its search
    row), and without its HTML unless other pages embed it. A rebuild re-parses every page it renders, so
    none of it is read again."""
    parsed = entry.parsed
    body = dataclasses.replace(parsed.body, text="", prose_utf8=b"", html_z=parsed.body.html_z if keep_html else NO_HTML)
    return dataclasses.replace(entry, parsed=dataclasses.replace(parsed, page=dataclasses.replace(parsed.page, body=""), body=body,
                                                                 search=(b"", b"", b"")))


def entry_blob(entry: Entry, keep_html: bool) -> bytes:
    return pickle.dumps(slim(entry, keep_html), protocol=pickle.HIGHEST_PROTOCOL)


def state_path(cache_dir: Path, out_dir: Path) -> Path:
    """The folder where the state of builds into `out_dir` is kept."""
    name = hashlib.blake2b(os.fsencode(os.path.realpath(out_dir)), digest_size=8).hexdigest()
    return cache_dir / f"state-{name}"


HEAD = "head.pickle"
# Parts a rebuild that keeps every page's shape hands on unchanged: saved again only when they are new objects.
KEPT_PARTS = frozenset({"graph", "related", "resolver", "by_src", "attachments", "home_slug"})
# Parts that are one value per page (or file): after an edit, the values that changed are saved beside the
# file of the whole (a delta, every change since the whole was written), not the whole again: at 10,000 pages
# the entries and search rows are ~45 MB, which every one-page edit used to write.
DELTA_PARTS = ("entries", "digests", "keys", "search_rows", "search_terms")
DELTA_SHARE = 20  # a delta of more than 1/20 of the values (and more than DELTA_MIN) means writing the whole again
DELTA_MIN = 64


def save_state(path: Path, state: BuildState, blobs: Spool | None = None) -> str:
    """Write the state into its folder; "" when done, else why not (the next build is then a full one).
    `blobs`: the stored bytes of every page, when the build made them already (PageRecords), read back from
    their spool one at a time as the entries are written.

    One file per part, each its own pickle with its own memo (pickling the whole state at once would
    hold a memo entry for every object of the wiki: hundreds of MB at 10,000 pages), and a head file
    naming them, replaced last and atomically. A part the state was loaded with and still holds (the
    graph, related lists, resolver… after a body edit) keeps its file, and of a part of DELTA_PARTS only
    the values that changed are written (`_delta`)."""
    wiki = state.wiki
    entries = wiki.entries
    keep = {wiki.by_src[src] for src in state.embedded if src in wiki.by_src}
    if blobs is not None and len(blobs) == len(entries) and all(slug in blobs for slug in entries):
        spool = blobs
        blobs = StreamedDict((slug, spool.get(slug)) for slug in entries)  # in the wiki's order
    elif isinstance(entries, StoredEntries):
        blobs = {slug: entries.blob(slug, slug in keep) for slug in entries}
    else:
        blobs = {slug: entry_blob(entry, slug in keep) for slug, entry in entries.items()}
    fields = {f.name: getattr(state, f.name) for f in dataclasses.fields(state)
              if f.name not in ("wiki", "stored", "diagnostics", "checked") and f.name not in DELTA_PARTS}
    table = as_table(state.diagnostics)
    checked = state.checked if isinstance(state.checked, DiagnosticTable) else table.sharing(state.checked)
    # a part of their own, groups shared between the two pickled once, kept as it is by an edit that changed no finding
    parts: dict[str, object] = {"fields": fields, "entries": blobs, "diagnostics": (table, checked)}
    parts.update({name: getattr(state, name) for name in DELTA_PARTS if name != "entries"})
    parts.update({f.name: getattr(wiki, f.name) for f in dataclasses.fields(wiki) if f.name != "entries"})
    stored: dict[str, tuple[tuple[str, ...], object, dict | None]] = {}
    try:
        path.mkdir(parents=True, exist_ok=True)
        for name, value in parts.items():
            known = state.stored.get(name)
            if known is not None and not all((path / f).is_file() for f in known[0]):
                known = None
            if name in KEPT_PARTS and known is not None and known[1] is value:
                stored[name] = known
                continue
            if name == "diagnostics" and known is not None and all(a is b for a, b in zip(known[1], value)):
                stored[name] = known
                continue
            if name == "memo" and known is not None and _same_memo(known[2], value):
                stored[name] = known  # what is derived from the wiki's shape, which the edit kept: as on disk
                continue
            if name in DELTA_PARTS and known is not None:
                delta = _delta(known[1], known[2], value)
                if delta is not None and delta.keys() == known[2].keys() and all(delta[k] is known[2][k] for k in delta):
                    stored[name] = (known[0], value, known[2])  # nothing new since the delta on disk
                    continue
                if delta is not None:
                    file_name = _part_file(name + "+")
                    dump_pickle(path / file_name, delta)
                    stored[name] = ((known[0][0], file_name), value, delta)
                    continue
            if name == "related":  # each page's list its own pickle, decoded on demand (made as they are written)
                value = value.stored_bytes() if isinstance(value, StoredEntries) else StreamedDict(
                    (slug, pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)) for slug, found in value.items())
            file_name = _part_file(name)
            dump_pickle(path / file_name, value, memo=not isinstance(value, StreamedDict))
            stored[name] = ((file_name,), parts[name], {} if name in DELTA_PARTS else _memo_seen(name, value))
        dump_pickle(path / HEAD, {"schema": SCHEMA, "version": __version__, "parts": {n: f for n, (f, _, _) in stored.items()}})
    except (OSError, pickle.PicklingError) as exc:
        return f"build state not saved ({exc}); the next build parses every page again"
    state.stored = stored
    live = {HEAD, *(f for files, _, _ in stored.values() for f in files)}
    legacy = path.with_name(path.name + ".pickle")  # the one-file state of kbwiki before schema 9
    for old in [*path.iterdir(), *([legacy] if legacy.exists() else [])]:  # parts of earlier states
        if old.name not in live:
            try:
                old.unlink()
            except OSError:
                pass
    return ""


def _memo_seen(name: str, value: object) -> dict | None:
    """For the wiki's memo, what it held when it was saved or loaded (each key's object); None for other parts."""
    return dict(value) if name == "memo" and isinstance(value, dict) else None


def _same_memo(seen: dict | None, memo: object) -> bool:
    """Whether the memo holds the objects it held when saved or loaded, and no other key. Values filled in place
    since (a palette) only hold more of what is derived again on demand: the file on disk still holds the truth."""
    return (isinstance(seen, dict) and isinstance(memo, dict) and seen.keys() == memo.keys()
            and all(memo[key] is value for key, value in seen.items()))


def _part_file(name: str) -> str:
    """A new file name for a part (never one a reader of the previous head may be opening)."""
    return f"{name}-{os.getpid()}-{time.time_ns()}.pickle"


def _delta(before: object, delta: dict | None, after: object) -> dict | None:
    """Every value of `after` that differs from the whole file's `before` (`delta`: the changes saved since it was
    written, which `before` includes), when `after` has the same keys in the same order and the changes stay
    few; None when the whole must be written. Values are compared by identity: an edit hands the others on."""
    if not isinstance(before, dict) or not isinstance(after, dict) or delta is None or len(before) != len(after):
        return None
    changed = dict(delta)
    for (key, value), old_key in zip(after.items(), before):
        if key != old_key:
            return None
        if value is not before[key]:
            changed[key] = value
    if len(changed) > max(DELTA_MIN, len(after) // DELTA_SHARE):
        return None
    return changed


def load_state(path: Path) -> BuildState | None:
    """The saved state, or None when there is none or it cannot be used (damaged, another version).

    Each part is loaded with the collector paused (cache.load_pickle), and what was loaded is then frozen
    (gc.freeze()): it lives on, and no later collection walks it again (one would take ~0.1 s at 32,000
    pages); a full build unfreezes it."""
    state = _load_state(path)
    if state is not None:
        gc.freeze()
    return state


def _load_state(path: Path) -> BuildState | None:
    try:
        head = load_pickle(path / HEAD)
        if not isinstance(head, dict) or head.get("schema") != SCHEMA or head.get("version") != __version__:
            return None
        names: dict[str, tuple[str, ...]] = head["parts"]
        loaded, deltas = {}, {}
        for name, files in names.items():
            loaded[name] = load_pickle(path / files[0])
            if name in DELTA_PARTS:
                deltas[name] = {}
                if len(files) > 1:
                    deltas[name] = load_pickle(path / files[1])
                    loaded[name].update(deltas[name])  # same keys: the order stays the whole's
        stored = {name: (names[name], value, deltas.get(name) if name in DELTA_PARTS else _memo_seen(name, value))
                  for name, value in loaded.items()}
        fields, blobs = loaded.pop("fields"), loaded.pop("entries")
        fields["diagnostics"], fields["checked"] = loaded.pop("diagnostics")
        fields.update({name: loaded.pop(name) for name in DELTA_PARTS if name != "entries"})
        related = StoredEntries(loaded["related"])  # each page's list decoded when a rebuild asks for it
        loaded["related"], stored["related"] = related, (names["related"], related, None)
        wiki = Wiki(entries=StoredEntries(blobs), **{f.name: loaded[f.name] for f in dataclasses.fields(Wiki) if f.name != "entries"})
        return BuildState(wiki=wiki, stored=stored, **fields)
    except Exception:  # noqa: BLE001 - any damage to a cache file only means a full build
        return None
