"""Config (a frozen dataclass) and load_config(): every setting and its default in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import yaml

from generator.diagnostics import CODES

CONFIG_FILE = "kbwiki.yaml"


class ConfigError(Exception):
    """The config file or an option is unusable; the message names the file and the setting."""


KINDS = ("text", "number", "bool", "date", "list", "mapping")  # what a front-matter value can be (`types:` kinds)


@dataclass(frozen=True, slots=True)
class TypeSchema:
    """The front matter one page type must have (`types: {entity: {required: [...], allowed: [...], kinds: {...}}}`)."""

    required: tuple[str, ...] = ()
    allowed: tuple[str, ...] | None = None  # None: any key; else required, kinds' keys and these only
    kinds: tuple[tuple[str, str], ...] = ()  # (key, kind) pairs, sorted by key


MENTION_MAX_SHARE = 0.02  # LintConfig's default (a slots class's attribute is a descriptor, not the value)


@dataclass(frozen=True, slots=True)
class LintConfig:
    """What `kbwiki check` (and a build's diagnostics) report: the `lint:` section of kbwiki.yaml."""

    select: tuple[str, ...] = ()  # codes to report; () = every code
    ignore: tuple[str, ...] = ()  # codes never reported, even when selected
    per_code: int = 10  # findings of each code the text report shows (0: all; --verbose: all)
    mention_max_share: float = MENTION_MAX_SHARE  # a name unlinked on more than this share of pages is left out
    require_sources: tuple[str, ...] = ("entity", "concept")  # `uncited`: types whose pages need `sources`
    index_depth: int = 2  # `not-in-index`: links from index.md within which every page should be reached
    stale_after_days: int = 0  # `stale`: also a page not updated for this many days (0: off)

    def wants(self, code: str) -> bool:
        """Whether findings with this code are reported."""
        return (not self.select or code in self.select) and code not in self.ignore


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
    backlink_context: bool = False  # a page's backlink cards show the sentence that links here (always in links-here/ and previews)
    lint: LintConfig = LintConfig()
    types: tuple[tuple[str, TypeSchema], ...] = ()  # (page type, its front-matter schema), sorted by type
    strict: bool = False
    verbose: bool = False
    cluster: str = ""  # a Dask scheduler's address (tcp://HOST:PORT): `kbwiki build` parses and renders there; "" = here
    extra: dict = field(default_factory=dict, compare=False)  # unknown keys from kbwiki.yaml, for templates

    def fingerprint(self, parsing: bool = False) -> str:
        """A string that changes whenever a setting that shapes the output (the site and its diagnostics)
        changes; with `parsing`, only what shapes a page's parse (not `lint:` or `types:`, which only lint
        reads: `check --ignore x` reuses the build's parse cache)."""
        left_out = ("content_dir", "out_dir", "templates_dir", "strict", "verbose", "cluster", "extra") + (("lint", "types") if parsing else ())
        shaping = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in left_out}
        return repr(sorted(shaping.items())) + repr(sorted(self.extra.items()))


_TUPLE_KEYS = ("type_keys", "id_keys", "link_keys", "source_keys")
_INT_KEYS = ("related_count", "related_hub_limit", "summary_length", "backlinks_shown", "listing_page_size")
_STR_KEYS = ("base_url", "title", "cluster")
_BOOL_KEYS = ("sanitize", "backlink_context")
CLUSTER_ENV = "KBWIKI_CLUSTER"  # the scheduler address when --cluster is not given; over `cluster:` in kbwiki.yaml


def cluster_setting(given: str | None, environ: Mapping[str, str]) -> str | None:
    """The scheduler `kbwiki build` uses, as an override of kbwiki.yaml's `cluster:` (None: the file's, else
    none): --cluster on the command line, else KBWIKI_CLUSTER."""
    return given or environ.get(CLUSTER_ENV) or None


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
        elif key == "lint":
            values["lint"] = _read_lint(path, value)
        elif key == "types":
            values["types"] = _read_types(path, value)
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: '{key}' must be true or false")
            values[key] = value
        else:
            extra[key] = value
    return values, extra


def read_codes(where: str, value: object) -> tuple[str, ...]:
    """A list of diagnostic codes (a YAML list or `a,b` text), each one kbwiki knows; `where` names the
    setting in errors."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of diagnostic codes")
    unknown = sorted(set(value) - CODES)
    if unknown:
        raise ConfigError(f"{where}: unknown code {', '.join(unknown)} (codes: {', '.join(sorted(CODES))})")
    return tuple(value)


def _read_lint(path: Path, data: object) -> LintConfig:
    """The `lint:` section."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: 'lint' must be a mapping of settings")
    values: dict = {}
    for key, value in data.items():
        key = str(key)
        if key in ("select", "ignore"):
            values[key] = read_codes(f"{path}: 'lint.{key}'", value)
        elif key == "require_sources":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: 'lint.require_sources' must be a list of page types")
            values[key] = tuple(v.strip().casefold() for v in value)
        elif key in ("per_code", "index_depth", "stale_after_days"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{path}: 'lint.{key}' must be a whole number >= 0")
            values[key] = value
        elif key == "mention_max_share":
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
                raise ConfigError(f"{path}: 'lint.mention_max_share' must be a number over 0 and at most 1")
            values[key] = float(value)
        else:
            known = ", ".join(f.name for f in dataclasses.fields(LintConfig))
            raise ConfigError(f"{path}: unknown setting 'lint.{key}' (settings: {known})")
    return LintConfig(**values)


def _read_types(path: Path, data: object) -> tuple[tuple[str, TypeSchema], ...]:
    """The `types:` section: page type -> required, allowed and kinds of front-matter keys."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: 'types' must map page types to their fields")
    schemas = {}
    for name, spec in data.items():
        where = f"{path}: 'types.{name}"
        if spec is None:
            spec = {}
        if not isinstance(spec, dict) or set(map(str, spec)) - {"required", "allowed", "kinds"}:
            raise ConfigError(f"{where}' must be a mapping with 'required', 'allowed' and 'kinds'")
        lists = {}
        for key in ("required", "allowed"):
            value = spec.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}.{key}' must be a list of front-matter keys")
            lists[key] = tuple(value)
        kinds = spec.get("kinds", {}) or {}
        if not isinstance(kinds, dict) or not all(isinstance(v, str) and v in KINDS for v in kinds.values()):
            raise ConfigError(f"{where}.kinds' must map front-matter keys to one of {', '.join(KINDS)}")
        schemas[str(name).strip().casefold()] = TypeSchema(
            lists["required"], lists["allowed"] if "allowed" in spec else None,
            tuple(sorted((str(k), v) for k, v in kinds.items())))
    return tuple(sorted(schemas.items()))
