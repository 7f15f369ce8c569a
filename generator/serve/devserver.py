"""The HTTP side of `kbwiki serve`: files from the output folder only, live-reload events, the injected script.

The script is added to HTML responses here, at serve time; `kbwiki build` output never contains it.
"""

from __future__ import annotations

import errno
import json
import mimetypes
import re
import socket
import socketserver
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.serve import ServeError  # noqa: F401 - raised here, named by cli.py and the tests

EVENTS_PATH = "/__kbwiki/events"
SCRIPT_PATH = "/__kbwiki/livereload.js"
SCRIPT_FILE = Path(__file__).with_name("livereload.js")
DEFAULT_PORT = 8000
PORT_TRIES = 20  # without --port: 8000, 8001, ... until one is free
PING_SECONDS = 15.0  # a comment on idle event streams, so closed tabs are noticed

_TEXT = "; charset=utf-8"
CONTENT_TYPES = {
    ".html": "text/html" + _TEXT, ".htm": "text/html" + _TEXT, ".css": "text/css" + _TEXT,
    ".js": "text/javascript" + _TEXT, ".mjs": "text/javascript" + _TEXT, ".json": "application/json" + _TEXT,
    ".map": "application/json" + _TEXT, ".xml": "application/xml" + _TEXT, ".txt": "text/plain" + _TEXT,
    ".md": "text/plain" + _TEXT, ".svg": "image/svg+xml" + _TEXT, ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
    ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2", ".pdf": "application/pdf",
}
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_HEAD_START = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)


def content_type(name: str) -> str:
    """The Content-Type of a file by its name; text types say UTF-8."""
    suffix = Path(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return guessed + _TEXT if guessed.startswith("text/") else guessed


@dataclass(frozen=True, slots=True)
class Located:
    """Where a request path leads: a file inside the site, a redirect (add '/'), or nothing (None, '')."""

    path: Path | None = None
    redirect: str = ""


def locate(root: Path, request_path: str) -> Located:
    """The file a request path names, only ever inside `root` (no '..', dot-files or symlinks out)."""
    raw = urlsplit(request_path).path
    path = unquote(raw)  # once: `%2e%2e` and `%2f` become '..' and '/' and are checked below
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return Located()
    parts = [p for p in path.split("/") if p]
    if any(p.startswith(".") for p in parts):  # '..', '.', and dot-files such as .kbwiki-site
        return Located()
    try:
        top = root.resolve(strict=True)
        real = top.joinpath(*parts).resolve()
        if real.is_dir():
            if not path.endswith("/"):
                return Located(redirect=raw + "/") if _inside(real, top) else Located()
            real = (real / "index.html").resolve()
        if _inside(real, top) and real.is_file():
            return Located(real)
    except (OSError, RuntimeError, ValueError):  # missing root, symlink loop, odd names
        pass
    return Located()


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def inject(html: bytes, build_id: int, base: bool = False) -> bytes:
    """The HTML with the live-reload script before </body> (and `<base href="/">` when asked)."""
    tag = f'<script src="{SCRIPT_PATH}" data-build="{build_id}"></script>\n'.encode()
    ends = list(_BODY_END.finditer(html))
    html = html[: ends[-1].start()] + tag + html[ends[-1].start():] if ends else html + tag
    if base:  # the 404 page is served at any depth; its URLs are relative to the site root
        head = _HEAD_START.search(html)
        at = head.end() if head else 0
        html = html[:at] + b'<base href="/">' + html[at:]
    return html


class EventHub:
    """What open pages are told: the build now served and the current overlay (None: no problem)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._version = 0
        self._build_id = 0
        self._overlay: dict | None = None
        self._closed = False

    @property
    def build_id(self) -> int:
        with self._cond:
            return self._build_id

    def publish(self, build_id: int, overlay: dict | None) -> None:
        """A rebuild finished: tell every stream."""
        with self._cond:
            self._version += 1
            self._build_id, self._overlay = build_id, overlay
            self._cond.notify_all()

    def snapshot(self) -> tuple[int, int, dict | None]:
        """(version, build_id, overlay) now."""
        with self._cond:
            return self._version, self._build_id, self._overlay

    def wait(self, version: int, timeout: float) -> tuple[int, int, dict | None] | None:
        """The state once it differs from `version` (or unchanged after `timeout`); None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._version != version, timeout)
            if self._closed:
                return None
            return self._version, self._build_id, self._overlay

    def close(self) -> None:
        """End every event stream (on shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class DevServer(ThreadingHTTPServer):
    """A threaded server over the output folder; one daemon thread per connection."""

    daemon_threads = True
    block_on_close = False  # open event streams must not hold up shutdown
    # socketserver's listen backlog is 5: with 50 browsers (or a load test) connecting at once, the
    # kernel drops the extra SYNs and clients wait 1, 3, 7 s for retries (benchmarks/load_test.py).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], root: Path, hub: EventHub):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.root, self.hub = root.absolute(), hub
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # HTTPServer's version does a slow reverse DNS lookup
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the browser went away mid-response
        super().handle_error(request, client_address)

    def url(self) -> str:
        host = self.server_address[0]
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.server_port}/"


def bind_server(host: str, port: int | None, root: Path, hub: EventHub) -> DevServer:
    """Bind to `port`, or without one to the first free port from 8000 on; ServeError says why not."""
    ports = [port] if port is not None else range(DEFAULT_PORT, DEFAULT_PORT + PORT_TRIES)
    for candidate in ports:
        try:
            return DevServer((host, candidate), root, hub)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and port is None:
                continue
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} on {host} is in use; choose another with --port (0 = any free port)") from None
            raise ServeError(f"cannot listen on {host}:{candidate}: {exc.strerror or exc}") from None
    raise ServeError(f"ports {DEFAULT_PORT}-{DEFAULT_PORT + PORT_TRIES - 1} on {host} are all in use; choose one with --port")


class _Handler(BaseHTTPRequestHandler):
    server: DevServer
    server_version = "kbwiki"

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format, *args) -> None:  # quiet: the terminal shows rebuilds, not requests
        pass

    def _serve(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path == EVENTS_PATH and not head:
            return self._events()
        if path == SCRIPT_PATH:
            return self._send(HTTPStatus.OK, content_type(SCRIPT_PATH), SCRIPT_FILE.read_bytes(), head)
        build_id = self.server.hub.build_id  # read before the file, so a page is never older than its id
        found = locate(self.server.root, self.path)
        if found.redirect:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", found.redirect)
            self.send_header("Content-Length", "0")
            return self.end_headers()
        data = _read(found.path)
        if data is None:
            return self._not_found(build_id, head)
        ctype = content_type(found.path.name)
        if ctype.startswith("text/html"):
            data = inject(data, build_id)
        self._send(HTTPStatus.OK, ctype, data, head)

    def _not_found(self, build_id: int, head: bool) -> None:
        page = _read(locate(self.server.root, "/404.html").path)
        if page is None:
            return self._send(HTTPStatus.NOT_FOUND, content_type("404.txt"), b"404 Not Found\n", head)
        self._send(HTTPStatus.NOT_FOUND, content_type("404.html"), inject(page, build_id, base=True), head)

    def _send(self, status: HTTPStatus, ctype: str, data: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")  # always ask again: the site changes under the browser
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self) -> None:
        """A server-sent event stream: hello, then reload / overlay / clear as rebuilds finish."""
        hub = self.server.hub
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        version, build_id, overlay = hub.snapshot()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self._event("hello", {"build": build_id})
            if overlay:
                self._event("overlay", overlay)
            sent_build, sent_overlay = build_id, overlay
            while (state := hub.wait(version, PING_SECONDS)) is not None:
                if state[0] == version:
                    self.wfile.write(b": ping\n\n")
                    continue
                version, build_id, overlay = state
                if build_id != sent_build:
                    self._event("reload", {"build": build_id})
                if overlay != sent_overlay:
                    self._event("overlay" if overlay else "clear", overlay or {})
                sent_build, sent_overlay = build_id, overlay
        except (ConnectionError, OSError):
            return  # the page was closed

    def _event(self, name: str, data: dict) -> None:
        self.wfile.write(f"event: {name}\ndata: {json.dumps(data, sort_keys=True)}\n\n".encode("utf-8"))


def _read(path: Path | None) -> bytes | None:
    """A file's bytes, or None (missing, or replaced by a rebuild between locate and read)."""
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None
