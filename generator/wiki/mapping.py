"""How wiki/ runs work over many items: `map_chunks(work, items)` from its caller (build/ passes the forked pool)."""

from __future__ import annotations

from typing import Callable, Iterable, Protocol


class ChunkMap(Protocol):
    """work(chunk) over chunks of `items`; the results of all chunks, flattened, in order."""

    def __call__(self, work: Callable[[list], list], items: list) -> Iterable: ...


def in_process(work: Callable[[list], list], items: list) -> list:
    """The default mapper: all items in this process, as one chunk."""
    return work(items)
