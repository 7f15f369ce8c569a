"""writer.py: atomic output, the guarded output folder, the build lock, foreign files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import cli
from generator.build import writer
from generator.emit import Output
from generator.build.writer import DIAGNOSTICS, MARKER, OutputError, build_lock, write_site
from tests.conftest import ROOT, write_vault
from tests.helpers import build

PAGES = {"index.md": "# Home\n\nSee [[Alpha]].\n", "alpha.md": "# Alpha\n\nVersion one.\n"}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative POSIX path -> bytes); symbolic links are not followed."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def pages_of(files: dict[str, bytes]) -> dict[str, bytes]:
    """The site's files without its manifest (which also records how the build ran) and the diagnostics it names."""
    return {path: data for path, data in files.items() if path != MARKER and not path.startswith(DIAGNOSTICS)}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.kbwiki-[no]*"))


def run_cli(*args: str) -> int:
    return cli.main(["build", *args])


@pytest.fixture
def built(tmp_path, make_vault):
    """A content folder and a site already built from it: (content, out, snapshot of the site)."""
    content = make_vault(PAGES)
    out = tmp_path / "site"
    build(content, out)
    return content, out, snapshot(out)


# --- atomic output -------------------------------------------------------------------------


@pytest.mark.parametrize("outputs", [
    [Output("a.html", b"new"), Output("a.html/b.html", b"a file is in the way of this folder")],
    [Output("a.html", b"new"), Output("b/c.html", b"new"), Output("b", b"a folder is in the way of this file")],
    [Output("a.html", b"new"), Output("a.html", b"the same path twice")],
    [Output("a.html", b"new"), Output("../outside.html", b"escapes the site")],
], ids=["file-blocks-folder", "folder-blocks-file", "same-path-twice", "escapes"])
def test_a_failed_write_leaves_the_previous_site_unchanged(built, outputs):
    _, out, before = built
    with pytest.raises(OutputError) as caught:
        write_site(outputs, out)
    assert snapshot(out) == before
    assert leftovers(out) == []
    assert str(out) in str(caught.value) or "path" in str(caught.value)


def test_a_write_that_cannot_start_is_a_clear_error(tmp_path, make_vault, capsys):
    content = make_vault(PAGES)
    (tmp_path / "afile").write_text("not a folder")
    assert run_cli("--content", str(content), "--out", str(tmp_path / "afile" / "site")) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "afile" in err and "Traceback" not in err
    assert (tmp_path / "afile").read_text() == "not a folder"


def test_a_site_killed_between_two_renames_is_put_back(built):
    """Without an atomic exchange the swap is two renames; a kill between them leaves `.site.kbwiki-old-*`."""
    _, out, before = built
    out.rename(out.parent / f".{out.name}.kbwiki-old-4242")
    with pytest.raises(OutputError):
        write_site([Output("x", b""), Output("x/y", b"")], out)
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_two_renames_swap_when_there_is_no_atomic_exchange(built, monkeypatch):
    _, out, _ = built
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)  # as on macOS or an old kernel
    write_site([Output("only.html", b"new")], out)
    assert snapshot(out) == {"only.html": b"new", MARKER: (out / MARKER).read_bytes()}
    assert leftovers(out) == []


def test_a_symlinked_output_folder_is_written_through(tmp_path, make_vault):
    content = make_vault(PAGES)
    real = tmp_path / "real-site"
    build(content, real)
    link = tmp_path / "site"
    link.symlink_to(real)
    write_site([Output("only.html", b"new")], link)
    assert link.is_symlink() and (real / "only.html").read_bytes() == b"new"
    assert not (real / "alpha.html").exists()


def test_sigkill_mid_write_leaves_the_previous_site_and_the_next_build_cleans_up(tmp_path, make_vault):
    """A real `python -m generator build`, killed with SIGKILL while it writes the staging folder."""
    content = make_vault(PAGES)
    theme = tmp_path / "theme"
    for i in range(5000):  # enough files that writing them takes a while
        write_vault(theme / "assets" / f"part{i // 250}", {f"file{i}.txt": f"asset {i}\n"})
    out = tmp_path / "site"
    argv = ["--content", str(content), "--out", str(out), "--templates", str(theme)]
    assert run_cli(*argv) == cli.EXIT_OK
    before = snapshot(out)
    (content / "alpha.md").write_text("# Alpha\n\nVersion two.\n")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "generator", "build", *argv], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = tmp_path / f".site.kbwiki-new-{proc.pid}"
    deadline = time.monotonic() + 120
    try:
        while not any(staging.glob("*")):  # the staging folder exists and files are going in
            assert proc.poll() is None, "the build ended before it was seen writing"
            assert time.monotonic() < deadline, "the build never started writing"
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert staging.is_dir(), "killed mid-write: the half-written folder is left beside the site"
    assert snapshot(out) == before  # the previous site, complete and unchanged

    assert run_cli(*argv) == cli.EXIT_OK  # the lock died with the process; no stale lock refuses
    assert leftovers(out) == []
    assert b"Version two." in (out / "alpha.html").read_bytes()


# --- the output folder is ours alone -------------------------------------------------------


def refused_cases(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    content = tmp_path / "w" / "content"
    return {
        "content": (["--out", str(content)], "content folder"),
        "inside-content": (["--out", str(content / "site")], "content folder"),
        "parent-of-content": (["--out", str(tmp_path / "w")], "contains the content folder"),
        "templates": (["--out", str(tmp_path / "theme"), "--templates", str(tmp_path / "theme")], "templates folder"),
        "inside-templates": (["--out", str(tmp_path / "theme" / "out"), "--templates", str(tmp_path / "theme")], "templates folder"),
        "home": (["--out", str(tmp_path / "home")], "home folder"),
        "parent-of-home": (["--out", str(tmp_path / "home" / "..")], "home folder"),
        "root": (["--out", "/"], "file-system root"),
        "foreign": (["--out", str(tmp_path / "mine")], "not made by kbwiki; use --force"),
        "a-file": (["--out", str(tmp_path / "mine" / "notes.txt")], "is not a folder"),
    }


@pytest.mark.parametrize("case", ["content", "inside-content", "parent-of-content", "templates", "inside-templates",
                                  "home", "parent-of-home", "root", "foreign", "a-file"])
def test_an_unsafe_output_folder_is_refused_and_nothing_is_touched(tmp_path, make_vault, monkeypatch, capsys, case):
    content = make_vault(PAGES, "w/content")
    write_vault(tmp_path / "theme", {"page.html": "{{ page.title }}"})
    write_vault(tmp_path / "mine", {"notes.txt": "my own notes"})
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    args, message = refused_cases(tmp_path)[case]
    before = snapshot(tmp_path)
    names_before = sorted(p.name for p in tmp_path.rglob("*"))

    assert run_cli("--content", str(content), *args) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == names_before  # no lock file, no staging folder


def test_force_replaces_a_foreign_folder_and_reports_its_files(tmp_path, make_vault, capsys):
    content = make_vault(PAGES)
    mine = write_vault(tmp_path / "mine", {"notes.txt": "my own notes", "deep/more.txt": "x"})
    assert run_cli("--content", str(content), "--out", str(mine), "--force") == cli.EXIT_OK
    err = capsys.readouterr().err
    assert "removing 2 file(s)" in err and "deep/more.txt" in err and "notes.txt" in err
    assert (mine / MARKER).is_file() and (mine / "alpha.html").is_file() and not (mine / "notes.txt").exists()


def test_files_added_to_a_kbwiki_folder_are_reported_before_removal(built, capsys):
    content, out, _ = built
    (out / "added-by-hand.txt").write_text("x")
    (content / "alpha.md").unlink()  # its page was kbwiki's: it goes without a word
    assert run_cli("--content", str(content), "--out", str(out)) == cli.EXIT_OK
    err = capsys.readouterr().err
    assert "removing 1 file(s)" in err and "added-by-hand.txt" in err and "alpha.html" not in err
    assert not (out / "added-by-hand.txt").exists() and not (out / "alpha.html").exists()


def test_the_marker_lists_what_the_build_wrote(built):
    _, out, before = built
    listed = json.loads((out / MARKER).read_text())["files"]
    assert listed == sorted(p for p in before if p != MARKER)


def test_holds_site_only_for_a_folder_kbwiki_wrote_a_site_into(built, tmp_path):
    _, out, _ = built
    (tmp_path / "empty").mkdir()
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "index.html").write_text("not ours")
    (tmp_path / "marker-only").mkdir()
    (tmp_path / "marker-only" / MARKER).write_text("{damaged")
    assert writer.holds_site(out)
    assert not any(writer.holds_site(tmp_path / name) for name in ("missing", "empty", "foreign", "marker-only"))


def test_an_empty_folder_and_a_kbwiki_folder_need_no_force(tmp_path, make_vault):
    content = make_vault(PAGES)
    (tmp_path / "empty").mkdir()
    assert run_cli("--content", str(content), "--out", str(tmp_path / "empty")) == cli.EXIT_OK
    assert run_cli("--content", str(content), "--out", str(tmp_path / "empty")) == cli.EXIT_OK


# --- concurrent builds -----------------------------------------------------------------------


def test_a_second_build_is_refused_while_the_lock_is_held(built, capsys):
    content, out, before = built
    (content / "alpha.md").write_text("# Alpha\n\nVersion two.\n")
    with build_lock(out):
        assert run_cli("--content", str(content), "--out", str(out)) == cli.EXIT_USAGE
        assert snapshot(out) == before
    assert "another kbwiki build is writing" in capsys.readouterr().err
    assert run_cli("--content", str(content), "--out", str(out)) == cli.EXIT_OK  # released on exit


def test_the_lock_refuses_in_another_process_too(built):
    content, out, before = built
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with build_lock(out):
        done = subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(content), "--out", str(out)],
                              cwd=out.parent, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == cli.EXIT_USAGE and "another kbwiki build is writing" in done.stderr
    assert snapshot(out) == before


def test_concurrent_builds_leave_one_whole_site_never_a_mix(tmp_path, make_vault):
    """Two builds of different content race into one folder: the result is exactly one of them."""
    one = make_vault({**PAGES, **{f"p{i}.md": f"# P{i}\n\nOne [[Alpha]].\n" for i in range(60)}}, "one")
    two = make_vault({**PAGES, **{f"p{i}.md": f"# P{i}\n\nTwo [[Alpha]].\n" for i in range(60)}}, "two")
    expected = []
    for content in (one, two):
        build(content, tmp_path / f"ref-{content.name}")
        expected.append(pages_of(snapshot(tmp_path / f"ref-{content.name}")))
    out = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(2):
        procs = [subprocess.Popen([sys.executable, "-m", "generator", "build", "--content", str(c), "--out", str(out)],
                                  cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for c in (one, two)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        for code, err in results:
            assert code == cli.EXIT_OK or (code == cli.EXIT_USAGE and "another kbwiki build" in err), err
        assert pages_of(snapshot(out)) in expected
        assert leftovers(out) == []


def test_an_update_in_place_replaces_only_files_of_the_site(built):
    from generator.emit import Output
    from generator.build.writer import OutputError, read_manifest, update_in_place
    _, out, _ = built
    files = read_manifest(out)["files"]
    update_in_place([Output(files[0], b"new bytes")], out, {"fingerprint": "x"}, files, {})
    assert (out / files[0]).read_bytes() == b"new bytes" and read_manifest(out)["fingerprint"] == "x"
    assert not (out / ".kbwiki-updating").exists()
    with pytest.raises(OutputError):
        update_in_place([Output("not-in-the-site.html", b"x")], out, {}, files, {})
    assert not (out / "not-in-the-site.html").exists()


def test_all_files_there_lists_each_folder_and_misses_nothing(tmp_path):
    site = tmp_path / "site"
    (site / "a" / "b").mkdir(parents=True)
    for name in ("index.html", "a/x.html", "a/b/y.html", "a/b/z.js"):
        (site / name).write_text("x")
    (site / "a" / "link.html").symlink_to(site / "a" / "x.html")
    (site / "a" / "dir.html").mkdir()
    every = ["index.html", "a/x.html", "a/b/y.html", "a/b/z.js", "a/link.html"]
    assert writer.all_files_there(site, every)
    assert writer.all_files_there(site, [])
    assert not writer.all_files_there(site, every + ["a/b/missing.html"])
    assert not writer.all_files_there(site, ["a/dir.html"])  # a folder where a file should be
    assert not writer.all_files_there(site, ["c/y.html"])  # a folder that is not there
    (site / "a" / "b" / "y.html").unlink()
    assert not writer.all_files_there(site, every)


def test_the_manifest_names_its_diagnostics_file_read_back_lazily_and_whole(tmp_path):
    from generator.build.fingerprint import Inputs, up_to_date
    from generator.diagnostics import DiagnosticRows, DiagnosticTable, error, error_count, warning
    found = [error("a.md", "broken-link", 'link "x" -> no page, [a],[b]', 3, 4, "hint", "x"),
             warning("b.md", "orphan", "no other page links here"), warning("c/ü.md", "stale", "年 old\n", 9)]
    site = tmp_path / "site"
    write_site([Output("index.html", b"x")], site, {"fingerprint": "f", "diagnostics": [d.as_row() for d in found]})
    manifest = writer.read_manifest(site)
    assert "diagnostics" not in manifest and manifest["diagnostic_count"] == 3
    rows = writer.read_diagnostics(site, manifest)
    assert len(rows) == 3 and error_count(rows) == 1
    assert rows[:2] == found[:2]  # decoded from the start of the text, one by one
    assert rows[:0] == [] and rows[1] == found[1] and list(rows) == found and rows[-1:] == found[-1:]
    assert writer.foreign_files(site, ["index.html"]) == []  # the diagnostics file is kbwiki's own
    inputs = Inputs([], [], "", {}, {}, "f", manifest)
    assert list(up_to_date(site, inputs).diagnostics) == found
    # an edit written in place: a new diagnostics file, the one before removed once the manifest names the new one
    first = manifest["diagnostics_file"]
    writer.update_in_place([Output("index.html", b"y")], site, {"fingerprint": "g", "diagnostics": DiagnosticTable(found[1:])},
                           ["index.html"], {})
    manifest = writer.read_manifest(site)
    assert manifest["diagnostics_file"] != first and not (site / first).exists()
    assert list(writer.read_diagnostics(site, manifest)) == found[1:]
    assert sorted(p.name for p in site.iterdir()) == sorted([writer.MARKER, "index.html", manifest["diagnostics_file"]])
    # no file named, or a damaged one: not readable, so the build runs again
    assert writer.read_diagnostics(site, {**manifest, "diagnostics_file": "../x"}) is None
    (site / manifest["diagnostics_file"]).write_text("[[", encoding="utf-8")
    assert writer.read_diagnostics(site, manifest) is None and up_to_date(site, inputs) is None
    assert DiagnosticRows.read({**manifest, "diagnostics": [d.as_row() for d in found]}) is None  # an older form
    write_site([Output("index.html", b"x")], site, {"fingerprint": "f", "diagnostics": []})
    assert list(writer.read_diagnostics(site, writer.read_manifest(site))) == []


def test_outputs_placed_by_the_process_that_made_them_are_recorded_and_checked(tmp_path):
    """writer.place(): a render worker writes its pages into the staging folder itself; write_tree records them
    (keys, refused names) as it would have written them, and still refuses a path wanted twice."""
    import errno
    from generator.emit import Kept
    from generator.build.writer import Placed, place, write_tree
    stage = tmp_path / "stage"
    stage.mkdir()
    long_name = "n" * 300 + ".html"
    made = place([Output("a/b.html", b"x", key="k"), Output(long_name, b"y"), Kept("c.html", "k2")], stage)
    assert made[0] == Placed("a/b.html", "k") and (stage / "a" / "b.html").read_bytes() == b"x"
    assert made[1].out_path == long_name and made[1].unwritable[0] == errno.ENAMETOOLONG
    assert made[2] == Kept("c.html", "k2")  # not this function's to write
    refused = []
    files = write_tree(made[:2], stage, on_unwritable=lambda rel, why: refused.append((rel, why)))
    assert files == ["a/b.html"] and refused == [(long_name, "File name too long")]
    assert json.loads((stage / MARKER).read_text())["pages"] == {"a/b.html": "k"}
    with pytest.raises(OSError):  # no one to tell of a refused name: the write stops, as for a file written here
        write_tree(made[:2], tmp_path / "other")
    with pytest.raises(OutputError, match="two outputs want the same path a/b.html"):
        write_tree([made[0], Output("a/b.html", b"z")], stage)
    with pytest.raises(OutputError, match="escapes"):
        place([Output("../out.html", b"z")], stage)
    assert not (tmp_path / "out.html").exists()


def test_the_manifest_is_the_json_of_its_fields_however_many_files_it_lists():
    import json
    import random
    from generator.build.writer import MANIFEST_SLICE, manifest_text
    rng = random.Random(8)
    for n in (0, 3, MANIFEST_SLICE, MANIFEST_SLICE + 1, 2 * MANIFEST_SLICE + 7):
        body = {"files": [f"a/{rng.random()}é\"\\x" for _ in range(n)], "fingerprint": "f", "page_count": n,
                "pages": {f"p/{rng.random()}ü\n": f"{rng.random()}" for _ in range(n)}, "note": "n", "errors": 0,
                "diagnostics_file": None, "generator": "kbwiki"}
        assert manifest_text(body) == json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n"
