"""A snapshot of a folder tree (paths, kinds, mtimes, bytes) to prove a command wrote nothing there."""

from __future__ import annotations

import os
from pathlib import Path


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root (symlinks not followed): kind, mtime in ns, and the bytes of readable files."""
    found: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            info = os.lstat(path)
            if os.path.islink(path):
                found[rel] = ("link", os.readlink(path), info.st_mtime_ns)
            elif os.path.isdir(path):
                found[rel] = ("dir", info.st_mode, info.st_mtime_ns)
            else:
                try:
                    data = Path(path).read_bytes()
                except PermissionError:
                    data = None
                found[rel] = ("file", info.st_mode, info.st_mtime_ns, data)
    return found
