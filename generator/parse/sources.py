"""Finding and reading the content folder: the only module that reads pages from disk."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import Diagnostic, error, warning
from generator.paths import SourcePath


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A Markdown file's path (relative to the content folder) and its bytes."""

    src_path: SourcePath
    raw: bytes


MAX_PAGE_BYTES = 64 * 1024 * 1024  # larger files are reported, not read


@dataclass(slots=True)
class Scan:
    """What one walk of the content folder finds: the pages, the attachments, and with `stats` their stats."""

    pages: list[SourcePath]  # sorted
    attachments: list[SourcePath]  # every other file, sorted (none inside a folder reached by a symbolic link)
    problems: list[Diagnostic]
    page_stats: dict[SourcePath, "Stat"]  # with stats: every page whose stat could be taken
    attachment_stats: dict[SourcePath, tuple[int, int]]  # with stats: (size, mtime_ns), (-1, -1) when none


def scan(content_dir: Path, stats: bool = False) -> Scan:
    """Walk the content folder once: every .md file (dot-folders and dot-files skipped; folders reached by a
    symbolic link followed, loops reported) and every other file (not inside linked folders), sorted; with
    `stats`, the stat of each from the walk's own directory entries (what tells a build a file changed, unread)."""
    found = Scan([], [], [], {}, {})
    seen_dirs: set[str] = set()

    def walk(folder: Path, rel: str, linked: bool) -> None:
        real = os.path.realpath(folder)
        if real in seen_dirs:
            found.problems.append(warning(rel or ".", "symlink-loop", "folder is a symbolic link back into the content folder; skipped"))
            return
        seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append(error(rel or ".", "unreadable", f"cannot read folder: {exc.strerror or exc}"))
            return
        for item in entries:
            if item.name.startswith("."):
                continue
            child = f"{rel}/{item.name}" if rel else item.name
            try:
                is_dir = item.is_dir()
                is_file = item.is_file()
            except OSError as exc:
                found.problems.append(error(child, "unreadable", f"cannot read: {exc.strerror or exc}"))
                continue
            if is_dir:
                walk(Path(item.path), child, linked or item.is_symlink())
            elif is_file and item.name.casefold().endswith(".md"):
                found.pages.append(SourcePath(child))
                if stats:
                    try:
                        info = item.stat()
                    except OSError:
                        continue
                    found.page_stats[child] = page_stat(info)
            else:
                if item.is_symlink() and not os.path.exists(item.path):
                    found.problems.append(warning(child, "broken-symlink", "symbolic link points nowhere; skipped"))
                if linked or item.name.casefold().endswith(".md"):
                    continue
                found.attachments.append(SourcePath(child))
                if stats:
                    try:
                        info = item.stat()
                        found.attachment_stats[child] = (info.st_size, info.st_mtime_ns)
                    except OSError:
                        found.attachment_stats[child] = (-1, -1)

    if not content_dir.is_dir():
        found.problems.append(error(str(content_dir), "no-content", "content folder does not exist"))
        return found
    walk(content_dir, "", False)
    found.pages.sort()
    found.attachments.sort()
    return found


def discover(content_dir: Path) -> tuple[list[SourcePath], list[Diagnostic]]:
    """Every .md file under the content folder, sorted, and the problems met finding them (scan())."""
    found = scan(content_dir)
    return found.pages, found.problems


def read_source(content_dir: Path, src_path: SourcePath) -> tuple[SourceFile | None, list[Diagnostic]]:
    """The bytes of one page, or a diagnostic saying why it cannot be read."""
    path = content_dir / src_path
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            return None, [error(src_path, "too-large", f"file is {size // (1024 * 1024)} MB, over the {MAX_PAGE_BYTES // (1024 * 1024)} MB limit; skipped")]
        with open(path, "rb") as handle:
            return SourceFile(src_path, handle.read()), []
    except PermissionError:
        return None, [error(src_path, "unreadable", "permission denied: cannot read the file; skipped")]
    except OSError as exc:
        return None, [error(src_path, "unreadable", f"cannot read the file: {exc.strerror or exc}; skipped")]


def read_pages(content_dir: Path) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Discover and read every page file of the content folder."""
    src_paths, problems = discover(content_dir)
    sources = []
    for src_path in src_paths:
        source, read_problems = read_source(content_dir, src_path)
        problems += read_problems
        if source is not None:
            sources.append(source)
    return sources, problems


# A file's identity on disk (size, mtime_ns, ctime_ns, inode) and the digest of its bytes when it had it.
Stat = tuple[int, int, int, int]
RACY_NS = 2_000_000_000  # a file changed this close before its stat was recorded may change again unseen


def page_stat(info: os.stat_result) -> Stat:
    """The part of a stat that tells a page changed (the stat table's form)."""
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def stat_of(content_dir: Path | str, src_path: SourcePath) -> Stat | None:
    try:
        return page_stat(os.stat(os.path.join(content_dir, src_path)))
    except OSError:
        return None


def read_changed_pages(content_dir: Path, known: dict[SourcePath, tuple[Stat, str]], recorded_ns: int,
                       scanned: Scan | None = None
                       ) -> tuple[list[SourceFile], dict[SourcePath, str], dict[SourcePath, tuple[Stat, str]], list[Diagnostic]]:
    """Discover every page, and read only those whose stat differs from `known` (recorded at `recorded_ns`).

    Returns (the files read, every page's digest, the stat table to record next, problems). A page whose
    size, modification and change times and inode all match, and which had not changed within RACY_NS
    before its stat was recorded, keeps its recorded digest unread (the rule git's index uses: the
    change time cannot be set by hand, and a file changed in the same instant as its stat was taken is
    read again next time). `scanned`: a scan(stats=True) of the folder made already."""
    scanned = scanned or scan(content_dir, stats=True)
    problems = list(scanned.problems)
    sources: list[SourceFile] = []
    digests: dict[SourcePath, str] = {}
    table: dict[SourcePath, tuple[Stat, str]] = {}
    for src_path in scanned.pages:
        stat = scanned.page_stats.get(src_path)
        record = known.get(src_path)
        if stat is not None and record is not None and record[0] == stat and stat[1] < recorded_ns - RACY_NS:
            digests[src_path] = record[1]
            table[src_path] = record
            continue
        source, read_problems = read_source(content_dir, src_path)
        problems += read_problems
        if source is not None:
            sources.append(source)
            digests[src_path] = source_digest(source)
            if stat is not None:
                table[src_path] = (stat, digests[src_path])
    return sources, digests, table, problems


def discover_attachments(content_dir: Path) -> list[SourcePath]:
    """Every file under the content folder that is not Markdown (dot-folders and dot-files skipped), sorted."""
    return scan(content_dir).attachments


def attachment_stats(content_dir: Path, scanned: Scan | None = None) -> dict[SourcePath, tuple[int, int]]:
    """Every attachment's size and modification time (what tells a build that one changed, unread);
    `scanned`: a scan(stats=True) of the folder made already."""
    scanned = scanned or scan(content_dir, stats=True)
    return {src_path: scanned.attachment_stats.get(src_path, (-1, -1)) for src_path in scanned.attachments}


def read_attachment(content_dir: Path, src_path: SourcePath) -> tuple[bytes | None, list[Diagnostic]]:
    """The bytes of one attachment, or a diagnostic saying why it cannot be read."""
    try:
        return (content_dir / src_path).read_bytes(), []
    except OSError as exc:
        return None, [error(src_path, "unreadable", f"cannot read the attachment: {exc.strerror or exc}; not copied")]


def unreadable_attachments(content_dir: Path, src_paths: list[str] | tuple[str, ...]) -> list[Diagnostic]:
    """An error for each referenced attachment this process may not read (checked without reading it)."""
    return [error(p, "unreadable", "cannot read the attachment (permission denied); not copied")
            for p in src_paths if not os.access(content_dir / p, os.R_OK)]


def source_digest(source: SourceFile) -> str:
    """The hash of a source file's bytes: what a page's own HTML and the site fingerprint depend on."""
    return hashlib.blake2b(source.raw, digest_size=16).hexdigest()
