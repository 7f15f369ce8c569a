"""The persistent parse cache: parsed pages keyed by content hash, kbwiki version and config (SQLite)."""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

from generator import __version__
from generator.config import Config

CACHE_DIR = ".kbwiki-cache"
SCHEMA = 16  # bump when ParsedPage's shape or what parsing produces changes (3: Obsidian syntax, inline tags; 4: RenderedBody.blocked; 5: ParsedPage.search; 6: UTF-8 bodies; 7: packed HTML, tags as rendered, headings need a space; 8: classes moved into stage folders; 9: fenced code highlighted, Mermaid placeholders; 10: math, RenderedBody.bad_math; 11: pages past a bound shown as text, folder and root .md links; 12: raw HTML sanitized by default; 13: Page.front, Diagnostic.subject; 14: ParsedPage.contexts; 15: no ParsedPage.markdown; 16: ParsedPage.search as UTF-8)


def dump_pickle(path: Path, value: object, memo: bool = True) -> None:
    """One pickle into a file of the cache folder, atomically (a temporary file beside it, then a rename); raises
    what the file system raises, leaving nothing behind. `memo=False` for a value that holds no object twice
    and no cycle (a StreamedDict of byte strings by slug): the pickler then keeps no reference to what it has
    written, which it otherwise holds to the end (every page's stored bytes at once)."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.fast = not memo
            pickler.dump(value)
        os.replace(temporary, path)
    except BaseException:
        try:
            temporary.unlink()
        except OSError:
            pass
        raise


class Spool:
    """Byte strings by key, kept in an unnamed temporary file in `folder` instead of memory: written as they come,
    read back one at a time (a cold build's stored pages, which the build state saves at its end: 52 MB of
    pickles at llm-wiki-full's 32,000 pages that the build's largest process no longer holds, where it peaks).
    Gone when closed or dropped."""

    def __init__(self, folder: Path | None = None):
        try:
            self._file = tempfile.TemporaryFile(dir=folder)
        except OSError:  # an unwritable cache folder: the system's temporary folder
            self._file = tempfile.TemporaryFile()
        self._at: dict[str, tuple[int, int]] = {}
        self._end = 0
        self._flushed = True

    def add(self, key: str, data: bytes) -> None:
        self._file.write(data)
        self._at[key] = (self._end, len(data))
        self._end += len(data)
        self._flushed = False

    def get(self, key: str) -> bytes:
        if not self._flushed:
            self._file.flush()
            self._flushed = True
        offset, size = self._at[key]
        return os.pread(self._file.fileno(), size, offset)

    def __len__(self) -> int:
        return len(self._at)

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def close(self) -> None:
        self._file.close()


class StreamedDict:
    """Pickled as a dict whose items come from `items` one at a time, never all in memory at once (pickle asks
    a __reduce__ for an iterator of them); it loads as a plain dict."""

    def __init__(self, items: Iterable[tuple[object, object]]):
        self._items = items

    def __reduce__(self):
        return dict, (), None, None, iter(self._items)


def load_pickle(path: Path) -> object:
    """One pickle from a file of the cache folder, with the collector paused: unpickling a large one makes
    millions of objects and no garbage, and a collection every few hundred thousand of them walks
    everything made so far (~a fifth of the time). Raises what reading or unpickling raises."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    finally:
        if collecting:
            gc.enable()


def default_cache_dir(config: Config) -> Path:
    """Where the cache lives unless configured: beside the output folder, in a folder kbwiki owns."""
    return config.out_dir.resolve().parent / CACHE_DIR


def parse_key(config: Config, src_path: str, raw: bytes) -> str:
    """The cache key of one file's parse: its path and bytes, kbwiki's version and the shaping config."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (f"{SCHEMA}\0{__version__}\0{config.fingerprint(parsing=True)}\0{src_path}\0".encode(), raw):
        digest.update(part)
    return digest.hexdigest()


class ParseCache:
    """ParsedPage values by parse_key, in one SQLite file in a folder kbwiki owns.

    Any problem with the cache (a read-only folder, a damaged file) turns it off for this build:
    the build goes on uncached and `self.problem` says why.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.problem = ""
        self.hits = self.misses = 0
        self._db: sqlite3.Connection | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            readme = folder / "README.txt"
            if not readme.exists():
                readme.write_text("kbwiki's build cache. Safe to delete; the next build recreates it.\n", encoding="utf-8")
            self._db = sqlite3.connect(folder / "parse.sqlite", timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS parsed (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
        except (OSError, sqlite3.Error) as exc:
            self._disable(exc)

    def _disable(self, exc: Exception) -> None:
        self.problem = f"build cache in {self.folder} is unusable ({exc}); building without it"
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
        self._db = None

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def get_many(self, keys: list[str]) -> dict[str, object]:
        """The cached values for those keys that are present."""
        if self._db is None or not keys:
            return {}
        found: dict[str, object] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, data in self._db.execute(f"SELECT key, data FROM parsed WHERE key IN ({marks})", chunk):
                    found[key] = pickle.loads(data)
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            self._disable(exc)
            return {}
        return found

    def put_many(self, items: dict[str, object]) -> None:
        """Store values, or their pickled bytes as they are (a failure only turns the cache off)."""
        if self._db is None or not items:
            return
        try:
            with self._db:
                pending = list(items.items())
                for start in range(0, len(pending), 256):  # pickled in batches: never the whole wiki at once
                    self._db.executemany("INSERT OR REPLACE INTO parsed (key, data) VALUES (?, ?)",
                                         [(k, v if isinstance(v, bytes) else pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL))
                                          for k, v in pending[start:start + 256]])
        except (sqlite3.Error, pickle.PicklingError) as exc:
            self._disable(exc)

    def keep_only(self, keys: set[str]) -> None:
        """Drop entries no current file needs (keeps the cache the size of the wiki)."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.execute("CREATE TEMP TABLE IF NOT EXISTS live (key TEXT PRIMARY KEY)")
                self._db.execute("DELETE FROM live")
                self._db.executemany("INSERT OR IGNORE INTO live (key) VALUES (?)", [(k,) for k in keys])
                self._db.execute("DELETE FROM parsed WHERE key NOT IN (SELECT key FROM live)")
        except sqlite3.Error as exc:
            self._disable(exc)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
