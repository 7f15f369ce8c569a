"""What one page may cost before Python-Markdown sees it (size, nesting, time), and the page shown as text instead.

A page past a bound, or one whose parsing raises, never stops the build: it becomes a ParsedPage whose body is
its source as escaped preformatted text under a notice, and a diagnostic naming the file (and line)."""

from __future__ import annotations

import contextlib
import ctypes
import html
import os
import re
import signal
import threading
from typing import Iterator

MAX_PAGE_BYTES = 2 * 1024 * 1024  # a page larger than this is shown as text (the largest real page seen: ~300 KB)
MAX_NESTING = 100  # list and quote levels; Python-Markdown recurses per level and fails near 300
PAGE_SECONDS = 30.0  # parsing one page longer than this stops it (a timer signal in a main thread, else a timer thread)

_STEP = re.compile(r"[ \t]*(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$))")


class PageTooSlow(Exception):
    """Raised inside a page's parse when it has run for PAGE_SECONDS."""


def too_costly(raw_size: int, text: str) -> tuple[str, str, int] | None:
    """(code, message, line) when a page passes a bound it must not reach Python-Markdown with; else None."""
    if raw_size > MAX_PAGE_BYTES:
        return ("page-too-large", f"page is {raw_size / 1048576:.1f} MB, over the {MAX_PAGE_BYTES // 1048576} MB a page "
                "may have to be rendered; shown as text", 0)
    for found in _DEEP_ENOUGH.finditer(text):
        depth = _depth(found.group(0))
        if depth > MAX_NESTING:
            return ("page-too-deep", f"lists or quotes nest {depth} levels deep here, past the {MAX_NESTING} a page "
                    "may have; shown as text", text.count("\n", 0, found.start()) + 1)
    return None


# The lines _depth() is asked about: each level takes at least one character (a tab or four spaces, a marker),
# so only a line longer than MAX_NESTING can nest deeper, and only one starting as an indent, quote or list does.
_DEEP_ENOUGH = re.compile(r"^[ \t>\-*+0-9][^\n]{%d,}" % MAX_NESTING, re.MULTILINE)


def _depth(line: str) -> int:
    """How deep a line nests: its indentation in steps of four columns, plus each quote marker and list marker
    that opens it (`> - > - x` nests four levels on one line)."""
    body = line.lstrip(" \t")
    depth = len(line[:len(line) - len(body)].expandtabs(4)) // 4
    pos = 0
    while True:
        step = _STEP.match(body, pos)
        if step is None:
            return depth
        depth, pos = depth + 1, step.end()


@contextlib.contextmanager
def time_limit(seconds: float | None = None) -> Iterator[None]:
    """Raise PageTooSlow in the body after `seconds` (default: KBWIKI_PAGE_SECONDS, else PAGE_SECONDS): by a timer
    signal in the main thread, else by a timer thread (serve's rebuilds, a Dask worker's tasks)."""
    if seconds is None:
        seconds = page_seconds()
    if seconds <= 0:
        yield
        return
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        with _thread_limit(seconds):
            yield
        return

    def stop(signum, frame):
        raise PageTooSlow(f"parsing took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _thread_limit(seconds: float) -> Iterator[None]:
    """time_limit() outside the main thread, where no signal reaches: a timer thread has PageTooSlow raised in this
    one (CPython's PyThreadState_SetAsyncExc: raised, as a signal handler's exception is, at the next bytecode).
    One that fires as the body ends is taken back before it is raised, or raised in this block's exit, which
    parse_source catches alike."""
    target, lock = threading.get_ident(), threading.Lock()
    state = {"running": True, "fired": False}
    message = f"parsing took longer than {seconds:g} s"
    slow = type("PageTooSlow", (PageTooSlow,), {"__init__": lambda self: PageTooSlow.__init__(self, message)})

    def stop() -> None:
        with lock:
            if state["running"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(slow))
    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["running"] = False
            if state["fired"]:  # raised already, or still pending: NULL takes a pending one back
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)


def page_seconds() -> float:
    """The time limit of one page's parse: KBWIKI_PAGE_SECONDS when set to a number (0: none), else PAGE_SECONDS."""
    try:
        return float(os.environ.get("KBWIKI_PAGE_SECONDS", PAGE_SECONDS))
    except ValueError:
        return PAGE_SECONDS


def as_text_html(text: str, reason: str) -> str:
    """The body of a page shown as text: a notice saying why, then its source, escaped, in <pre>."""
    return (f'<div class="callout callout-warning kb-as-text" data-callout="warning"><div class="callout-title">'
            f'This page is shown as its source text</div><div class="callout-content"><p>{html.escape(reason)}</p>'
            f'</div></div>\n<pre class="kb-source"><code>{html.escape(text)}</code></pre>')
