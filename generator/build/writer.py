"""Writes a built site: the only module that writes output. Atomic swap, a lock, and a guarded output folder."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import glob
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from generator.diagnostics import Diagnostic, DiagnosticRows, DiagnosticTable
from generator.emit import Kept, Output
from generator.libc import function
from generator.records import compact_pickle

MARKER = ".kbwiki-site"  # in every output folder kbwiki made; its absence protects other folders
JOURNAL = ".kbwiki-updating"  # while serve replaces files in place: which ones (see update_in_place)
# The diagnostics the manifest counts, the JSON text of their rows (diagnostics.DiagnosticRows), beside it in a
# file of their own named by the manifest and by a hash of its bytes: written before it (unless there already),
# the one before removed after it.
# Kept out of the manifest so that neither a no-change build reading it nor an edit writing it handles the
# ~20 MB of a 32,000-page wiki's 100,000 diagnostics as one JSON string inside another.
DIAGNOSTICS = ".kbwiki-diagnostics-"


class OutputError(Exception):
    """The output folder cannot be used; the message says why. Nothing was written."""


def check_out_dir(out_dir: Path, content_dir: Path, templates_dir: Path | None = None, force: bool = False) -> None:
    """Refuse an output folder that would overwrite something the user owns."""
    out = out_dir.resolve()
    content = content_dir.resolve()
    if out == Path(out.anchor):
        raise OutputError(f"refusing to write the site into the file-system root ({out})")
    home = Path.home().resolve()
    if out == home or out in home.parents:
        raise OutputError(f"refusing to write the site into your home folder or one holding it ({out})")
    if out == content or content in out.parents:
        raise OutputError(f"refusing to write the site into the content folder ({out_dir}); choose another --out")
    if out in content.parents:
        raise OutputError(f"refusing to write the site into {out_dir}: it contains the content folder {content_dir}")
    if templates_dir is not None:
        templates = templates_dir.resolve()
        if out == templates or templates in out.parents or out in templates.parents:
            raise OutputError(f"refusing to write the site into or around the templates folder ({templates_dir})")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file() and not force:
        raise OutputError(f"{out_dir} is not empty and was not made by kbwiki; use --force to replace it")


def foreign_files(out_dir: Path, out_paths: Iterable[str]) -> list[str]:
    """Files in an existing output folder that kbwiki did not write (they go with the swap).

    kbwiki's own files are those of this build and those the last build listed in its manifest,
    so pages removed from the wiki since then are not reported; files put there by hand are.
    """
    if not out_dir.is_dir():
        return []
    ours = set(out_paths) | {MARKER, JOURNAL}
    listed = read_manifest(out_dir).get("files")
    if isinstance(listed, list):
        ours |= {f for f in listed if isinstance(f, str)}
    found = []
    for path in sorted(out_dir.rglob("*")):
        rel = path.relative_to(out_dir).as_posix()
        if (path.is_file() or path.is_symlink()) and rel not in ours and not _is_diagnostics_file(rel):
            found.append(rel)
    return found


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """One build at a time per output folder; a second one is refused with a clear message."""
    out_dir = _real(out_dir)
    lock_path = out_dir.parent / f".{out_dir.name}.kbwiki-lock"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")
    except OSError as exc:
        raise OutputError(f"cannot use {out_dir} as the output folder: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"another kbwiki build is writing {out_dir} right now; try again when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(out_dir: Path) -> dict:
    """The manifest of the site in `out_dir` ({} when there is none or it cannot be read)."""
    try:
        data = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def all_files_there(out_dir: Path, files: list[str]) -> bool:
    """Whether every one of `files` (paths relative to `out_dir`, "/"-separated) is a file there.

    One directory listing per folder rather than a stat per file: a no-change build of 32,000 pages
    asks this of ~40,000 files, and a listing returns hundreds of names per system call."""
    by_folder: dict[str, list[str]] = {}
    for name in files:
        folder, _, leaf = name.rpartition("/")
        by_folder.setdefault(folder, []).append(leaf)
    root = os.fspath(out_dir)
    for folder, leaves in by_folder.items():
        try:
            with os.scandir(os.path.join(root, folder) if folder else root) as listing:
                present = {entry.name for entry in listing if entry.is_file()}
        except OSError:
            return False
        if not present.issuperset(leaves):
            return False
    return True


def holds_site(out_dir: Path) -> bool:
    """Whether `out_dir` holds a site kbwiki wrote (a manifest listing its files): one `serve` can answer from."""
    return isinstance(read_manifest(out_dir).get("files"), list)


def reusable_keys(out_dir: Path) -> dict[str, str]:
    """Render keys of the pages of the current site whose files are still there (a key per out_path)."""
    keys = read_manifest(out_dir).get("pages", {})
    if not isinstance(keys, dict):
        return {}
    unsure = interrupted_update(out_dir)
    if unsure is not None:
        keys = {path: key for path, key in keys.items() if path not in unsure} if unsure else {}
    return {path: key for path, key in keys.items() if isinstance(key, str) and (out_dir / path).is_file()}


# Errors that concern one file's name or place, not the disk: that file is left out, the rest is written.
ONE_FILE_ERRORS = frozenset({errno.ENAMETOOLONG, errno.EINVAL, errno.EILSEQ, errno.EISDIR, errno.ENOTDIR, errno.EEXIST})


@compact_pickle
@dataclass(frozen=True, slots=True)
class Placed:
    """An output already written into the staging folder by the process that made it (place()): what the
    writer records of it. `unwritable`: the file system refused its name or place (errno, why); not there."""

    out_path: str
    key: str = ""
    problem: Diagnostic | None = None
    unwritable: tuple[int, str] | None = None


def staging_folder(out_dir: Path) -> Path:
    """The folder write_site() writes the next site of `out_dir` into before the swap (this process's own)."""
    out_dir = _real(out_dir)
    return out_dir.parent / f".{out_dir.name}.kbwiki-new-{os.getpid()}"


def place(items: Iterable, folder: Path) -> list:
    """Write each whole Output of `items` into `folder` (the staging folder, made by write_site), here and now,
    and give a Placed in its stead; anything else is passed on. For the workers that render: a page's bytes
    need not travel to the writer's process, and the file system's own cost of making ~20,000 files (kernel
    time that grows right after a big tree was deleted) is spread over every core. write_tree() records them."""
    made: set[str] = set()
    root = os.fspath(folder)
    found = []
    for item in items:
        if not isinstance(item, Output) or item.stream is not None:
            found.append(item)
            continue
        rel = _checked(item.out_path)
        try:
            _write_one(item, os.path.join(root, rel), "", made)
        except OSError as exc:
            if exc.errno not in ONE_FILE_ERRORS:
                raise
            found.append(Placed(rel, item.key, item.problem, (exc.errno, exc.strerror or str(exc))))
            continue
        found.append(Placed(rel, item.key, item.problem))
    return found


def _checked(rel: str) -> str:
    """An output path that stays inside the site folder (and is not the manifest's), else OutputError."""
    if rel.startswith(("/", "../")) or "/../" in rel or rel == MARKER:
        raise OutputError(f"output path escapes the site folder: {rel}")
    return rel


def write_tree(items: Iterable[Output | Kept | Placed], folder: Path, manifest: dict | None = None,
               reuse_from: Path | None = None, on_unwritable: Callable[[str, str], None] | None = None) -> list[str]:
    """Write outputs under `folder` (Kept files hard-linked from `reuse_from`; Placed ones are there already)
    and the manifest; returns the paths.

    Refuses to write one path twice, or outside the folder. The manifest records every file and the
    render key of every content page, so the next build can keep what did not change. A file the file
    system refuses by its name (too long, invalid) is left out and told to `on_unwritable(out_path, reason)`
    when given; any other failure (a full disk, no permission) stops the write.
    """
    written: set[str] = set()
    keys: dict[str, str] = {}
    made: set[str] = set()
    root, source = os.fspath(folder), os.fspath(reuse_from) if reuse_from is not None else ""
    for item in items:
        rel = _checked(item.out_path)
        if rel in written:
            raise OutputError(f"two outputs want the same path {rel}")
        target = os.path.join(root, rel)
        try:
            if isinstance(item, Placed):
                if item.unwritable:
                    raise OSError(item.unwritable[0], item.unwritable[1], target)
            else:
                _write_one(item, target, os.path.join(source, rel), made)
        except OSError as exc:
            if on_unwritable is None or exc.errno not in ONE_FILE_ERRORS:
                raise
            on_unwritable(rel, exc.strerror or str(exc))
            continue
        written.add(rel)
        if item.key:
            keys[rel] = item.key
    files = sorted(written)
    _write_manifest(folder, manifest, files, keys)
    return files


def _write_one(item: Output | Kept, target: str, reused: str, made: set[str]) -> None:
    parent = os.path.dirname(target)
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        made.add(parent)
    if isinstance(item, Kept):
        try:
            os.link(reused, target)  # the unchanged file itself: not rewritten
        except OSError:
            shutil.copy2(reused, target)
    else:
        _write_output(target, item)


def _write_output(path, output: Output) -> None:
    """An output's bytes into the file `path`, a piece at a time (a streamed output is never whole)."""
    with open(path, "wb") as handle:
        for piece in output.pieces():
            handle.write(piece)


def _write_manifest(folder: Path, manifest: dict | None, files: list[str], keys: dict[str, str]) -> None:
    body = {"generator": "kbwiki", "note": "This folder is written by kbwiki; it is replaced on every build.",
            **(manifest or {}), "files": files, "pages": keys}
    name = ""
    if "diagnostics" in body:  # rows (or a DiagnosticTable), kept as the text of their JSON in a file of their own
        rows = body.pop("diagnostics")
        if isinstance(rows, DiagnosticTable):  # its digest made once (and kept in the build state): not encoded again
            (digest, size), data = rows.digest(), None
            fields = {"diagnostic_count": rows.count, "errors": rows.errors}
        else:
            fields = DiagnosticRows.encode(rows)
            data = fields.pop("diagnostics").encode("utf-8")
            digest, size = DiagnosticRows.digest(data), len(data)
        name = f"{DIAGNOSTICS}{digest}.json"  # the same rows, the same name
        if not _holds(folder / name, size):  # the file the manifest now names, as it is, is never rewritten
            temporary = folder / (name + ".tmp")
            temporary.write_bytes(data if data is not None else rows.json().encode("utf-8"))
            os.replace(temporary, folder / name)
        body.update(fields, diagnostics_file=name)
    text = manifest_text(body)
    temporary = folder / (MARKER + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, folder / MARKER)
    with os.scandir(folder) as found:  # the diagnostics of the manifest just replaced (or of one never written)
        for old in [e.name for e in found if _is_diagnostics_file(e.name) and e.name != name]:
            try:
                os.unlink(folder / old)
            except OSError:
                pass


MANIFEST_SLICE = 4096  # list items or mapping entries encoded by one call of the JSON encoder


def manifest_text(body: dict) -> str:
    """json.dumps(body, sort_keys=True, separators=(",", ":")) and a newline, the same bytes, but a large list or
    mapping a slice at a time: the C encoder holds the interpreter's lock for a whole call, and for a 32,000-page
    wiki's file list and render keys (~6 MB) that kept serve's HTTP threads from answering for ~90 ms right
    after an edit's page was replaced."""
    def encode(value) -> str:
        if isinstance(value, list) and len(value) > MANIFEST_SLICE:
            return "[" + ",".join(_slices(value, lambda part: _JSON.encode(part)[1:-1])) + "]"
        if isinstance(value, dict) and len(value) > MANIFEST_SLICE and all(isinstance(k, str) for k in value):
            ordered = sorted(value.items())
            return "{" + ",".join(_slices(ordered, lambda part: _JSON.encode(dict(part))[1:-1])) + "}"
        return _JSON.encode(value)

    return "{" + ",".join(f"{_JSON.encode(key)}:{encode(body[key])}" for key in sorted(body)) + "}\n"


def _slices(items: list, encode) -> Iterator[str]:
    for start in range(0, len(items), MANIFEST_SLICE):
        yield encode(items[start:start + MANIFEST_SLICE])


_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _holds(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _is_diagnostics_file(rel: str) -> bool:
    return rel.startswith(DIAGNOSTICS) and "/" not in rel


def read_diagnostics(out_dir: Path, manifest: dict) -> DiagnosticRows | None:
    """The diagnostics of the site in `out_dir` as its manifest names them; None when it names none (a
    manifest of an older version) or their file is missing or damaged."""
    name = manifest.get("diagnostics_file")
    if not isinstance(name, str) or not _is_diagnostics_file(name):
        return None
    try:
        text = (out_dir / name).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    if not text.endswith("]"):
        return None
    return DiagnosticRows.read({**manifest, "diagnostics": text})


def update_in_place(outputs: list[Output], out_dir: Path, manifest: dict, files: list[str], keys: dict[str, str]) -> None:
    """Replace a few files of the site in `out_dir` where they are, each atomically, then the manifest.

    For `kbwiki serve` after an edit that changes no page's shape (every file of the site stays, a few get
    new bytes): readers see each file old or new, never half written. A journal names the files being
    replaced until the manifest is written; if the update is cut short, the next build finds it and
    treats those files as unknown (and the site as changed), so it writes them again.
    """
    out_dir = _real(out_dir)
    journal = out_dir / JOURNAL
    try:
        journal.write_text(json.dumps(sorted(o.out_path for o in outputs)) + "\n", encoding="utf-8")
        for output in outputs:
            rel = output.out_path
            if rel.startswith(("/", "../")) or "/../" in rel or rel == MARKER or rel not in files:
                raise OutputError(f"an in-place update may only replace a file of the site: {rel}")
            target = out_dir / rel
            temporary = target.with_name(f".{target.name}.kbwiki-tmp")
            _write_output(temporary, output)
            os.replace(temporary, target)
        _write_manifest(out_dir, manifest, files, keys)
        journal.unlink()
    except OSError as exc:
        where = exc.filename or out_dir
        raise OutputError(f"cannot update the site: {where}: {exc.strerror or exc}") from None


def interrupted_update(out_dir: Path) -> list[str] | None:
    """The files an in-place update was replacing when it was cut short (None when none was)."""
    try:
        listed = json.loads((out_dir / JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return []
    return [p for p in listed if isinstance(p, str)] if isinstance(listed, list) else []


def write_site(items: Iterable[Output | Kept | Placed], out_dir: Path, manifest: dict | None = None,
               before_swap: Callable[[list[str]], None] | None = None,
               on_unwritable: Callable[[str, str], None] | None = None) -> int:
    """Write the site into a fresh folder beside `out_dir` (staging_folder(), where the items' makers may have
    placed() some already), then swap it in at once; returns the file count.

    `before_swap` hears of files in the current site that the new one does not have, before they go.
    Until the swap the previous site is untouched; a failure (or a kill) before it leaves the
    previous site as it was, and the next build removes the half-written folder.
    """
    out_dir = _real(out_dir)
    parent = out_dir.parent
    staging = staging_folder(out_dir)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(out_dir)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            files = write_tree(items, staging, manifest, out_dir, on_unwritable)
            if before_swap is not None:
                stray = foreign_files(out_dir, files)
                if stray:
                    before_swap(stray)
            swap_in(staging, out_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        where = exc.filename or out_dir
        raise OutputError(f"cannot write the site: {where}: {exc.strerror or exc}; {out_dir} was left as it was") from None
    return len(files)


def _real(out_dir: Path) -> Path:
    """The output folder with symbolic links resolved, so the swap replaces the folder, not the link."""
    return Path(os.path.realpath(out_dir))


def swap_in(staging: Path, out_dir: Path) -> None:
    """Make `staging` the output folder: an atomic exchange where the system has one, else two renames."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if _exchange(staging, out_dir):
        return  # staging now holds the old site; the caller removes it
    old = out_dir.parent / f".{out_dir.name}.kbwiki-old-{os.getpid()}"
    os.rename(out_dir, old)
    os.rename(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _remove_stale(out_dir: Path) -> None:
    """Folders left by a build that was killed (their names say they are ours)."""
    name = glob.escape(out_dir.name)
    old = sorted(out_dir.parent.glob(f".{name}.kbwiki-old-*"))
    if old and not out_dir.exists():
        os.rename(old[-1], out_dir)  # killed between the two renames (no atomic exchange): put the old site back
    for pattern in (f".{name}.kbwiki-new-*", f".{name}.kbwiki-old-*"):
        for stale in out_dir.parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Linux renameat2(RENAME_EXCHANGE): swap two folders atomically. False when unsupported."""
    func = function("renameat2")
    if func is None:
        return False
    at_fdcwd = -100
    result = func(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.EXDEV, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))
