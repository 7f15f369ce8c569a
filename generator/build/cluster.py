"""Parsing and rendering on a Dask cluster (`kbwiki build --cluster tcp://HOST:PORT`): ClusterEngine, the second
implementation of build/parallel.Engine. The only module that imports Dask, and only once a cluster is asked for.

What travels: parse tasks take chunks of sources and return each page pickled, as the local pool's workers do
(the driver keeps those bytes for the parse cache); the gathered wiki, the theme's templates and the config are
scattered once to every worker, and render tasks take chunks of slugs and return each page's Output or Kept
(its bytes and render key). Gathering, linting and writing stay on the driver."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import math
import pickle
import socket
import sys
import threading
import uuid
from collections import deque
from pathlib import Path
from typing import Callable, Iterator, Mapping
from urllib.parse import urlsplit

from generator import __version__
from generator.config import Config
from generator.parse.sources import SourceFile

EXTRA = "kbwiki[cluster]"
CONNECT_SECONDS = 5.0  # to reach the scheduler; a refused connection fails at once (_reachable)
WORKER_SECONDS = 30.0  # for the scheduler's first worker
# Pages per task: a task costs the scheduler ~1 ms and a round trip, a page 2-8 ms of a worker's CPU; so at least
# MIN_CHUNK pages (overhead ~1-3%), at most MAX_CHUNK (~0.5-2 s a task), else TASKS_PER_THREAD tasks per worker
# thread (the slowest last task is a small share of the whole).
MIN_CHUNK, MAX_CHUNK, TASKS_PER_THREAD = 16, 256, 4
IN_FLIGHT_PER_THREAD = 4  # tasks submitted ahead per worker thread: the rest wait here, not in the scheduler's memory
RETRIES = 1  # a task that raises is tried once more; a task whose worker dies is run elsewhere by Dask itself
# What a worker's output depends on besides its kbwiki code: these must be the driver's versions too.
DEPENDENCIES = ("markdown", "jinja2", "pyyaml", "networkx", "nh3", "pygments", "markupsafe")


class ClusterError(Exception):
    """The cluster cannot do this build: Dask missing, the scheduler unreachable or without workers, a worker
    running other code, a task failing. Raised before anything is written, or with the old site left whole."""


class TaskFailed(Exception):
    """Raised in a worker by a task whose page raised: its message names the page (pickled back to the driver)."""


def require_dask():
    """Dask's distributed scheduler, imported; ClusterError naming the extra when it is not installed."""
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(f"--cluster needs Dask's distributed scheduler, which is not installed ({exc}): "
                           f"pip install '{EXTRA}'") from None
    return distributed


def connect(address: str) -> ClusterEngine:
    """The engine of the cluster whose scheduler is at `address`, checked now (ClusterError otherwise): reachable,
    with a worker, every worker running this kbwiki and its dependencies at the same versions."""
    engine = ClusterEngine(address)
    engine.client()
    return engine


def _client(address: str):
    """A client of the scheduler at `address`, checked as connect() says."""
    distributed = require_dask()
    # What goes wrong is said in one line (ClusterError), not as the tracebacks Dask logs when it loses a connection
    for name in ["distributed", *logging.root.manager.loggerDict]:  # Dask's config gives some loggers levels of their own
        if name.split(".")[0] == "distributed":
            logging.getLogger(name).setLevel(logging.CRITICAL)
    _reachable(address)
    try:
        client = distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_SECONDS)
        except TimeoutError:
            raise ClusterError(f"the Dask scheduler at {address} has no workers (waited {WORKER_SECONDS:g} s)") from None
        mine = code_digest()
        with _failing(f"cannot use the Dask scheduler at {address}"):
            digests = client.run(code_digest)
        for worker, theirs in sorted(digests.items()):
            if theirs != mine:
                raise ClusterError(f"worker {worker} runs other code than this kbwiki {__version__} (its kbwiki, Python or "
                                   f"{', '.join(DEPENDENCIES)} differ): install the same on every worker")
    except BaseException:
        client.close()
        raise
    return client


@contextlib.contextmanager
def _failing(what: str) -> Iterator[None]:
    """Whatever Dask raises inside (a lost connection, mostly) as a ClusterError: `what`, and why in one line."""
    try:
        yield
    except (ClusterError, TaskFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - Dask's errors have no common base; each means the cluster failed us
        reason = (str(exc).strip().splitlines() or [""])[0]
        raise ClusterError(f"{what}: {type(exc).__name__}: {reason}") from None


def _reachable(address: str) -> None:
    """A TCP scheduler address that refuses connections fails here at once (Dask would retry until its timeout)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return  # another transport: Dask's own connect decides
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        port = None
    if not host or port is None:
        raise ClusterError(f"cluster address {address!r} is not of the form tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}") from None


_digest: str | None = None


def code_digest() -> str:
    """A hash of this kbwiki's Python files and the versions of what shapes its output (run on every worker: the
    same value means the same bytes)."""
    global _digest
    if _digest is None:
        import importlib.metadata  # here: every build imports this module, a cluster's alone comes here

        package = Path(__file__).resolve().parents[1]
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{__version__}\0{sys.version_info[:2]}\0".encode())
        for name in DEPENDENCIES:
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = "?"
            digest.update(f"{name}={version}\0".encode())
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _digest = digest.hexdigest()
    return _digest


class RenderContext:
    """What every render task of a build needs, scattered once to each worker: the config, the gathered wiki,
    the theme's templates, what the build state keeps of each page; and, made there on first use, the Renderer."""

    __slots__ = ("config", "wiki", "theme", "records", "_renderer")

    def __init__(self, config: Config, wiki, theme, records):
        self.config, self.wiki, self.theme, self.records = config, wiki, theme, records
        self._renderer = None

    def __getstate__(self):
        return self.config, self.wiki, self.theme, self.records

    def __setstate__(self, state):
        self.config, self.wiki, self.theme, self.records = state
        self._renderer = None

    def renderer(self):
        """One Renderer per worker process for the whole build (templates compiled once, cards drawn once)."""
        with _lock:
            if self._renderer is None:
                from generator.emit.render import Renderer
                self._renderer = Renderer(self.config, self.wiki, self.theme)
            return self._renderer


_lock = threading.Lock()
_local = threading.local()  # a worker thread's Python-Markdown instance (one per thread: it is not thread-safe)


def _parse_chunk(config: Config, code: str, chunk: list[SourceFile]) -> list[bytes]:
    """A parse task: each page parsed and pickled, exactly as the local pool's workers do it."""
    from generator.parse.page import parse_source
    _same_code(code)
    md = getattr(_local, "md", None)
    if md is None:
        from generator.parse.markdown import make_markdown
        md = _local.md = make_markdown()
    out = []
    for source in chunk:
        try:
            out.append(pickle.dumps(parse_source(source, config, md), protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as exc:  # parse_source reports what a page holds itself: this is a fault of kbwiki's
            raise TaskFailed(f"{source.src_path}: parsing raised {type(exc).__name__}: {exc}") from exc
    return out


def _render_chunk(context: RenderContext, code: str, chunk: list[tuple[str, str]]) -> list:
    """A render task: each (slug, its render key in the site being replaced) rendered or Kept, with its record."""
    from generator.emit.pages import render_page
    _same_code(code)
    renderer, wiki, records = context.renderer(), context.wiki, context.records
    out = []
    for slug, previous_key in chunk:
        entry = wiki.entries[slug]
        try:
            item = render_page(wiki, renderer, entry, previous_key)
            out.append(item if records is None else (item, records.make(wiki, slug)))
        except Exception as exc:  # render_page makes a failing page a placeholder itself: a broken theme is left
            raise TaskFailed(f"{entry.page.src_path}: rendering raised {type(exc).__name__}: {exc}") from exc
    return out


def _same_code(code: str) -> None:
    if code != code_digest():  # a worker that joined after connect() checked the others
        raise TaskFailed(f"this worker runs other code than the driver's kbwiki {__version__}: install the same on every worker")


class ClusterEngine:
    """build/parallel.Engine on a Dask cluster: chunks of pages as tasks, their results in order.

    Connected only while it parses or renders: between the two the driver gathers and lints in forked
    workers of its own, which a process running a Dask client's threads must not fork."""

    def __init__(self, address: str):
        self.address = address
        self.code = code_digest()
        self._client = None
        self._token = uuid.uuid4().hex[:12]
        self._calls = 0
        self._live: set = set()  # futures not yet collected: close() cancels them

    def client(self):
        """The client, connected (and checked) when it is not."""
        if self._client is None:
            self._client = _client(self.address)
        return self._client

    def parse_many(self, sources: list[SourceFile], config: Config,
                   progress: Callable[[int], None] | None = None) -> Iterator[tuple]:
        """(parsed page, its pickled bytes) for every source, in order; progress(n) after each chunk."""
        if not sources:  # every page came from the parse cache: disconnected now, so that linking forks
            self.close()
            return iter(())
        return self._parse_many(sources, config, progress)

    def _parse_many(self, sources: list[SourceFile], config: Config, progress: Callable[[int], None] | None) -> Iterator[tuple]:
        chunks = self._chunks(sources)
        for chunk, results in zip(chunks, self._ordered("parse", _parse_chunk, chunks, (config, self.code),
                                                        lambda source: source.src_path)):
            for data in results:
                yield pickle.loads(data), data
            if progress:
                progress(len(results))

    def render_many(self, renderer, slugs: list[str], previous: Mapping[str, str] | None = None, records=None,
                    place_into=None) -> Iterator:
        """The content pages, in order, as parallel.render_many() yields them, rendered on the cluster. The
        workers may be on other machines: the pages come back whole and the writer writes them (`place_into`
        is not used)."""
        from generator.emit.theme import theme_sources
        if not slugs:
            return
        previous = previous or {}
        wiki = renderer.wiki
        shipped = dataclasses.replace(wiki, memo={})  # what lint memoised stays here; workers derive what they read
        # `records` goes as it is now, empty: each page's record comes back with the page
        context = RenderContext(renderer.config, shipped, theme_sources(renderer.config), records)
        chunks = self._chunks([(slug, previous.get(wiki.entries[slug].out_path, "")) for slug in slugs])
        with _failing(f"cannot send the wiki to the workers of {self.address}"):
            scattered = self.client().scatter(context, broadcast=True, hash=False)
        del context, shipped
        self._live.add(scattered)
        try:
            for results in self._ordered("render", _render_chunk, chunks, (scattered, self.code),
                                         lambda item: wiki.entries[item[0]].page.src_path):
                yield from results
        finally:
            self._live.discard(scattered)  # the last reference: the workers drop the wiki

    def close(self) -> None:
        """Cancel every task still pending (Ctrl-C, a failure) and disconnect."""
        client, self._client = self._client, None
        if client is None:
            return
        live, self._live = list(self._live), set()
        try:
            if live:
                client.cancel(live, force=True)
        except Exception:  # noqa: BLE001 - the connection is gone, and the scheduler forgets a lost client's tasks
            pass
        finally:
            client.close()

    def _threads(self) -> int:
        client = self.client()
        with _failing(f"lost the Dask scheduler at {self.address}"):
            return max(1, sum(client.nthreads().values()))

    def _chunks(self, items: list) -> list[list]:
        size = max(MIN_CHUNK, min(MAX_CHUNK, math.ceil(len(items) / (self._threads() * TASKS_PER_THREAD))))
        return [items[i:i + size] for i in range(0, len(items), size)]

    def _ordered(self, name: str, task: Callable, chunks: list[list], shared: tuple,
                 source_of: Callable[[object], str]) -> Iterator[list]:
        """task(*shared, chunk) for each chunk on the cluster, the results in the chunks' order; a few tasks per
        worker thread submitted ahead, each released once its result is here. Disconnects once the last is in.
        source_of(item): the source path of a chunk's item, for errors."""
        self._calls += 1
        client = self.client()
        window = self._threads() * IN_FLIGHT_PER_THREAD
        pending: deque = deque()
        submitted = 0
        try:
            while submitted < len(chunks) or pending:
                while submitted < len(chunks) and len(pending) < window:
                    with _failing(f"lost the Dask scheduler at {self.address}"):
                        future = client.submit(task, *shared, chunks[submitted], retries=RETRIES,
                                               key=f"kbwiki-{name}-{self._token}-{self._calls}-{submitted}")
                    self._live.add(future)
                    pending.append((submitted, future))
                    submitted += 1
                index, future = pending.popleft()
                try:
                    result = future.result()
                except TaskFailed as exc:
                    raise ClusterError(str(exc)) from None
                except Exception:  # noqa: BLE001 - a lost scheduler, a task that kept killing its workers
                    pages = chunks[index]
                    named = source_of(pages[0]) + (f" … {source_of(pages[-1])}" if len(pages) > 1 else "")
                    with _failing(f"{name} task {index + 1} of {len(chunks)} ({named}) failed on the cluster at {self.address}"):
                        raise
                finally:
                    self._live.discard(future)  # with the last reference gone, Dask forgets the task and its result
                del future
                if not pending and submitted == len(chunks):
                    self.close()  # every result is here: the driver may fork again
                yield result
        finally:  # left early (Ctrl-C, a failure, the consumer stopped): what is still queued or running is cancelled
            left = [future for _, future in pending]
            self._live.difference_update(left)
            if left and self._client is client:  # else close() cancelled them already
                with contextlib.suppress(Exception):  # a lost connection: the scheduler forgets a lost client's tasks
                    client.cancel(left, force=True)
