"""The theme's static files (assets/), the user's theme overriding the default file by file."""

from __future__ import annotations

from generator.config import Config
from generator.emit import Output
from generator.paths import ASSETS, OutPath
from generator.emit.theme import theme_dirs


def asset_outputs(config: Config) -> list[Output]:
    """Every file under each theme's assets/ folder; the most specific theme wins per file."""
    chosen: dict[str, bytes] = {}
    for theme in reversed(theme_dirs(config)):
        folder = theme / ASSETS
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                chosen[path.relative_to(folder).as_posix()] = path.read_bytes()
    return [Output(OutPath(f"{ASSETS}/{name}"), data) for name, data in sorted(chosen.items())]
