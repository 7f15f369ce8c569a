"""The theme's folders (the user's over the default) and the fingerprint of everything in them. Light: no Jinja."""

from __future__ import annotations

import hashlib
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


def theme_fingerprint(config: Config) -> str:
    """A hash over kbwiki's version, the shaping config and every theme file: any change re-renders every page."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{__version__}\0{config.fingerprint()}\0".encode())
    for folder in theme_dirs(config):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
