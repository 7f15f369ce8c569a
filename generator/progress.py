"""A progress line on a terminal (counts and rate) for long work; silent when not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

SHOW_AFTER = 1.0  # seconds: short builds show no progress at all


class Progress:
    """Call with the number of items just done; the line redraws at most ten times a second."""

    def __init__(self, label: str, total: int, stream: TextIO = sys.stderr):
        self.label, self.total, self.stream = label, total, stream
        self.done = 0
        self.started = time.perf_counter()
        self._drawn = 0.0
        self._shown = False

    def __call__(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if now - self.started < SHOW_AFTER or now - self._drawn < 0.1 and self.done < self.total:
            return
        self._drawn = now
        rate = self.done / max(now - self.started, 1e-9)
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        self.stream.write(f"\r{self.label:<10} [{'#' * filled}{'.' * (width - filled)}] {self.done:,}/{self.total:,} {rate:,.0f}/s ")
        self.stream.flush()
        self._shown = True
        if self.done >= self.total:
            self.close()

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False


def progress_factory(stream: TextIO = sys.stderr):
    """A factory of Progress lines when `stream` is a terminal, else None (quiet in CI and pipes)."""
    if not stream.isatty():
        return None
    bars: list[Progress] = []

    def make(label: str, total: int) -> Progress:
        for bar in bars:
            bar.close()
        bars.append(Progress(label, total, stream))
        return bars[-1]
    return make
