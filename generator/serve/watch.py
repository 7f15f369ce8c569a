"""Watching content, theme folders and the config file (watchfiles), ignoring the output folder and temp files."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import watchfiles

# Names editors and tools write beside the real file while saving; the final rename is what counts.
_TEMP_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", ".temp", ".part", ".crdownload", ".kate-swp")
_TEMP_NAMES = frozenset({"4913"})  # vim's probe file
READY_POLL_MS = 200


@dataclass(frozen=True, slots=True)
class WatchTargets:
    """What `serve` watches: folders (recursively), one config file, and the output folder it ignores."""

    folders: tuple[Path, ...]
    config_file: Path | None
    out_dir: Path

    @classmethod
    def make(cls, folders: list[Path], config_file: Path | None, out_dir: Path) -> WatchTargets:
        """Absolute, existing folders, none inside another."""
        found = sorted({f.resolve() for f in folders if f.is_dir()})
        kept = tuple(f for f in found if not any(o in f.parents for o in found))
        return cls(kept, config_file.absolute() if config_file else None, out_dir.resolve())


def is_temp_name(name: str) -> bool:
    """A dot-file, an editor's backup, swap or autosave file, or a download in progress."""
    return (name.startswith((".", "#")) or name.endswith("~") or name.lower().endswith(_TEMP_SUFFIXES)
            or name in _TEMP_NAMES)


def is_relevant(path: Path, targets: WatchTargets) -> bool:
    """Whether a change at `path` can change the site."""
    path = Path(path).absolute()
    if targets.config_file is not None and path == targets.config_file:
        return True
    resolved = path.resolve()
    if resolved == targets.out_dir or targets.out_dir in resolved.parents:
        return False
    for folder in targets.folders:
        if folder == path or folder in path.parents:
            rel = path.relative_to(folder).parts
            return not any(is_temp_name(part) for part in rel)
    return False


class Watcher:
    """Threads that hand each debounced burst of relevant changes to `on_change`."""

    def __init__(self, targets: WatchTargets, on_change: Callable[[set[Path]], None],
                 on_error: Callable[[Exception], None]):
        self.targets, self.on_change, self.on_error = targets, on_change, on_error
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, ready_timeout: float = 10.0) -> None:
        """Start watching; return once the watches are in place, so no change after this call is missed."""
        jobs = [(self.targets.folders, True)] if self.targets.folders else []
        if self.targets.config_file is not None:  # its folder, not the file: editors replace the file
            jobs.append(((self.targets.config_file.parent,), False))
        for paths, recursive in jobs:
            ready = threading.Event()
            thread = threading.Thread(target=self._watch, args=(paths, recursive, ready), name="kbwiki-watch", daemon=True)
            thread.start()
            self._threads.append(thread)
            ready.wait(ready_timeout)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _watch(self, paths: tuple[Path, ...], recursive: bool, ready: threading.Event) -> None:
        # yield_on_timeout: an empty batch every READY_POLL_MS while idle. The first one proves the
        # watches exist (watchfiles sets them up before it waits), which start() waits for.
        try:
            for changes in watchfiles.watch(*paths, watch_filter=lambda _change, p: is_relevant(Path(p), self.targets),
                                            recursive=recursive, stop_event=self._stop, raise_interrupt=False,
                                            yield_on_timeout=True, rust_timeout=READY_POLL_MS):
                ready.set()
                if changes:
                    self.on_change({Path(p) for _change, p in changes})
        except Exception as exc:  # e.g. the system's limit of watched folders; serving goes on without rebuilds
            if not self._stop.is_set():
                self.on_error(exc)
        finally:
            ready.set()
