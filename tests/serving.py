"""Test tools for `kbwiki serve`: run it as a real process, fetch pages, read its event stream, poll with a deadline."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from tests.conftest import ROOT

T = TypeVar("T")
DEADLINE = 20.0  # generous: the machine is shared; tests normally finish far sooner


def wait_for(condition: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
    """Poll `condition` until it returns something true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        pause.wait(0.05)


def fetch(base_url: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request, the path sent exactly as given (no normalising)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def page_text(base_url: str, path: str) -> str:
    """The body of a page, '' unless it answered 200."""
    status, _, body = fetch(base_url, path)
    return body.decode("utf-8") if status == 200 else ""


class EventStream:
    """A client of the server-sent event stream, reading with a deadline."""

    def __init__(self, base_url: str, path: str = "/__kbwiki/events"):
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        self.conn.request("GET", path)
        self.sock = self.conn.sock  # http.client lets go of it for a response that ends with the connection
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type").startswith("text/event-stream")

    def next_event(self, timeout: float = DEADLINE) -> tuple[str, dict] | None:
        """The next named event as (name, data); None at the end of the stream; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        name, data = "", ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:  # the server's keep-alive pings must not extend the wait
                raise AssertionError(f"no event within {timeout:.0f} s")
            self.sock.settimeout(remaining)
            line = self.response.fp.readline()
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data += line[len("data: "):]
            elif not line and name:
                return name, json.loads(data or "{}")

    def wait_for(self, name: str, timeout: float = DEADLINE) -> dict:
        """The data of the next `name` event, skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next_event(max(deadline - time.monotonic(), 0.001))
            if event is None:
                raise AssertionError(f"event stream ended before a {name!r} event")
            if event[0] == name:
                return event[1]

    def close(self) -> None:
        self.response.close()
        self.conn.close()


class ServeProcess:
    """`python -m generator serve --port 0 ...` in `cwd`, its output collected line by line."""

    def __init__(self, cwd: Path, *args: str):
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--port", "0", *args], cwd=cwd,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._pumps = [threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
                       for stream, sink in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr))]
        for pump in self._pumps:
            pump.start()
        self.url = self._wait_for_url()

    def _pump(self, stream, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)
            self._lines.put(line)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            match = re.search(r" at (http://\S+/) ", line)
            if match:
                return match.group(1)
        self.proc.kill()
        raise AssertionError("kbwiki serve did not start:\n" + "".join(self.stdout + self.stderr))

    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)

    def stop(self) -> int:
        """Ctrl-C, then the exit code (killed and failed if it does not stop in time)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("kbwiki serve did not stop on Ctrl-C:\n" + self.output())
        for pump in self._pumps:  # the pipes close when the process ends
            pump.join(timeout=5)
        return self.proc.returncode
