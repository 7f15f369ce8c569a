"""`kbwiki serve` logic: the Rebuilder (the one seam to the build) and the loop that rebuilds on changes.

Nothing here prints: results go to a callback the CLI gives, and to the EventHub browsers listen to.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from generator import diagnostics as diag
from generator.build.session import ProgressFactory, Session
from generator.config import Config, ConfigError
from generator.serve.devserver import DevServer, EventHub, bind_server
from generator.diagnostics import Diagnostic, DiagnosticTable
from generator.parse.markdown import make_markdown
from generator.paths import SourcePath
from generator.emit.theme import theme_dirs
from generator.parse.page import parse_source
from generator.parse.sources import read_source
from generator.serve.watch import Watcher, WatchTargets
from generator.build.writer import OutputError, holds_site


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What one rebuild did: whether the served site is now this build's, and why not when it is not."""

    ok: bool  # the site on disk matches the files now (written, or nothing had changed)
    build_id: int  # the build now served; it grows only when a new site was written
    unchanged: bool = False  # nothing that shapes the site changed: nothing was written
    pages: int = 0
    files: int = 0
    reparsed: int = 0  # pages parsed this time (the rest came from the parse cache)
    seconds: float = 0.0
    diagnostics: Sequence[Diagnostic] = ()  # everything the build found (a build's DiagnosticTable, as it is: not copied)
    blocking: tuple[Diagnostic, ...] = ()  # errors in changed files that kept the old site (shown as overlay)
    failure: str = ""  # an exception or config error that stopped the build
    detail: str = field(default="", compare=False)  # the traceback of `failure`, for --verbose
    notes: tuple[str, ...] = ()  # from the build engine (e.g. a cache that turned itself off)
    catch_up: bool = False  # the first good build behind a site served from disk (unchanged: it was up to date)

    def overlay(self) -> dict | None:
        """The payload browsers show as an overlay; None when the site is good."""
        if self.ok:
            return None
        return {"failure": self.failure, "problems": [dict(d.as_json(), text=d.text()) for d in self.blocking]}


class Rebuilder:
    """The seam between `serve` and the build engine: rebuild(changed) -> RebuildResult.

    A changed file whose own parse gives an error (broken front matter, not UTF-8, ...) blocks the
    write: the last good site stays served until that file is fixed. Problems between pages (red
    links, duplicate titles) never block; the rebuilt pages show them. Everything else is the
    engine's (`build.run_build`: parse cache, parallel parsing, re-rendering only what changed,
    the atomic swap).

    `on_disk`: the site already in the output folder is being served as build 1; the first build
    catches up with it, and is a new build (open pages reload) only when it writes something.
    `progress`: a progress factory for the first build only, the one that can take minutes.
    """

    def __init__(self, make_config: Callable[[], Config], cache_dir: Path | None = None, on_disk: bool = False,
                 progress: ProgressFactory | None = None):
        self._make_config = make_config
        self._cache_dir = cache_dir
        self._progress = progress
        self._pending: set[Path] = set()  # paths changed since the last good build
        self._session: Session | None = None  # the engine's memory between rebuilds (same config only)
        self._catching_up = on_disk
        self.build_id = 1 if on_disk else 0

    def rebuild(self, changed: Iterable[Path] = ()) -> RebuildResult:
        """Rebuild after `changed` (absolute paths; empty for the first build) and write unless blocked."""
        started = time.perf_counter()
        self._pending |= set(changed)
        try:
            config = self._make_config()
        except ConfigError as exc:
            return RebuildResult(False, self.build_id, failure=f"config: {exc}")
        if not config.content_dir.is_dir():  # moved or deleted while serving: do not serve an empty wiki
            return RebuildResult(False, self.build_id, failure=f"content folder {config.content_dir} does not exist")
        try:
            blocking = tuple(own_errors(config, self._pending))
            if blocking:
                return RebuildResult(False, self.build_id, blocking=blocking, seconds=time.perf_counter() - started)
            if self._session is None or self._session.config != config:
                self._session = Session(config, cache_dir=self._cache_dir, remember=True, progress=self._progress)
                self._progress, changed_pages = None, None
            else:
                changed_pages = self._changed_pages(config)
            built = self._session.build(changed_pages)
            gc.freeze()  # the session keeps this build's state: no later collection walks it (a full build unfreezes)
        except (OutputError, OSError) as exc:
            return RebuildResult(False, self.build_id, failure=f"cannot write {config.out_dir}: {exc}")
        except Exception as exc:  # a broken template raises; keep serving the last good site
            summary = "".join(traceback.format_exception_only(exc)).strip()
            return RebuildResult(False, self.build_id, failure=summary, detail=traceback.format_exc())
        self._pending.clear()
        if built.written or self.build_id == 0:
            self.build_id += 1
        catch_up, self._catching_up = self._catching_up, False
        return RebuildResult(True, self.build_id, unchanged=built.unchanged, pages=built.pages, files=built.files,
                             reparsed=built.parsed, seconds=time.perf_counter() - started,
                             diagnostics=_unchanged(built.diagnostics), notes=tuple(built.notes), catch_up=catch_up)


    def save(self) -> str:
        """Save the last good build's state for the next `kbwiki build` (Session.save); "" when done or nothing to save."""
        return self._session.save() if self._session is not None else ""

    def _changed_pages(self, config: Config) -> set[str] | None:
        """The pending changes as source paths, or None when one is outside the content folder (theme, config)."""
        pages = _source_paths(self._pending, config.content_dir)
        return set(pages) if len(pages) == len(self._pending) else None


def _unchanged(diagnostics: Sequence[Diagnostic]) -> Sequence[Diagnostic]:
    """A build's diagnostics as a result may hold them: a table as it is (immutable; an edit's rebuild of a
    32,000-page wiki would otherwise make its 100,000 findings into values every time), else a tuple."""
    return diagnostics if isinstance(diagnostics, DiagnosticTable) else tuple(diagnostics)


def own_errors(config: Config, changed: Iterable[Path]) -> list[Diagnostic]:
    """The errors each changed page has on its own: reading, decoding, front matter, field types."""
    md = None
    found: list[Diagnostic] = []
    for src_path in _source_paths(changed, config.content_dir):
        if (not src_path.casefold().endswith(".md") or any(part.startswith(".") for part in src_path.split("/"))
                or not (config.content_dir / src_path).is_file()):
            continue  # not a page (discover skips it), or deleted
        source, problems = read_source(config.content_dir, src_path)
        if source is not None:
            md = md or make_markdown()
            problems += parse_source(source, config, md)[1]
        found += [d for d in problems if d.level == "error"]
    return sorted(found, key=diag.sort_key)


def _source_paths(changed: Iterable[Path], content_dir: Path) -> list[SourcePath]:
    """Changed paths inside the content folder, as source paths."""
    root = content_dir.resolve()
    out = []
    for path in changed:
        try:
            out.append(SourcePath(Path(path).resolve().relative_to(root).as_posix()))
        except ValueError:
            continue
    return out


class RebuildLoop:
    """A thread that takes batches of changed paths, rebuilds, and tells the hub and the CLI."""

    def __init__(self, rebuilder: Rebuilder, hub: EventHub, on_result: Callable[[RebuildResult], None]):
        self.rebuilder, self.hub, self.on_result = rebuilder, hub, on_result
        self.changes: queue.Queue[set[Path]] = queue.Queue()
        self._stop = threading.Event()
        self._catching_up = False
        self._thread = threading.Thread(target=self._run, name="kbwiki-rebuild", daemon=True)

    def run_once(self, changed: Iterable[Path] = ()) -> RebuildResult:
        """Rebuild now, in this thread, and publish the result (unless stopped meanwhile: nobody is listening)."""
        result = self.rebuilder.rebuild(changed)
        if not self._stop.is_set():
            self.hub.publish(result.build_id, result.overlay())
            self.on_result(result)
        return result

    def start(self, catch_up: bool = False) -> None:
        """Rebuild on queued changes in a thread; with `catch_up`, the whole wiki first, and what was queued
        meanwhile (edits made while it ran) right after it."""
        self._catching_up = catch_up
        self._thread.start()

    def stop(self) -> bool:
        """Stop after the current rebuild, giving up waiting soon (at once for the catch-up, which may have minutes
        to go): its write is an atomic swap or a journalled update, safe to abandon. True when it is still running."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=0 if self._catching_up else 5)
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            if self._catching_up:
                self.run_once()
                self._catching_up = False
            self._follow()
        except KeyboardInterrupt:  # Ctrl-C reached the build's worker processes too: serve is stopping
            return

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self.changes.get(timeout=0.2)
            except queue.Empty:
                continue
            while True:  # fold in whatever arrived meanwhile: one rebuild per burst
                try:
                    batch |= self.changes.get_nowait()
                except queue.Empty:
                    break
            self.run_once(batch)


class Serving:
    """A running `serve`: the HTTP server, the rebuild loop and the watcher, stopped together."""

    def __init__(self, server: DevServer, loop: RebuildLoop, watcher: Watcher, from_disk: bool = False):
        self.server, self.loop, self.watcher = server, loop, watcher
        self.url = server.url()
        self.from_disk = from_disk  # a site was on disk when serving began: the first build catches up behind it
        self.save_problem = ""  # why the build state could not be saved as serving stopped ("" when it was)
        self._done = threading.Event()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="kbwiki-http", daemon=True)

    def serve(self) -> None:
        """Answer requests, in a thread."""
        self._thread.start()

    def start_rebuilding(self) -> None:
        """Rebuild in a thread: first the catch-up when serving the site from disk, then on every queued change
        (the watcher is already running, so none made since start_serving is lost)."""
        self.loop.start(catch_up=self.from_disk)

    def wait(self) -> None:
        """Block until stop() (Ctrl-C interrupts it in the main thread)."""
        self._done.wait()

    def stop(self) -> bool:
        """Stop watching, rebuilding and serving; end open event streams. True when a build is still running
        (abandoned: the process may end without waiting for it, or for the worker pool it holds)."""
        self.watcher.stop()
        building = self.loop.stop()
        self.loop.hub.close()
        if self._thread.is_alive():  # shutdown() would wait forever for a loop that never started
            self.server.shutdown()
        self.server.server_close()
        if not building:  # the state of the site as served, for the next `kbwiki build` to start from
            self.save_problem = self.loop.rebuilder.save()
        self._done.set()
        return building


def start_serving(make_config: Callable[[], Config], host: str, port: int | None, config_file: Path | None,
                  on_result: Callable[[RebuildResult], None], on_watch_error: Callable[[Exception], None],
                  progress: ProgressFactory | None = None) -> Serving:
    """Bind the port (ServeError when it cannot), watch, and answer requests in a thread; the caller then
    says so and calls `start_rebuilding()` (so nothing a rebuild reports comes before what it says).

    A site kbwiki wrote in the output folder is served at once, as it is, and the first build catches up
    behind it once rebuilding starts (a large wiki's takes minutes); with none there, the first build
    comes first, here."""
    config = make_config()
    on_disk = holds_site(config.out_dir)
    hub = EventHub()
    rebuilder = Rebuilder(make_config, on_disk=on_disk, progress=progress)
    loop = RebuildLoop(rebuilder, hub, on_result)
    targets = WatchTargets.make([config.content_dir, *theme_dirs(config)], config_file, config.out_dir)
    watcher = Watcher(targets, loop.changes.put, on_watch_error)
    serving = Serving(bind_server(host, port, config.out_dir, hub), loop, watcher, from_disk=on_disk)
    try:
        watcher.start()  # before the first build: a change made while it runs is queued, not lost
        if on_disk:
            hub.publish(rebuilder.build_id, None)  # pages served now carry this build: no reload unless it changes
        else:
            loop.run_once()
        serving.serve()
    except BaseException:
        serving.stop()
        raise
    return serving
