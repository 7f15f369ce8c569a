"""What a build reads first, and the one rule for "nothing changed": the site fingerprint.

Light on purpose (no Markdown, Jinja or networkx): `kbwiki build` with nothing changed reads the files,
compares one hash with the output folder's manifest and stops, without loading the engine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from generator.config import Config
from generator.diagnostics import Diagnostic
from generator.parse.sources import SourceFile, attachment_stats, read_pages, source_digest
from generator.emit.theme import theme_fingerprint
from generator.build.writer import interrupted_update, read_manifest


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


@dataclass(frozen=True, slots=True)
class UpToDate:
    """The site in the output folder is the one these inputs make: what its manifest says of it."""

    pages: int
    files: int
    diagnostics: list[Diagnostic]


def read_inputs(config: Config) -> Inputs:
    """Read every page and the theme, stat every attachment, read the output folder's manifest."""
    sources, problems = read_pages(config.content_dir)
    theme = theme_fingerprint(config)
    digests = {s.src_path: source_digest(s) for s in sources}
    attachments = attachment_stats(config.content_dir)
    return Inputs(sources, problems, theme, digests, attachments, site_fingerprint(theme, digests, attachments),
                  read_manifest(config.out_dir))


def up_to_date(out_dir: Path, inputs: Inputs) -> UpToDate | None:
    """The site as it is, when the output folder holds exactly what these inputs build (every file there, no
    interrupted update, the diagnostics readable); None when a build must run."""
    manifest = inputs.manifest
    files = manifest.get("files")
    if (manifest.get("fingerprint") != inputs.fingerprint or not isinstance(files, list)
            or interrupted_update(out_dir) is not None or not all((out_dir / name).is_file() for name in files)):
        return None
    try:
        diagnostics = [Diagnostic(**d) for d in manifest.get("diagnostics", [])]
    except (TypeError, AttributeError):
        return None
    return UpToDate(int(manifest.get("page_count", 0)), len(files), diagnostics)
