"""What a build reads first, and the one rule for "nothing changed": the site fingerprint.

Light on purpose (no Markdown, Jinja or networkx): `kbwiki build` with nothing changed reads the files,
compares one hash with the output folder's manifest and stops, without loading the engine.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from generator.build.cache import dump_pickle, load_pickle
from generator.config import Config
from generator.diagnostics import Diagnostic, DiagnosticRows
from generator.parse.sources import SourceFile, attachment_stats, read_changed_pages, read_pages, scan, source_digest
from generator.emit.theme import theme_fingerprint
from generator.build.writer import all_files_there, interrupted_update, read_diagnostics, read_manifest


def site_fingerprint(theme: str, digests: dict[str, str], attachments: dict[str, tuple[int, int]] | None = None) -> str:
    """A hash over every input of the site: the theme fingerprint (version, config, theme), each page's path
    and bytes, and each attachment's path, size and modification time."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(theme.encode())
    for src_path in sorted(digests):
        digest.update(f"{src_path}\0{digests[src_path]}\0".encode())
    for src_path in sorted(attachments or {}):
        size, mtime = attachments[src_path]
        digest.update(f"a\0{src_path}\0{size}\0{mtime}\0".encode())
    return digest.hexdigest()


@dataclass(slots=True)
class Inputs:
    """Every input of a build as read, and the site in the output folder as its manifest describes it."""

    sources: list[SourceFile]
    problems: list[Diagnostic]  # from reading the files
    theme: str
    digests: dict[str, str]
    attachments: dict[str, tuple[int, int]]
    fingerprint: str
    manifest: dict
    complete: bool = True  # every page was read (else `sources` holds only those whose stat changed)


@dataclass(frozen=True, slots=True)
class UpToDate:
    """The site in the output folder is the one these inputs make: what its manifest says of it."""

    pages: int
    files: int
    diagnostics: DiagnosticRows  # a Sequence of Diagnostic, each made when read


def read_inputs(config: Config, cache_dir: Path | None = None) -> Inputs:
    """Read the pages and the theme, stat every attachment, read the output folder's manifest.

    With a cache folder, a page whose stat is the one recorded there last time keeps its recorded digest
    unread (parse/sources.read_changed_pages): `sources` then holds only the pages read, and
    `complete` is False. Without one, every page is read."""
    if cache_dir is None:
        sources, problems = read_pages(config.content_dir)
        digests = {s.src_path: source_digest(s) for s in sources}
        complete = True
        attachments = attachment_stats(config.content_dir)
    else:
        path = stats_path(cache_dir, config.content_dir)
        recorded_ns, known = _load_stats(path)
        started_ns = time.time_ns()
        scanned = scan(config.content_dir, stats=True)  # one walk: the pages' stats and the attachments'
        sources, digests, table, problems = read_changed_pages(config.content_dir, known, recorded_ns, scanned)
        complete = len(sources) == len(digests)
        if sources or table != known:  # something was read, or a page went
            _save_stats(path, started_ns, table)
        attachments = attachment_stats(config.content_dir, scanned)
    theme = theme_fingerprint(config)
    return Inputs(sources, problems, theme, digests, attachments, site_fingerprint(theme, digests, attachments),
                  read_manifest(config.out_dir), complete)


STATS_SCHEMA = 1


def stats_path(cache_dir: Path, content_dir: Path) -> Path:
    """Where the stat table of one content folder is kept in the cache folder."""
    name = hashlib.blake2b(os.fsencode(os.path.realpath(content_dir)), digest_size=8).hexdigest()
    return cache_dir / f"stats-{name}.pickle"


def _load_stats(path: Path) -> tuple[int, dict]:
    """(when the table was recorded, src_path -> (stat, digest)); (0, {}) when there is none or it is damaged."""
    try:
        schema, recorded_ns, table = load_pickle(path)
        if schema == STATS_SCHEMA and isinstance(recorded_ns, int) and isinstance(table, dict):
            return recorded_ns, table
    except Exception:  # noqa: BLE001 - a damaged cache file only means every page is read
        pass
    return 0, {}


def _save_stats(path: Path, recorded_ns: int, table: dict) -> None:
    """Record the stat table (atomically); a cache folder that cannot be written only means reading every page."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        dump_pickle(path, (STATS_SCHEMA, recorded_ns, table))
    except OSError:
        pass


def up_to_date(out_dir: Path, inputs: Inputs) -> UpToDate | None:
    """The site as it is, when the output folder holds exactly what these inputs build (every file there, no
    interrupted update, the diagnostics readable); None when a build must run."""
    manifest = inputs.manifest
    files = manifest.get("files")
    if (manifest.get("fingerprint") != inputs.fingerprint or not isinstance(files, list)
            or interrupted_update(out_dir) is not None or not all_files_there(out_dir, files)):
        return None
    diagnostics = read_diagnostics(out_dir, manifest)
    if diagnostics is None:
        return None  # not a manifest this version wrote: build again
    return UpToDate(int(manifest.get("page_count", 0)), len(files), diagnostics)
