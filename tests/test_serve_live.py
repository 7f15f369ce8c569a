"""`kbwiki serve` as a real process on 127.0.0.1 at an ephemeral port: edits, reload events, overlays, Ctrl-C."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from generator import cli
from tests.conftest import ROOT, write_vault
from tests.serving import EventStream, ServeProcess, fetch, page_text, wait_for

VAULT = {
    "index.md": "# Home\n\nSee [[Alpha]].\n",
    "alpha.md": "---\ntitle: Alpha\n---\nFirst version of alpha.\n",
}
BROKEN = "---\ntitle: Alpha\ntags: [unclosed\n---\nBroken version.\n"


@pytest.fixture
def served(tmp_path):
    write_vault(tmp_path / "content", VAULT)
    server = ServeProcess(tmp_path, "--content", "content", "--out", "site")
    yield server
    if server.proc.poll() is None:
        server.stop()


def test_edit_shows_up_and_the_reload_event_arrives(served, tmp_path):
    assert "First version of alpha." in page_text(served.url, "/alpha.html")
    stream = EventStream(served.url)
    hello = stream.wait_for("hello")
    (tmp_path / "content/alpha.md").write_text("---\ntitle: Alpha\n---\nSecond version.\n", encoding="utf-8")
    reload = stream.wait_for("reload")
    assert reload["build"] > hello["build"]
    assert "Second version." in page_text(served.url, "/alpha.html")  # written before the event is sent
    stream.close()


def test_broken_edit_keeps_the_old_page_and_shows_an_overlay_until_fixed(served, tmp_path):
    stream = EventStream(served.url)
    stream.wait_for("hello")
    (tmp_path / "content/alpha.md").write_text(BROKEN, encoding="utf-8")
    overlay = stream.wait_for("overlay")
    [problem] = overlay["problems"]
    assert (problem["file"], problem["code"]) == ("alpha.md", "front-matter-yaml")
    assert problem["text"].startswith("alpha.md:")
    assert "First version of alpha." in page_text(served.url, "/alpha.html")
    late = EventStream(served.url)  # a page opened (or reloaded) while broken sees the overlay at once
    assert late.wait_for("overlay") == overlay
    late.close()

    (tmp_path / "content/alpha.md").write_text("---\ntitle: Alpha\n---\nFixed version.\n", encoding="utf-8")
    stream.wait_for("reload")
    assert stream.wait_for("clear") == {}
    assert "Fixed version." in page_text(served.url, "/alpha.html")
    stream.close()
    assert served.stop() == 0
    assert "alpha.md:4" in served.output() and "front matter is not valid YAML" in served.output()


def test_create_rename_delete_and_saving_through_a_temp_file(served, tmp_path):
    content = tmp_path / "content"
    (content / "beta.md").write_text("# Beta\n\nNew page.\n", encoding="utf-8")
    wait_for(lambda: "New page." in page_text(served.url, "/beta.html"), "a created page")
    os.rename(content / "beta.md", content / "gamma.md")
    (content / "gamma.md").write_text("# Gamma\n\nRenamed page.\n", encoding="utf-8")
    wait_for(lambda: "Renamed page." in page_text(served.url, "/gamma.html"), "a renamed page")
    assert fetch(served.url, "/beta.html")[0] == 404
    temp = content / ".alpha.md.swp"  # how many editors save: write beside, then rename over
    temp.write_text("---\ntitle: Alpha\n---\nSaved via a temp file.\n", encoding="utf-8")
    os.replace(temp, content / "alpha.md")
    wait_for(lambda: "Saved via a temp file." in page_text(served.url, "/alpha.html"), "an atomic save")
    (content / "gamma.md").unlink()
    wait_for(lambda: fetch(served.url, "/gamma.html")[0] == 404, "a deleted page to go")


def test_config_and_template_changes_rebuild(tmp_path):
    write_vault(tmp_path / "content", VAULT)
    (tmp_path / "kbwiki.yaml").write_text("title: First Title\n", encoding="utf-8")
    theme = tmp_path / "templates"
    theme.mkdir()
    page_template = (ROOT / "templates/page.html").read_text(encoding="utf-8")
    (theme / "page.html").write_text(page_template, encoding="utf-8")
    server = ServeProcess(tmp_path)  # ./content, ./templates and ./kbwiki.yaml by default
    try:
        assert "First Title" in page_text(server.url, "/alpha.html")
        (tmp_path / "kbwiki.yaml").write_text("title: Second Title\n", encoding="utf-8")
        wait_for(lambda: "Second Title" in page_text(server.url, "/alpha.html"), "a config change")

        stream = EventStream(server.url)
        stream.wait_for("hello")
        (theme / "page.html").write_text("{% extends 'base.html' %}{% block content %}{% if %}{% endblock %}", encoding="utf-8")
        overlay = stream.wait_for("overlay")
        assert "TemplateSyntaxError" in overlay["failure"] and overlay["problems"] == []
        assert "Second Title" in page_text(server.url, "/alpha.html")
        (theme / "page.html").write_text(page_template.replace("{% block content %}", "{% block content %}<!-- themed -->"), encoding="utf-8")
        stream.wait_for("clear")
        assert "<!-- themed -->" in page_text(server.url, "/alpha.html")
        stream.close()
    finally:
        assert server.stop() == 0


def test_a_site_already_built_is_served_at_once_and_caught_up_in_one_line(tmp_path):
    write_vault(tmp_path / "content", VAULT)
    assert cli.main(["build", "--content", str(tmp_path / "content"), "--out", str(tmp_path / "site")]) == 0
    server = ServeProcess(tmp_path, "--content", "content", "--out", "site")
    try:
        assert "First version of alpha." in page_text(server.url, "/alpha.html")
        wait_for(lambda: "Caught up:" in server.output(), "the catch-up line")
        (tmp_path / "content/alpha.md").write_text("---\ntitle: Alpha\n---\nEdited after the catch-up.\n", encoding="utf-8")
        wait_for(lambda: "Edited after the catch-up." in page_text(server.url, "/alpha.html"), "the edit")
    finally:
        assert server.stop() == 0
    lines = server.output().splitlines()
    assert lines[0] == f"Serving the site on disk (site) at {server.url} while it catches up with the content (Ctrl-C to stop)"
    [caught_up] = [line for line in lines if "Caught up:" in line]
    assert caught_up.endswith("; the site on disk was up to date") and " 2 pages (" in caught_up


def test_ctrl_c_stops_cleanly_with_an_event_stream_open(served):
    stream = EventStream(served.url)
    stream.wait_for("hello")
    assert served.stop() == 0
    assert stream.next_event(timeout=5) is None  # the stream was ended, not left hanging
    assert "Stopped." in served.output()
    assert "Traceback" not in served.output()


def test_a_busy_port_given_with_port_is_a_one_line_error(tmp_path):
    write_vault(tmp_path / "content", VAULT)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "generator", "serve", "--port", str(port)], cwd=tmp_path,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"kbwiki: port {port} on 127.0.0.1 is in use; choose another with --port (0 = any free port)\n"
