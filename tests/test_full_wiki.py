"""The whole real LLM wiki (../shared/corpora/llm-wiki-full.tar.xz, 32,480 pages) builds whole from the command line:
exit 0, no traceback, every page written, every href and src resolving on disk, no name too long.

Unpacked once into a folder the tests own (benchmarks/full_wiki.py); built once for the module (a few minutes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks.full_wiki import ARCHIVE, full_wiki
from generator.paths import MAX_SEGMENT_BYTES
from tests.conftest import ROOT, require_corpus
from tests.sitecheck import broken_refs


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    require_corpus(ARCHIVE)
    content = full_wiki()
    out = tmp_path_factory.mktemp("full") / "site"
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(content), "--out", str(out),
                           "--cache-dir", str(out.parent / "cache")], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    return content, out, proc


def test_it_builds_with_exit_0_and_no_traceback(built):
    _, out, proc = built
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert (out / "index.html").is_file() and (out / "graph.json").is_file()


def test_every_page_is_written(built):
    content, out, proc = built
    pages = json.loads((out / "graph.json").read_text(encoding="utf-8"))["pages"]
    sources = {p.relative_to(content).as_posix() for p in content.rglob("*.md")}
    written = {p["path"] for p in pages}
    assert written <= sources and len(written) > 32000
    left_out = sources - written  # only pages that ask not to be published, or that are not text
    assert len(left_out) < 50, sorted(left_out)[:20]
    assert all((out / p["url"]).is_file() for p in pages)
    assert f"Built {len(pages)} pages" in proc.stdout


def test_pages_that_share_a_title_or_a_file_name_are_not_errors(built):
    _, _, proc = built
    assert "duplicate-slug" not in proc.stderr and "duplicate-title" not in proc.stderr
    content = built[0]
    assert (content / "concepts" / "ConstitutionalAI.md").is_file() and (content / "entities" / "ConstitutionalAI.md").is_file()
    out = built[1]
    assert (out / "concepts" / "constitutionalai.html").is_file() and (out / "entities" / "constitutionalai.html").is_file()


def test_no_file_or_folder_name_is_too_long(built):
    _, out, _ = built
    longest = max((len(part.encode("utf-8")), part) for path in out.rglob("*") for part in [path.name])
    assert longest[0] <= MAX_SEGMENT_BYTES, longest[1]


def test_every_href_and_src_resolves_on_disk(built):
    _, out, _ = built
    assert broken_refs(out, jobs=2) == []
