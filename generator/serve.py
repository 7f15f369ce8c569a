"""`kbwiki serve` logic: the Rebuilder (the one seam to the build) and the loop that rebuilds on changes.

Nothing here prints: results go to a callback the CLI gives, and to the EventHub browsers listen to.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from generator.config import Config, ConfigError
from generator.devserver import DevServer, EventHub, bind_server
from generator.diagnostics import Diagnostic
from generator.markdown import make_markdown
from generator.model import ParsedPage
from generator.paths import SourcePath
from generator.render import theme_dirs
from generator.site import Site, parse_source, site_from_parsed
from generator.sources import discover, read_source
from generator.watch import Watcher, WatchTargets
from generator.writer import OutputError, build_lock, write_site

_ParseKey = tuple[SourcePath, bytes, str]  # (source path, content hash, config fingerprint)


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What one rebuild did: whether the site on disk was replaced, and why not when it was not."""

    written: bool
    build_id: int  # the build now served (unchanged when nothing was written)
    pages: int = 0
    files: int = 0
    reparsed: int = 0  # pages parsed again (the rest were reused)
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()  # everything the build found
    blocking: tuple[Diagnostic, ...] = ()  # errors in changed files that kept the old site (shown as overlay)
    failure: str = ""  # an exception or config error that stopped the build
    detail: str = field(default="", compare=False)  # the traceback of `failure`, for --verbose

    def overlay(self) -> dict | None:
        """The payload browsers show as an overlay; None when the build was written."""
        if self.written:
            return None
        return {"failure": self.failure, "problems": [dict(d.as_json(), text=d.text()) for d in self.blocking]}


class Rebuilder:
    """Builds the site and writes it through the writer's atomic swap; the seam the incremental engine replaces.

    A changed file whose own parse gives an error (broken front matter, not UTF-8, ...) blocks the
    write: the last good site stays served until that file is fixed. Problems between pages (red
    links, duplicate titles) never block; the rebuilt pages show them.
    """

    def __init__(self, make_config: Callable[[], Config]):
        self._make_config = make_config
        self._parsed: dict[_ParseKey, tuple[ParsedPage | None, list[Diagnostic]]] = {}
        self._pending: set[Path] = set()  # paths changed since the last written build
        self.build_id = 0

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
            site, own_problems, reparsed = self._build(config)
        except Exception as exc:  # a broken template raises; keep serving the last good site
            summary = "".join(traceback.format_exception_only(exc)).strip()
            return RebuildResult(False, self.build_id, failure=summary, detail=traceback.format_exc())
        pending = set(_source_paths(self._pending, config.content_dir))
        blocking = tuple(d for d in own_problems if d.level == "error" and d.src_path in pending)
        common = dict(pages=len(site.wiki.entries), files=len(site.outputs), reparsed=reparsed,
                      diagnostics=tuple(site.diagnostics))
        if blocking:
            return RebuildResult(False, self.build_id, blocking=blocking,
                                 seconds=time.perf_counter() - started, **common)
        try:
            with build_lock(config.out_dir):
                write_site(site.outputs, config.out_dir)
        except (OutputError, OSError) as exc:
            return RebuildResult(False, self.build_id, failure=f"cannot write {config.out_dir}: {exc}", **common)
        self._pending.clear()
        self.build_id += 1
        return RebuildResult(True, self.build_id, seconds=time.perf_counter() - started, **common)

    def _build(self, config: Config) -> tuple[Site, list[Diagnostic], int]:
        """The whole site in memory, reusing parsed pages whose bytes and config did not change."""
        src_paths, problems = discover(config.content_dir)
        fingerprint = config.fingerprint()
        md = None
        parsed: list[ParsedPage] = []
        own: list[Diagnostic] = list(problems)
        kept: dict[_ParseKey, tuple[ParsedPage | None, list[Diagnostic]]] = {}
        reparsed = 0
        for src_path in src_paths:
            source, read_problems = read_source(config.content_dir, src_path)
            own += read_problems
            if source is None:
                continue
            key = (src_path, hashlib.blake2b(source.raw, digest_size=16).digest(), fingerprint)
            if key not in self._parsed:
                md = md or make_markdown()
                self._parsed[key] = parse_source(source, config, md)
                reparsed += 1
            kept[key] = item, parse_problems = self._parsed[key]
            own += parse_problems
            if item is not None:
                parsed.append(item)
        self._parsed = kept  # forget deleted and outdated versions
        return site_from_parsed(config, parsed, list(own)), own, reparsed


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
        self._thread = threading.Thread(target=self._run, name="kbwiki-rebuild", daemon=True)

    def run_once(self, changed: Iterable[Path] = ()) -> RebuildResult:
        """Rebuild now, in this thread, and publish the result."""
        result = self.rebuilder.rebuild(changed)
        self.hub.publish(result.build_id, result.overlay())
        self.on_result(result)
        return result

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current rebuild; give up waiting soon (the write is an atomic swap, safe to abandon)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
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

    def __init__(self, server: DevServer, loop: RebuildLoop, watcher: Watcher):
        self.server, self.loop, self.watcher = server, loop, watcher
        self.url = server.url()
        self._done = threading.Event()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="kbwiki-http", daemon=True)

    def start(self) -> None:
        """Rebuild on queued changes and answer requests (the watcher is already running)."""
        self.loop.start()
        self._thread.start()

    def wait(self) -> None:
        """Block until stop() (Ctrl-C interrupts it in the main thread)."""
        self._done.wait()

    def stop(self) -> None:
        """Stop watching, rebuilding and serving; end open event streams."""
        self.watcher.stop()
        self.loop.stop()
        self.loop.hub.close()
        if self._thread.is_alive():  # shutdown() would wait forever for a loop that never started
            self.server.shutdown()
        self.server.server_close()
        self._done.set()


def start_serving(make_config: Callable[[], Config], host: str, port: int | None, config_file: Path | None,
                  on_result: Callable[[RebuildResult], None], on_watch_error: Callable[[Exception], None]) -> Serving:
    """Bind the port (ServeError when it cannot), build once, then serve, watch and rebuild in threads."""
    config = make_config()
    hub = EventHub()
    loop = RebuildLoop(Rebuilder(make_config), hub, on_result)
    targets = WatchTargets.make([config.content_dir, *theme_dirs(config)], config_file, config.out_dir)
    watcher = Watcher(targets, loop.changes.put, on_watch_error)
    serving = Serving(bind_server(host, port, config.out_dir, hub), loop, watcher)
    try:
        watcher.start()  # before the first build: a change made while it runs is queued, not lost
        loop.run_once()
        serving.start()
    except BaseException:
        serving.stop()
        raise
    return serving
