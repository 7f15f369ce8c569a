"""A progress line on a terminal (phase, bar, counts, rate, time left) for long work; silent when not a terminal."""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

SHOW_AFTER = 1.0  # seconds since the build began: short builds show no progress at all
WIDTH = 24


class Progress:
    """Call with the number of items just done; the line redraws at most ten times a second, once the work
    has gone on for SHOW_AFTER seconds (counted from `since`, the start of the whole build)."""

    def __init__(self, label: str, total: int, stream: TextIO = sys.stderr, since: float | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self.label, self.total, self.stream, self.clock = label, total, stream, clock
        self.done = 0
        self.started = clock()
        self.since = self.started if since is None else since
        self._drawn = 0.0
        self._shown = False

    def __call__(self, count: int) -> None:
        self.done += count
        now = self.clock()
        if now - self.since < SHOW_AFTER or (now - self._drawn < 0.1 and self.done < self.total):
            return
        self._drawn = now
        self.stream.write("\r" + self.line(now) + " ")
        self.stream.flush()
        self._shown = True
        if self.done >= self.total:
            self.close()

    def line(self, now: float) -> str:
        """`Rendering  [######..................] 2,500/10,000 812/s 9 s left`"""
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        filled = int(WIDTH * min(self.done, self.total) / max(self.total, 1))
        left = (self.total - self.done) / rate if rate > 0 and self.done < self.total else 0.0
        eta = f" {left:,.0f} s left" if left >= 1 else ""
        return f"{self.label:<10} [{'#' * filled}{'.' * (WIDTH - filled)}] {self.done:,}/{self.total:,} {rate:,.0f}/s{eta}"

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False


def progress_factory(stream: TextIO = sys.stderr, clock: Callable[[], float] = time.perf_counter):
    """A factory of Progress lines when `stream` is a terminal, else None (quiet in CI and pipes).

    Each new line (a new phase of the build) clears the last one; all count SHOW_AFTER from the factory's
    creation, so a build that has run a second shows its phases from then on, however short each is."""
    if not stream.isatty():
        return None
    since = clock()
    bars: list[Progress] = []

    def make(label: str, total: int) -> Progress:
        for bar in bars:
            bar.close()
        bars.append(Progress(label, total, stream, since, clock))
        return bars[-1]
    return make
