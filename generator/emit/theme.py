"""The theme's folders (the user's over the default) and the fingerprint of everything in them. Light: no Jinja."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from generator import __version__
from generator.config import Config

THEME_DIR_NAMES = ("theme",)  # generator/theme inside the wheel


def default_theme_dir() -> Path:
    """The default theme: generator/theme in an installed wheel, else the repository's templates/."""
    package = Path(__file__).resolve().parents[1]  # generator/
    for candidate in (package / "theme", package.parent / "templates"):
        if (candidate / "page.html").is_file():
            return candidate
    raise FileNotFoundError("kbwiki's default theme is missing from the installation")


def theme_dirs(config: Config) -> list[Path]:
    """Theme folders, most specific first: the user's templates folder, then the default theme."""
    dirs = [config.templates_dir] if config.templates_dir else []
    default = default_theme_dir()
    return [d for d in dirs if d.resolve() != default.resolve()] + [default]


_fingerprints: dict[tuple, str] = {}  # stat of every theme file (and the settings) -> the fingerprint they gave
RACY_NS = 2_000_000_000  # a file changed this recently may change again within its time stamp's grain


def theme_fingerprint(config: Config) -> str:
    """A hash over kbwiki's version, the shaping config and every theme file: any change re-renders every page.

    Remembered in this process by every theme file's size, times and inode (as parse/sources does for pages):
    a serve rebuild asks three times, and the default theme holds 3.6 MB of Mermaid."""
    files = [(folder, path) for folder in theme_dirs(config) for path in sorted(folder.rglob("*")) if path.is_file()]
    stats = []
    for folder, path in files:
        info = path.stat()
        stats.append((str(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino))
    settings = config.fingerprint()
    key = (__version__, settings, tuple(stats))
    found = _fingerprints.get(key)
    if found is not None:
        return found
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{__version__}\0{settings}\0".encode())
    for folder, path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    found = digest.hexdigest()
    settled = time.time_ns() - RACY_NS
    if all(stat[2] < settled for stat in stats):  # else read again next time
        _fingerprints.clear()
        _fingerprints[key] = found
    return found
