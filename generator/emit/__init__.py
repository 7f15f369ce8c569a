"""Emit: the Wiki -> Output(out_path, bytes) and Kept values, one module per output kind; none writes to disk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from generator.diagnostics import Diagnostic
from generator.paths import OutPath
from generator.records import compact_pickle


@compact_pickle
@dataclass(frozen=True, slots=True)
class Output:
    """One file of the site: where it goes (relative to the site root) and its bytes."""

    out_path: OutPath
    data: bytes
    key: str = ""  # render key of a content page ("" for other files)
    problem: Diagnostic | None = None  # why a page came out as a placeholder (it could not be rendered)
    # A file too big to hold whole (graph.json: ~280 MB at 100,000 pages): its bytes made a piece at a time
    # as it is written, `data` left empty. Made and written in the driver: a stream does not pickle.
    stream: Callable[[], Iterable[bytes]] | None = None

    def pieces(self) -> Iterable[bytes]:
        """The file's bytes, in the pieces they are written in."""
        return self.stream() if self.stream is not None else (self.data,)

    def whole(self) -> "Output":
        """The same file with its bytes in `data` (a site kept in memory: build_site())."""
        return self if self.stream is None else Output(self.out_path, b"".join(self.stream()), self.key, self.problem)


@compact_pickle
@dataclass(frozen=True, slots=True)
class Kept:
    """A content page whose render key matches the current site's: its file is kept as it is."""

    out_path: OutPath
    key: str


def html_output(out_path: OutPath, html: str) -> Output:
    """An HTML page as UTF-8 bytes."""
    return Output(out_path, html.encode("utf-8"))
