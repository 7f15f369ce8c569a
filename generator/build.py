"""One build, start to finish: read, skip when nothing changed, parse (cached, parallel), render what changed, write."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from generator.cache import CACHE_DIR, ParseCache
from generator.config import Config
from generator.diagnostics import Diagnostic
from generator.render import theme_fingerprint
from generator.emit import Kept, Output
from generator.model import Wiki
from generator.site import analyse, parse_all, read_all, render_items
from generator.sources import SourceFile
from generator.writer import build_lock, read_manifest, reusable_keys, write_site

ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass(slots=True)
class BuildResult:
    """What a build did, for the summary line and for callers that keep building (serve)."""

    diagnostics: list[Diagnostic]
    pages: int = 0
    files: int = 0
    parsed: int = 0  # files parsed this time (the rest came from the cache)
    cached: int = 0
    rendered: int = 0  # content pages rendered (the rest were unchanged and kept)
    kept: int = 0
    unchanged: bool = False  # nothing changed since the last build: nothing was written
    written: bool = False
    seconds: float = 0.0
    wiki: Wiki | None = None
    notes: list[str] = field(default_factory=list)


def default_cache_dir(config: Config) -> Path:
    """Where the cache lives unless configured: beside the output folder, in a folder kbwiki owns."""
    return config.out_dir.resolve().parent / CACHE_DIR


def site_fingerprint(config: Config, sources: list[SourceFile]) -> str:
    """A hash over every input of the site: version, config, theme, and each page's path and bytes."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(theme_fingerprint(config).encode())
    for source in sources:
        digest.update(source.src_path.encode() + b"\0" + hashlib.blake2b(source.raw, digest_size=16).digest())
    return digest.hexdigest()


def _unchanged(out_dir: Path, manifest: dict, fingerprint: str) -> bool:
    files = manifest.get("files")
    return (manifest.get("fingerprint") == fingerprint and isinstance(files, list)
            and all((out_dir / name).is_file() for name in files))


def _saved_diagnostics(manifest: dict) -> list[Diagnostic] | None:
    """The diagnostics the current site was built with (None when the manifest does not hold them)."""
    try:
        return [Diagnostic(**d) for d in manifest.get("diagnostics", [])]
    except (TypeError, AttributeError):
        return None


def run_build(config: Config, cache_dir: Path | None = None, use_cache: bool = True,
              progress: ProgressFactory | None = None, write: bool = True,
              on_stray: Callable[[list[str]], None] | None = None) -> BuildResult:
    """Build the site into config.out_dir; `strict` (in config) leaves the old site in place when there are problems."""
    started = time.perf_counter()
    sources, problems = read_all(config)
    fingerprint = site_fingerprint(config, sources)
    manifest = read_manifest(config.out_dir)
    saved = _saved_diagnostics(manifest)
    if write and saved is not None and _unchanged(config.out_dir, manifest, fingerprint):
        return BuildResult(saved, pages=int(manifest.get("page_count", 0)), files=len(manifest["files"]),
                           cached=len(sources), kept=int(manifest.get("page_count", 0)), unchanged=True,
                           seconds=time.perf_counter() - started)
    cache = ParseCache(cache_dir or default_cache_dir(config)) if use_cache else None
    notes = [cache.problem] if cache and cache.problem else []
    tick = progress("Parsing", len(sources)) if progress else None
    parsed, parse_problems = parse_all(config, sources, cache, tick)
    wiki, diagnostics = analyse(config, parsed, problems + parse_problems)
    if cache:
        cache.keep_only(set(_live_keys(config, sources)))
        cache.close()
    result = BuildResult(diagnostics, pages=len(wiki.entries), parsed=cache.misses if cache else len(sources),
                         cached=cache.hits if cache else 0, notes=notes, wiki=wiki)
    if write and not (config.strict and diagnostics):
        tick = progress("Rendering", len(wiki.entries)) if progress else None
        items = _counting(render_items(config, wiki, reusable_keys(config.out_dir), tick), result)
        manifest = {"fingerprint": fingerprint, "page_count": len(wiki.entries),
                    "diagnostics": [d.as_fields() for d in diagnostics]}
        with build_lock(config.out_dir):
            result.files = write_site(items, config.out_dir, manifest, before_swap=on_stray)
        result.written = True
    result.seconds = time.perf_counter() - started
    return result


def _counting(items: Iterable[Output | Kept], result: BuildResult) -> Iterator[Output | Kept]:
    """Pass items through, counting rendered and kept content pages."""
    for item in items:
        if isinstance(item, Kept):
            result.kept += 1
        elif item.key:
            result.rendered += 1
        yield item


def _live_keys(config: Config, sources: list[SourceFile]):
    from generator.cache import parse_key
    return (parse_key(config, s.src_path, s.raw) for s in sources)
