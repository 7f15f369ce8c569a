"""The whole real LLM wiki (../shared/corpora/llm-wiki-full.tar.xz, 32,480 pages), unpacked once for tests and benchmarks.

It is unpacked into a folder they own, never into the repository or ../shared: $KBWIKI_CORPUS_DIR, else
~/.cache/kbwiki/corpora. A marker written after a whole unpack (naming the archive's size and time) lets
later runs use it as it is; a half-unpacked folder is unpacked again.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "corpora" / "llm-wiki-full.tar.xz"
NAME = "llm-wiki-full"


def corpus_home() -> Path:
    """Where unpacked corpora live."""
    return Path(os.environ.get("KBWIKI_CORPUS_DIR") or Path.home() / ".cache" / "kbwiki" / "corpora")


def full_wiki(archive: Path = ARCHIVE, home: Path | None = None) -> Path | None:
    """The unpacked wiki's folder (unpacking it the first time), or None when the archive is not here."""
    if not archive.is_file():
        return None
    home = home or corpus_home()
    folder, marker = home / NAME, home / f".{NAME}.unpacked"
    stat = archive.stat()
    stamp = f"{stat.st_size} {stat.st_mtime_ns}\n"
    if folder.is_dir() and marker.is_file() and marker.read_text() == stamp:
        return folder
    home.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    marker.unlink(missing_ok=True)
    with tarfile.open(archive, "r:xz") as tar:
        tar.extractall(home, filter="data")
    if not folder.is_dir():
        raise RuntimeError(f"{archive} did not hold a {NAME}/ folder")
    marker.write_text(stamp)
    return folder


if __name__ == "__main__":
    print(full_wiki() or f"{ARCHIVE} is not here")
