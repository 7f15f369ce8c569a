"""Shared fixtures: real files in temporary folders."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "content"
CORPORA = ROOT.parent / "shared" / "corpora"


def require_corpus(path: Path) -> Path:
    """A corpus from ../shared/corpora, or: a skip with the reason on a clone of the project alone, and a
    failure in CI (CI is set), where the corpora must be exercised."""
    if not path.exists():
        message = f"{path} is not here: the real vaults live in ../shared/corpora beside the project"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this fails instead of skipping)")
        pytest.skip(message)
    return path


def write_vault(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text or bytes} under root (text is dedented) and return root."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_vault(tmp_path):
    """make_vault({"a.md": "..."}) -> the content folder path."""
    def make(files: dict[str, str | bytes], name: str = "content") -> Path:
        return write_vault(tmp_path / name, files)
    return make
