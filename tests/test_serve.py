"""The Rebuilder seam: writes through the writer, reuses unchanged pages, keeps the last good site on errors."""

from __future__ import annotations

import queue
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator import cli
from generator.build import session
from generator.build.session import run_build
from generator.serve import rebuild as serve
from generator.serve.devserver import inject
from generator.config import Config, load_config
from tests.conftest import DEMO
from tests.serving import DEADLINE, EventStream, fetch, page_text, wait_for

BROKEN_FRONT = "---\ntitle: B\ntags: [open\n---\nbroken\n"


@pytest.fixture
def vault(make_vault):
    return make_vault({"index.md": "# Home\n\n[[A]] and [[B]].\n", "a.md": "# A\n\nfirst a\n", "b.md": "# B\n\nfirst b\n"})


def rebuilder(content: Path, **settings) -> serve.Rebuilder:
    return serve.Rebuilder(lambda: Config(content_dir=content, out_dir=content.parent / "site", **settings))


def html(vault: Path, name: str) -> str:
    return (vault.parent / "site" / name).read_text(encoding="utf-8")


def test_first_build_writes_the_site(vault):
    result = rebuilder(vault).rebuild()
    assert (result.ok, result.build_id, result.pages, result.reparsed) == (True, 1, 3, 3)
    assert "first a" in html(vault, "a.html") and result.overlay() is None


def test_an_edit_reparses_only_the_changed_page(vault):
    builder = rebuilder(vault)
    builder.rebuild()
    (vault / "a.md").write_text("# A\n\nsecond a\n", encoding="utf-8")
    result = builder.rebuild([vault / "a.md"])
    assert (result.ok, result.build_id, result.reparsed) == (True, 2, 1)
    assert "second a" in html(vault, "a.html")
    (vault / "b.md").unlink()
    result = builder.rebuild([vault / "b.md"])
    assert (result.pages, result.reparsed) == (2, 0)
    assert not (vault.parent / "site/b.html").exists()


def test_a_config_change_reparses_every_page(vault, tmp_path):
    config_file = tmp_path / "kbwiki.yaml"
    config_file.write_text("type_keys: [type]\n", encoding="utf-8")
    builder = serve.Rebuilder(lambda: load_config(config_file, content_dir=vault, out_dir=tmp_path / "site"))
    builder.rebuild()
    config_file.write_text("type_keys: [kind]\n", encoding="utf-8")
    assert builder.rebuild([config_file]).reparsed == 3


def test_broken_front_matter_in_a_changed_file_keeps_the_last_good_site(vault):
    builder = rebuilder(vault)
    builder.rebuild()
    (vault / "b.md").write_text(BROKEN_FRONT, encoding="utf-8")
    result = builder.rebuild([vault / "b.md"])
    assert (result.ok, result.build_id) == (False, 1)
    assert [(d.src_path, d.code, d.line) for d in result.blocking] == [("b.md", "front-matter-yaml", 4)]
    assert "first b" in html(vault, "b.html")
    overlay = result.overlay()
    assert overlay["failure"] == "" and overlay["problems"][0]["text"].startswith("b.md:4:")

    (vault / "a.md").write_text("# A\n\nsecond a\n", encoding="utf-8")
    still = builder.rebuild([vault / "a.md"])  # b.md is still broken: the overlay stays
    assert not still.ok and [d.src_path for d in still.blocking] == ["b.md"]

    (vault / "b.md").write_text("# B\n\nfixed b\n", encoding="utf-8")
    fixed = builder.rebuild([vault / "b.md"])
    assert (fixed.ok, fixed.build_id, fixed.blocking) == (True, 2, ())
    assert "fixed b" in html(vault, "b.html") and "second a" in html(vault, "a.html")


def test_deleting_a_broken_file_unblocks(vault):
    builder = rebuilder(vault)
    builder.rebuild()
    (vault / "b.md").write_text(BROKEN_FRONT, encoding="utf-8")
    assert not builder.rebuild([vault / "b.md"]).ok
    (vault / "b.md").unlink()
    assert builder.rebuild([vault / "b.md"]).ok


def test_problems_that_were_there_at_start_or_between_pages_do_not_block(make_vault):
    vault = make_vault({"a.md": BROKEN_FRONT, "c.md": "# C\n\n[[Nowhere]]\n"})
    builder = rebuilder(vault)
    assert builder.rebuild().ok  # an existing broken page is served as `build` would write it
    (vault / "c.md").write_text("# C\n\n[[Nowhere else]]\n", encoding="utf-8")
    result = builder.rebuild([vault / "c.md"])
    assert result.ok and "broken-link" in {d.code for d in result.diagnostics}


def test_a_template_error_keeps_the_last_good_site(vault, tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    builder = rebuilder(vault, templates_dir=theme)
    builder.rebuild()
    (theme / "page.html").write_text("{% extends 'base.html' %}{% block content %}{{ page.title }{% endblock %}")
    result = builder.rebuild([theme / "page.html"])
    assert not result.ok and result.failure.startswith("jinja2.exceptions.TemplateSyntaxError")
    assert "Traceback" in result.detail and "first a" in html(vault, "a.html")
    (theme / "page.html").unlink()
    assert builder.rebuild([theme / "page.html"]).ok


def test_a_config_error_keeps_the_last_good_site(vault, tmp_path):
    config_file = tmp_path / "kbwiki.yaml"
    config_file.write_text("title: Fine\n", encoding="utf-8")
    builder = serve.Rebuilder(lambda: load_config(config_file, content_dir=vault, out_dir=tmp_path / "site"))
    builder.rebuild()
    config_file.write_text("related_count: lots\n", encoding="utf-8")
    result = builder.rebuild([config_file])
    assert not result.ok and "'related_count' must be a whole number" in result.failure
    assert result.overlay() == {"failure": result.failure, "problems": []}


def test_the_reload_snippet_is_never_in_build_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build", "--content", str(DEMO), "--out", "site"]) == 0
    files = [p for p in (tmp_path / "site").rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        data = path.read_bytes()
        assert b"__kbwiki" not in data and b"livereload" not in data and b"EventSource" not in data, path
    served = serve.Rebuilder(lambda: Config(content_dir=DEMO, out_dir=tmp_path / "served"))
    assert served.rebuild().ok  # what serve writes is the same site, byte for byte
    assert {p.relative_to(tmp_path / "served"): p.read_bytes() for p in (tmp_path / "served").rglob("*") if p.is_file()} \
        == {p.relative_to(tmp_path / "site"): p.read_bytes() for p in files}


def test_serve_refuses_a_missing_content_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["serve", "--content", "nope", "--port", "0"]) == 2
    assert "content folder nope does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_serve_rejects_a_bad_port(port, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--port", port])
    assert exit_info.value.code == 2 and "invalid port" in capsys.readouterr().err


def test_a_deleted_content_folder_keeps_the_last_good_site(vault):
    builder = rebuilder(vault)
    builder.rebuild()
    moved = vault.rename(vault.parent / "moved")
    result = builder.rebuild([vault])
    assert not result.ok and result.failure == f"content folder {vault} does not exist"
    assert "first a" in html(vault, "a.html")
    moved.rename(vault)
    assert builder.rebuild([vault]).ok


def test_start_serving_cleans_up_when_the_first_build_is_interrupted(vault, monkeypatch):
    def interrupted(self, changed=()):
        raise KeyboardInterrupt
    monkeypatch.setattr(serve.Rebuilder, "rebuild", interrupted)
    config = Config(content_dir=vault, out_dir=vault.parent / "site")
    with pytest.raises(KeyboardInterrupt):
        serve.start_serving(lambda: config, "127.0.0.1", 0, None, lambda r: None, lambda e: None)
    assert not [t for t in threading.enumerate() if t.name == "kbwiki-watch"]


def test_a_page_broken_while_the_config_was_broken_still_blocks(vault, tmp_path):
    config_file = tmp_path / "kbwiki.yaml"
    config_file.write_text("title: Fine\n", encoding="utf-8")
    builder = serve.Rebuilder(lambda: load_config(config_file, content_dir=vault, out_dir=tmp_path / "site"))
    builder.rebuild()
    config_file.write_text("related_count: lots\n", encoding="utf-8")
    (vault / "b.md").write_text(BROKEN_FRONT, encoding="utf-8")
    assert builder.rebuild([config_file, vault / "b.md"]).failure
    config_file.write_text("title: Fine again\n", encoding="utf-8")
    assert [d.src_path for d in builder.rebuild([config_file]).blocking] == ["b.md"]


def test_reverting_a_broken_edit_clears_the_overlay_without_a_new_build(vault):
    builder = rebuilder(vault)
    builder.rebuild()
    good = (vault / "b.md").read_text(encoding="utf-8")
    (vault / "b.md").write_text(BROKEN_FRONT, encoding="utf-8")
    assert builder.rebuild([vault / "b.md"]).overlay()
    (vault / "b.md").write_text(good, encoding="utf-8")
    result = builder.rebuild([vault / "b.md"])
    assert (result.ok, result.unchanged, result.build_id, result.overlay()) == (True, True, 1, None)


# --- serving the site on disk at once, the first build catching up behind it ------------------


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def held(monkeypatch):
    """The first build held once it has read the files, until the test sets `release`: (read, release)."""
    read, release = threading.Event(), threading.Event()
    real = session.read_inputs

    def read_then_wait(config, *rest):
        inputs = real(config, *rest)
        read.set()
        release.wait(DEADLINE)
        return inputs
    monkeypatch.setattr(session, "read_inputs", read_then_wait)
    yield read, release
    release.set()


@contextmanager
def serving(config: Config):
    """start_serving on 127.0.0.1 at a free port, rebuilding: (the Serving, a queue of its results, the results
    there were before rebuilding started)."""
    results: queue.Queue[serve.RebuildResult] = queue.Queue()
    watch_errors: list[Exception] = []
    running = serve.start_serving(lambda: config, "127.0.0.1", 0, None, results.put, watch_errors.append)
    try:
        before = results.qsize()
        running.start_rebuilding()
        yield running, results, before
    finally:
        running.stop()
    assert not watch_errors


@pytest.fixture
def built(vault, tmp_path):
    """The vault built by `kbwiki build` (site and cache up to date): its config."""
    config = Config(content_dir=vault, out_dir=tmp_path / "site")
    run_build(config)
    return config


def test_the_site_on_disk_is_served_while_the_catch_up_runs_and_stays_byte_identical(built, held):
    read, release = held
    site = built.out_dir
    before = tree(site)
    with serving(built) as (running, results, before_rebuilding):
        assert (running.from_disk, before_rebuilding) == (True, 0)
        assert read.wait(DEADLINE)  # the catch-up is running, and held
        status, _, body = fetch(running.url, "/a.html")
        assert (status, body) == (200, inject(before["a.html"], 1))  # the file on disk, as build 1
        stream = EventStream(running.url)
        assert stream.wait_for("hello") == {"build": 1}
        assert results.empty()
        release.set()
        caught_up = results.get(timeout=DEADLINE)
        assert (caught_up.ok, caught_up.catch_up, caught_up.unchanged, caught_up.build_id) == (True, True, True, 1)
        assert tree(site) == before  # the catch-up of a site up to date writes nothing: every byte as it was
        (built.content_dir / "a.md").write_text("# A\n\nsecond a\n", encoding="utf-8")
        assert stream.wait_for("reload") == {"build": 2}  # the first reload is the edit's: the catch-up's was none
        assert "second a" in page_text(running.url, "/a.html")
        assert not results.get(timeout=DEADLINE).catch_up
        stream.close()


def test_an_edit_made_while_the_catch_up_runs_is_built_after_it(built, held, tmp_path):
    read, release = held
    with serving(built) as (running, results, _):
        assert read.wait(DEADLINE)  # the catch-up has read the files: this edit comes after
        (built.content_dir / "a.md").write_text("# A\n\nedited during the catch-up\n", encoding="utf-8")
        wait_for(lambda: running.loop.changes.qsize(), "the watcher to queue the edit")
        assert "first a" in page_text(running.url, "/a.html")
        release.set()
        assert results.get(timeout=DEADLINE).catch_up
        wait_for(lambda: "edited during the catch-up" in page_text(running.url, "/a.html"), "the edit to be served")
        edit = results.get(timeout=DEADLINE)
        assert (edit.ok, edit.reparsed, edit.build_id) == (True, 1, 2)
    cold = Config(content_dir=built.content_dir, out_dir=tmp_path / "cold")
    run_build(cold, cache_dir=tmp_path / "cold-cache")
    assert tree(built.out_dir) == tree(cold.out_dir)


def test_a_site_on_disk_behind_the_content_is_served_then_rebuilt_and_reloaded(built, held):
    read, release = held
    old = tree(built.out_dir)["b.html"]
    (built.content_dir / "b.md").write_text("# B\n\nwritten while serve was not running\n", encoding="utf-8")
    with serving(built) as (running, results, _):
        assert read.wait(DEADLINE)
        assert fetch(running.url, "/b.html")[2] == inject(old, 1)  # what is on disk, until the catch-up is done
        stream = EventStream(running.url)
        assert stream.wait_for("hello") == {"build": 1}
        release.set()
        assert stream.wait_for("reload") == {"build": 2}
        caught_up = results.get(timeout=DEADLINE)
        assert (caught_up.ok, caught_up.catch_up, caught_up.unchanged) == (True, True, False)
        assert "written while serve was not running" in page_text(running.url, "/b.html")
        stream.close()


def test_without_a_site_on_disk_serve_builds_first(vault, tmp_path):
    config = Config(content_dir=vault, out_dir=tmp_path / "site")
    with serving(config) as (running, results, before_rebuilding):
        assert (running.from_disk, before_rebuilding) == (False, 1)
        first = results.get_nowait()  # built before serving began
        assert (first.ok, first.catch_up, first.build_id) == (True, False, 1)
        assert "first a" in page_text(running.url, "/a.html")


def test_stopping_during_the_catch_up_does_not_wait_for_it_nor_report_it(built, held):
    read, release = held
    results: queue.Queue[serve.RebuildResult] = queue.Queue()
    running = serve.start_serving(lambda: built, "127.0.0.1", 0, None, results.put, lambda exc: None)
    running.start_rebuilding()
    assert read.wait(DEADLINE)
    assert running.stop() is True  # at once: the catch-up is still running (the CLI then ends the process)
    release.set()
    wait_for(lambda: not [t for t in threading.enumerate() if t.name == "kbwiki-rebuild"], "the catch-up to end")
    assert results.empty()  # finished after stop: nobody is told


def test_serve_saves_its_state_as_it_stops_and_the_next_build_starts_from_it(vault, tmp_path, monkeypatch):
    config = Config(content_dir=vault, out_dir=tmp_path / "site")
    with serving(config) as (running, results, before_rebuilding):
        assert results.get(timeout=DEADLINE).ok  # built before serving began
        (vault / "a.md").write_text("# A\n\nsecond a\n", encoding="utf-8")
        edit = results.get(timeout=DEADLINE)
        assert edit.ok and edit.reparsed == 1
    assert running.save_problem == ""  # stopped: the state of the site as served is saved
    (vault / "b.md").write_text("# B\n\nfirst b\n\nA second paragraph.\n", encoding="utf-8")  # the same shape
    full = []
    real = session.parse_all
    monkeypatch.setattr(session, "parse_all", lambda *args, **kwargs: full.append(1) or real(*args, **kwargs))
    result = run_build(config)
    assert full == [] and (result.parsed, result.rendered) == (1, 1)  # from serve's state: not a full build
    assert "second a" in html(vault, "a.html") and "A second paragraph." in html(vault, "b.html")
    cold = Config(content_dir=vault, out_dir=tmp_path / "cold")
    run_build(cold, cache_dir=tmp_path / "cold-cache")
    assert tree(config.out_dir) == tree(cold.out_dir)
