"""Browser fixtures: one headless Chromium per session, the demo site built once, served over HTTP and opened from disk."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import os

import pytest

from tests.conftest import DEMO
from tests.helpers import build

# In CI (CI=true) a missing browser is a failure, not a skip: the suite must really drive Chromium there.
if os.environ.get("CI"):
    import playwright.sync_api as playwright_api
else:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is needed for browser tests")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
SEED = "entities/thinking-machines-interaction-model.html"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is not installed (scripts/test installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Path:
    """The demo wiki, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("demo") / "site"
    build(DEMO, out)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def serve(folder: Path):
    """Serve `folder` on 127.0.0.1 at a free port in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def site_url(demo_site):
    """The demo site over HTTP."""
    yield from serve(demo_site)


class Problems(list):
    """Console errors and uncaught page errors seen by one browser context, with the page URL."""

    def watch(self, page):
        page.on("console", lambda msg: msg.type in ("error", "assert") and self.append(f"{page.url}: console {msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.append(f"{page.url}: page error: {exc}"))
        page.on("requestfailed", lambda req: self.failed(page, req))
        return page

    def failed(self, page, request) -> None:
        """A request that failed, but for one cut off because its page went (navigated or closed while loading:
        net::ERR_ABORTED, seen once in a full run as a test closed its context with search shards in flight). A
        missing file still counts: a 404 over HTTP, net::ERR_FILE_NOT_FOUND from disk."""
        reason = request.failure or ""
        if "ERR_ABORTED" not in reason:
            self.append(f"{page.url}: request failed: {request.url} ({reason})")


@pytest.fixture
def context_factory(browser):
    """new_context(**options) -> (context, page); every page is watched and must log no error."""
    problems = Problems()
    contexts = []

    def new_context(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.on("page", problems.watch)
        contexts.append(context)
        page = context.new_page()
        return context, page

    yield new_context
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(context_factory):
    """A fresh page in its own context (light colour scheme)."""
    return context_factory(color_scheme="light")[1]


def wait_for(predicate, timeout: float = 10.0, message: str = "condition"):
    """Poll `predicate()` until it is true or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {message}")
