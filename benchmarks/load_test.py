"""Loopback load test of the site server: many concurrent requests while the site is rebuilt, with slow clients.

    python benchmarks/load_test.py                       # 5,000 requests, 50 at a time, against the demo wiki
    python benchmarks/load_test.py --content /work/shared/corpora/obsidian-help-en --server builtin

The server is `python -m generator serve` when that command exists (`--server kbwiki`, the default when
`serve --help` works), else a ThreadingHTTPServer with SiteHandler (`--server builtin`; pass another
handler class to serve_builtin() to test it). It stops by itself: at --requests, or at --time-limit seconds.
Prints the figures as JSON (requests/s, p50/p90/p99 latency, failures, slow-client results); exits 1 on any
failed request.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}  # whose `python -m generator` runs; --kbwiki-root changes it


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files from the site folder; a client that goes quiet for `timeout` seconds is dropped."""

    timeout = 10
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: thousands of requests
        pass


class SiteServer(ThreadingHTTPServer):
    """One thread per connection; a listen backlog that 50 clients connecting at once do not overflow.

    (socketserver's default backlog is 5: extra SYNs are dropped and retried after a second, which
    shows up as a p99 of about one second.)
    """

    request_queue_size = 128
    daemon_threads = True
    disconnects = 0

    def handle_error(self, request, client_address):
        """A client that went away mid-response is counted, not printed; anything else is a bug."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            self.disconnects += 1
        else:
            super().handle_error(request, client_address)


@dataclass
class Figures:
    server: str
    requests: int = 0
    failures: int = 0
    failure_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    rebuilds: int = 0
    slow_clients_open_at_end: int = 0
    slow_clients: int = 0
    oversized: dict = field(default_factory=dict)
    stopped_by_time_limit: bool = False
    server_side_disconnects: int = 0


def serve_builtin(site: Path, handler=SiteHandler) -> tuple[ThreadingHTTPServer, int]:
    """A SiteServer on 127.0.0.1 (ephemeral port) serving `site` in a background thread."""
    server = SiteServer(("127.0.0.1", 0), partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def kbwiki_serve_options() -> str | None:
    """The help text of `python -m generator serve`, or None when the command does not exist."""
    done = subprocess.run([sys.executable, "-m", "generator", "serve", "--help"], cwd=ENV["PYTHONPATH"], env=ENV,
                          capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def start_kbwiki_serve(help_text: str, content: Path, out: Path) -> tuple[subprocess.Popen, int]:
    """`python -m generator serve` on a free loopback port, with whichever of our options it takes."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [sys.executable, "-m", "generator", "serve", "--content", str(content), "--port", str(port)]
    for option, value in (("--out", str(out)), ("--host", "127.0.0.1"), ("--bind", "127.0.0.1")):
        if option in help_text:
            argv += [option, value]
    for flag in ("--no-open", "--no-browser"):
        if flag in help_text:
            argv.append(flag)
    proc = subprocess.Popen(argv, cwd=out.parent, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def wait_for_port(port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on port {port}") from None
            time.sleep(0.05)


def fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def complete(path: str, body: bytes) -> bool:
    """A whole file, not a piece: HTML ends its document, JSON parses."""
    if path.endswith(".html"):
        return body.rstrip().endswith(b"</html>")
    if path.endswith(".json"):
        try:
            json.loads(body)
        except ValueError:
            return False
    return bool(body)


def site_paths(site: Path) -> list[str]:
    return sorted("/" + p.relative_to(site).as_posix() for p in site.rglob("*")
                  if p.is_file() and p.suffix in (".html", ".json", ".css") and not p.name.startswith("."))


def slow_client(port: int, stop: threading.Event, open_count: list[int]) -> None:
    """Sends a request one byte at a time, slowly, until stopped; counts itself if still connected then."""
    request = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 10_000
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for byte in request:
                if stop.wait(0.2):
                    open_count[0] += 1
                    return
                sock.sendall(bytes([byte]))
    except OSError:
        return  # dropped by the server: also fine, as long as nobody else waited


def oversized(port: int) -> dict:
    """Responses to a 70 kB request line, a 70 kB header and 200 headers (a server must refuse, not hang)."""
    cases = {
        "request_line_70k": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "header_70k": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n",
        "headers_200": b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(200)) + b"\r\n",
    }
    out = {}
    for name, payload in cases.items():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(payload)
                line = sock.makefile("rb").readline(200).decode("latin-1").strip()
                out[name] = line or "connection closed"
        except OSError as exc:
            out[name] = f"connection closed ({exc.__class__.__name__})"
    return out


def run_load(port: int, paths: list[str], figures: Figures, total: int, concurrency: int, deadline: float,
             min_rebuilds: int = 0) -> None:
    """`total` GETs (more until `min_rebuilds` rebuilds are done) over `concurrency` threads, each a new
    connection; stops at the deadline."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = itertools.count()

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            if i >= total and figures.rebuilds >= min_rebuilds:
                return
            path = paths[i % len(paths)]
            started = time.perf_counter()
            try:
                status, body = fetch(port, path)
                problem = "" if status == 200 and complete(path, body) else f"{path}: HTTP {status}, {len(body)} bytes"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{path}: {exc.__class__.__name__}: {exc}"
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if problem:
                    figures.failures += 1
                    if len(figures.failure_examples) < 5:
                        figures.failure_examples.append(problem)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    figures.seconds = round(time.perf_counter() - started, 3)
    figures.requests = len(latencies)
    figures.stopped_by_time_limit = figures.requests < total or figures.rebuilds < min_rebuilds
    if latencies:
        ms = sorted(x * 1000 for x in latencies)
        cuts = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
        figures.requests_per_second = round(len(ms) / figures.seconds, 1)
        figures.p50_ms, figures.p90_ms, figures.p99_ms = (round(cuts[i], 2) for i in (49, 89, 98))
        figures.max_ms = round(ms[-1], 2)


def rebuild_until(content: Path, out: Path, stop: threading.Event, figures: Figures, touch: bool) -> None:
    """Rebuild the site again and again while the load runs (touching a page, for a watching server)."""
    page = next(iter(sorted(content.rglob("*.md"))))
    while not stop.is_set():
        if touch:
            page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")
            stop.wait(1.0)
        else:
            subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(content), "--out", str(out)],
                           cwd=out.parent, env=ENV, capture_output=True, check=False)
        figures.rebuilds += 1


def load_test(content: Path, total: int = 5000, concurrency: int = 50, time_limit: float = 120.0,
              server: str = "auto", slow: int = 10, rebuild: bool = True, handler=SiteHandler,
              min_rebuilds: int = 0) -> Figures:
    """Build `content` (a copy of it) and run the whole test; returns the figures."""
    deadline = time.monotonic() + time_limit
    with tempfile.TemporaryDirectory(prefix="kbwiki-load-") as tmp:
        work = Path(tmp)
        shutil.copytree(content, work / "content")  # the serve case edits a page; never the original
        out = work / "site"
        subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(work / "content"), "--out", str(out)],
                       cwd=work, env=ENV, capture_output=True, check=True)
        help_text = kbwiki_serve_options() if server in ("auto", "kbwiki") else None
        if server == "kbwiki" and help_text is None:
            raise SystemExit("`python -m generator serve` does not exist in this checkout")
        proc, httpd = None, None
        if help_text is not None:
            proc, port = start_kbwiki_serve(help_text, work / "content", out)
            figures = Figures(server="python -m generator serve")
        else:
            httpd, port = serve_builtin(out, handler)
            figures = Figures(server=f"SiteServer (ThreadingHTTPServer, backlog 128) + {handler.__name__}")
        stop = threading.Event()
        try:
            wait_for_port(port, deadline)
            paths = site_paths(out)
            open_count = [0]
            slow_threads = [threading.Thread(target=slow_client, args=(port, stop, open_count)) for _ in range(slow)]
            rebuilder = threading.Thread(target=rebuild_until, args=(work / "content", out, stop, figures, proc is not None))
            for t in slow_threads:
                t.start()
            if rebuild:
                rebuilder.start()
            figures.oversized = oversized(port)
            run_load(port, paths, figures, total, concurrency, deadline, min_rebuilds if rebuild else 0)
            stop.set()
            for t in [*slow_threads, *([rebuilder] if rebuild else [])]:
                t.join()
            figures.slow_clients, figures.slow_clients_open_at_end = slow, open_count[0]
            figures.server_side_disconnects = getattr(httpd, "disconnects", 0)
        finally:
            stop.set()
            if httpd is not None:
                httpd.shutdown()
                httpd.server_close()
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=120.0, help="stop after this many seconds (default 120)")
    parser.add_argument("--slow-clients", type=int, default=10)
    parser.add_argument("--server", choices=("auto", "kbwiki", "builtin"), default="auto")
    parser.add_argument("--no-rebuild", action="store_true", help="do not rebuild the site during the load")
    parser.add_argument("--kbwiki-root", type=Path, default=ROOT, help="the kbwiki checkout to run (default: this one)")
    args = parser.parse_args(argv)
    ENV["PYTHONPATH"] = str(args.kbwiki_root.resolve())
    figures = load_test(args.content, args.requests, args.concurrency, args.time_limit, args.server,
                        args.slow_clients, not args.no_rebuild)
    print(json.dumps(asdict(figures), indent=1))
    return 1 if figures.failures or figures.stopped_by_time_limit else 0


if __name__ == "__main__":
    sys.exit(main())
