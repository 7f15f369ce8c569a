"""Emitters: one module per output kind. Each returns Output values; none writes to disk."""

from __future__ import annotations

from dataclasses import dataclass

from generator.paths import OutPath


@dataclass(frozen=True, slots=True)
class Output:
    """One file of the site: where it goes (relative to the site root) and its bytes."""

    out_path: OutPath
    data: bytes


def html_output(out_path: OutPath, html: str) -> Output:
    """An HTML page as UTF-8 bytes."""
    return Output(out_path, html.encode("utf-8"))
