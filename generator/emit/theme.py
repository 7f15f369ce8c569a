"""The theme's folders (the user's over the default) and the fingerprint of everything in them. Light: no Jinja."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
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


NOT_TEMPLATES = ("assets", "archetypes")  # theme folders Jinja never loads: the driver copies assets, `new` reads archetypes
CARD_TEMPLATE = "partials/card.html"  # a user theme's own card (emit/render.card_html otherwise)


@dataclass(frozen=True, slots=True)
class ThemeSources:
    """A theme's templates as text, with its fingerprint: what a machine without the theme folders renders
    with (build/cluster.py sends it to Dask workers with the wiki), and renders exactly as here."""

    fingerprint: str  # theme_fingerprint() on the machine that read them
    templates: tuple[tuple[str, str], ...]  # (name as Jinja asks for it, source), the user's theme over the default
    own_card: bool  # the user's theme has partials/card.html


def theme_sources(config: Config) -> ThemeSources:
    """Every template of the theme folders, as Jinja's FileSystemLoader would find it (the first folder that
    has a name wins); files that are not UTF-8 text are left out (Jinja could not load them either)."""
    found: dict[str, str] = {}
    for folder in theme_dirs(config):
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if name.split("/", 1)[0] in NOT_TEMPLATES or name in found or not path.is_file():
                continue
            try:
                found[name] = path.read_bytes().decode("utf-8")  # as FileSystemLoader reads it: newlines as they are
            except (OSError, UnicodeDecodeError):
                continue
    return ThemeSources(theme_fingerprint(config), tuple(sorted(found.items())), has_own_card(config))


def has_own_card(config: Config) -> bool:
    """Whether the user's theme draws cards itself (partials/card.html)."""
    return config.templates_dir is not None and (config.templates_dir / CARD_TEMPLATE).is_file()
