"""The build state: what one build leaves for the next to start from, in memory (serve) or on disk (CLI).

A build that wrote a site remembers the wiki it gathered, every page's digest, render key and search
row, and its diagnostics. The next build after an edit that changes no page's shape starts from that
state instead of parsing and gathering the whole wiki again (build.Session). On disk the state is one
pickle in the cache folder per output folder; each page is stored as its own pickled bytes without its
Markdown, text and HTML (but for pages other pages embed), and is decoded only when a rebuild touches it,
so loading the state of 10,000 pages costs a fraction of a second. A state that does not match the
output folder's manifest, kbwiki's version or the schema is ignored: the build is then a full one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from generator import __version__
from generator.diagnostics import Diagnostic
from generator.emit.search_index import search_row_texts
from generator.parse.markdown import NO_HTML
from generator.wiki.model import Entry, Wiki
from generator.paths import Slug

SCHEMA = 8  # bump when what the state holds changes (2: ParsedPage.search; 3: UTF-8 bodies; 4: UTF-8 search rows; 5: packed HTML; 6: classes moved into stage folders; 7: Output.problem, path slugs; 8: Page.front, Diagnostic.subject)


@dataclass(slots=True)
class BuildState:
    """What a build that wrote a site knows of it."""

    theme: str  # render.theme_fingerprint() it was built with
    fingerprint: str  # the site fingerprint written into the manifest
    digests: dict[str, str]  # source path -> digest of its bytes
    attachments: dict[str, tuple[int, int]]  # every non-page file -> (size, mtime_ns)
    wiki: Wiki
    diagnostics: list[Diagnostic]
    parse_problems: dict[str, list[Diagnostic]]
    files: list[str]
    keys: dict[str, str]
    search_types: list[str]  # the page types search-index.js lists
    search_rows: dict[str, bytes]  # slug -> the page's row in search-index.js, as UTF-8 JSON
    embedded: set[str]  # source paths of the pages some page embeds


class StoredEntries(Mapping):
    """A wiki's entries as stored: each decoded from its pickled bytes the first time it is asked for."""

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
    blobs: dict[Slug, bytes] = field(default_factory=dict)

    def make(self, wiki: Wiki, slug: Slug) -> tuple[Slug, bytes, bytes]:
        row = search_row_texts(wiki, [slug], self.types)[slug]
        return slug, row, entry_blob(wiki.entries[slug], slug in self.keep_html) if self.blobs_too else b""

    def add(self, made: tuple[Slug, bytes, bytes]) -> None:
        slug, row, blob = made
        self.rows[slug] = row
        if blob:
            self.blobs[slug] = blob


def with_entries(entries: Mapping[Slug, Entry], changed: dict[Slug, Entry]) -> Mapping[Slug, Entry]:
    """`entries` with some entries replaced, in the same order and of the same kind."""
    if isinstance(entries, StoredEntries):
        return entries.replaced(changed)
    return {**entries, **changed}


def slim(entry: Entry, keep_html: bool) -> Entry:
    """An entry as the state keeps it: without its Markdown, prose and search text (the state keeps its search
    row), and without its HTML unless other pages embed it. A rebuild re-parses every page it renders, so
    none of it is read again."""
    parsed = entry.parsed
    body = dataclasses.replace(parsed.body, text="", prose_utf8=b"", html_z=parsed.body.html_z if keep_html else NO_HTML)
    return dataclasses.replace(entry, parsed=dataclasses.replace(parsed, page=dataclasses.replace(parsed.page, body=""), body=body,
                                                                 search=("", "", ""), markdown=b""))


def entry_blob(entry: Entry, keep_html: bool) -> bytes:
    return pickle.dumps(slim(entry, keep_html), protocol=pickle.HIGHEST_PROTOCOL)


def state_path(cache_dir: Path, out_dir: Path) -> Path:
    """Where the state of builds into `out_dir` is kept."""
    name = hashlib.blake2b(os.fsencode(os.path.realpath(out_dir)), digest_size=8).hexdigest()
    return cache_dir / f"state-{name}.pickle"


def save_state(path: Path, state: BuildState, blobs: dict[Slug, bytes] | None = None) -> str:
    """Write the state (atomically); "" when done, else why not (the next build is then a full one).
    `blobs`: the stored bytes of every page, when the build made them already (PageRecords)."""
    wiki = state.wiki
    entries = wiki.entries
    keep = {wiki.by_src[src] for src in state.embedded if src in wiki.by_src}
    if blobs is not None and len(blobs) == len(entries):
        blobs = {slug: blobs[slug] for slug in entries}  # in the wiki's order
    elif isinstance(entries, StoredEntries):
        blobs = {slug: entries.blob(slug, slug in keep) for slug in entries}
    else:
        blobs = {slug: entry_blob(entry, slug in keep) for slug, entry in entries.items()}
    fields = {f.name: getattr(state, f.name) for f in dataclasses.fields(state) if f.name != "wiki"}
    # One pickle after another, each with its own memo: pickling the whole state at once would hold a memo
    # entry for every object of the wiki (hundreds of MB at 10,000 pages).
    parts = [{"schema": SCHEMA, "version": __version__}, fields, blobs]
    parts += [getattr(wiki, f.name) for f in dataclasses.fields(wiki) if f.name != "entries"]
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            for part in parts:
                pickle.dump(part, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError) as exc:
        try:
            temporary.unlink()
        except OSError:
            pass
        return f"build state not saved ({exc}); the next build parses every page again"
    return ""


def load_state(path: Path) -> BuildState | None:
    """The saved state, or None when there is none or it cannot be used (damaged, another version)."""
    try:
        with open(path, "rb") as handle:
            head = pickle.load(handle)
            if not isinstance(head, dict) or head.get("schema") != SCHEMA or head.get("version") != __version__:
                return None
            fields, blobs = pickle.load(handle), pickle.load(handle)
            rest = {f.name: pickle.load(handle) for f in dataclasses.fields(Wiki) if f.name != "entries"}
        return BuildState(wiki=Wiki(entries=StoredEntries(blobs), **rest), **fields)
    except Exception:  # noqa: BLE001 - any damage to a cache file only means a full build
        return None
