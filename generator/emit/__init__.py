"""Emit: the Wiki -> Output(out_path, bytes) and Kept values, one module per output kind; none writes to disk."""

from __future__ import annotations

from dataclasses import dataclass

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


@compact_pickle
@dataclass(frozen=True, slots=True)
class Kept:
    """A content page whose render key matches the current site's: its file is kept as it is."""

    out_path: OutPath
    key: str


def html_output(out_path: OutPath, html: str) -> Output:
    """An HTML page as UTF-8 bytes."""
    return Output(out_path, html.encode("utf-8"))
