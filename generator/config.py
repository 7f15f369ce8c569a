"""Config (a frozen dataclass) and load_config(): every setting and its default in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONFIG_FILE = "kbwiki.yaml"


class ConfigError(Exception):
    """The config file or an option is unusable; the message names the file and the setting."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a build needs to know besides the pages themselves."""

    content_dir: Path = Path("content")
    out_dir: Path = Path("site")
    templates_dir: Path | None = None  # the user's theme folder; None = the default theme only
    base_url: str = ""  # absolute URL of the site root; used only for sitemap and feeds
    title: str = "kbwiki"
    # Which front-matter keys hold what (the first key present wins).
    type_keys: tuple[str, ...] = ("type", "kind")
    id_keys: tuple[str, ...] = ("id",)
    link_keys: tuple[str, ...] = ("links", "related")
    source_keys: tuple[str, ...] = ("sources",)
    related_count: int = 5
    related_hub_limit: int = 64  # shared neighbours with more links than this are ignored by related()
    summary_length: int = 120
    backlinks_shown: int = 100  # cards under "N articles link here"; a page with more links to its full list (0: all)
    listing_page_size: int = 500  # cards per page of a listing (type, tag, full backlinks, A–Z, orphans; 0: one page)
    sanitize: bool = True  # raw HTML in pages cut to what a note may use (parse/sanitize.py); False keeps it as written
    strict: bool = False
    verbose: bool = False
    extra: dict = field(default_factory=dict, compare=False)  # unknown keys from kbwiki.yaml, for templates

    def fingerprint(self) -> str:
        """A string that changes whenever a setting that shapes the output changes."""
        shaping = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                   if f.name not in ("content_dir", "out_dir", "templates_dir", "strict", "verbose", "extra")}
        return repr(sorted(shaping.items())) + repr(sorted(self.extra.items()))


_TUPLE_KEYS = ("type_keys", "id_keys", "link_keys", "source_keys")
_INT_KEYS = ("related_count", "related_hub_limit", "summary_length", "backlinks_shown", "listing_page_size")
_STR_KEYS = ("base_url", "title")
_BOOL_KEYS = ("sanitize",)


def load_config(config_file: Path | None = None, **overrides) -> Config:
    """Read kbwiki.yaml (the given file, else ./kbwiki.yaml when present), then apply CLI overrides."""
    values: dict = {}
    extra: dict = {}
    path = config_file
    if path is None and Path(CONFIG_FILE).is_file():
        path = Path(CONFIG_FILE)
    if path is not None:
        values, extra = _read_config_file(path)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Config(extra=extra, **values)


def _read_config_file(path: Path) -> tuple[dict, dict]:
    """Validate the YAML config file into Config keyword arguments plus unknown keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{line}: config file is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: config file must be a mapping of settings, not {type(data).__name__}")
    values: dict = {}
    extra: dict = {}
    for key, value in data.items():
        key = str(key)
        if key in _TUPLE_KEYS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: '{key}' must be a list of front-matter keys")
            values[key] = tuple(value)
        elif key in _INT_KEYS:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{path}: '{key}' must be a whole number >= 0")
            values[key] = value
        elif key in _STR_KEYS:
            if not isinstance(value, str):
                raise ConfigError(f"{path}: '{key}' must be text")
            values[key] = value
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: '{key}' must be true or false")
            values[key] = value
        else:
            extra[key] = value
    return values, extra
