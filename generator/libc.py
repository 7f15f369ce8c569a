"""The C library, for the calls Python's standard library lacks (renameat2, malloc_trim). Linux only."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def libc() -> ctypes.CDLL | None:
    """The process's C library (errno kept for ctypes.get_errno()); None off Linux or when it cannot be loaded."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def function(name: str):
    """A C library function by name, or None where there is none (not glibc, an old glibc)."""
    found = libc()
    return getattr(found, name, None) if found is not None else None
