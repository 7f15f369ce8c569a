"""What the watcher counts as a change: content and theme files, the config file; never output or temp files."""

from __future__ import annotations


import pytest

from generator.serve.watch import WatchTargets, is_relevant, is_temp_name


@pytest.fixture
def targets(tmp_path):
    for folder in ("content/people", "theme", "site", "theme/sub"):
        (tmp_path / folder).mkdir(parents=True)
    return WatchTargets.make([tmp_path / "content", tmp_path / "theme", tmp_path / "theme/sub", tmp_path / "gone"],
                             tmp_path / "kbwiki.yaml", tmp_path / "site")


def test_targets_are_absolute_existing_and_not_nested(tmp_path, targets):
    assert targets.folders == ((tmp_path / "content").resolve(), (tmp_path / "theme").resolve())


@pytest.mark.parametrize("rel, relevant", [
    ("content/a.md", True), ("content/people/ada.md", True), ("content/people", True), ("content/new folder", True),
    ("theme/page.html", True), ("theme/assets/logo.png", True), ("theme/sub/x.html", True), ("kbwiki.yaml", True),
    ("content/.a.md.swp", False), ("content/a.md~", False), ("content/#a.md#", False), ("content/.#a.md", False),
    ("content/4913", False), ("content/a.md.tmp", False), ("content/.obsidian/workspace.json", False),
    ("content/.git/index", False), ("theme/.DS_Store", False), ("site/index.html", False), ("site", False),
    ("other.yaml", False), (".site.kbwiki-new-1/a.html", False), ("elsewhere/a.md", False),
])
def test_is_relevant(tmp_path, targets, rel, relevant):
    assert is_relevant(tmp_path / rel, targets) is relevant


def test_an_output_folder_reached_through_a_symlink_is_ignored(tmp_path, targets):
    (tmp_path / "content/people/site-link").symlink_to(tmp_path / "site", target_is_directory=True)
    assert not is_relevant(tmp_path / "content/people/site-link/index.html", targets)


@pytest.mark.parametrize("name", [".a.md.swp", "a.md.swx", "a.md~", "#a.md#", "a.md.part", "A.MD.TMP", "x.kate-swp"])
def test_temp_names(name):
    assert is_temp_name(name)


@pytest.mark.parametrize("name", ["a.md", "notes", "temple.md", "swp.md"])
def test_not_temp_names(name):
    assert not is_temp_name(name)
