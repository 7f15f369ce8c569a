"""The Rebuilder seam: writes through the writer, reuses unchanged pages, keeps the last good site on errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from generator import cli
from generator.serve import rebuild as serve
from generator.config import Config, load_config
from tests.conftest import DEMO

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
