"""Slugs, output paths and relative URLs."""

import pytest

from generator import paths
from generator.paths import relative_url, root_prefix, singular, slugify, wanted_anchor


@pytest.mark.parametrize("text, slug", [
    ("Interaction / Background Model Split", "interaction-background-model-split"),
    ("Claude Opus 4.7", "claude-opus-4-7"),
    ("Time-Aligned Micro-Turns", "time-aligned-micro-turns"),
    ("  Leading and trailing  ", "leading-and-trailing"),
    ("snake_case_name", "snake-case-name"),
    ("What's new?", "whats-new"),
    ("Café Crème", "café-crème"),
    ("日本語のページ", "日本語のページ"),
    ("ＦＵＬＬ width", "full-width"),
    ("--", ""),
])
def test_slugify(text, slug):
    assert slugify(text) == slug


@pytest.mark.parametrize("text", ["A / B", "x", "Ünïcødé Title", "a--b__c"])
def test_slugify_is_idempotent(text):
    assert slugify(slugify(text)) == slugify(text)


@pytest.mark.parametrize("src, dst, fragment, url", [
    ("a.html", "b.html", "", "b.html"),
    ("a.html", "tags/x.html", "", "tags/x.html"),
    ("tags/x.html", "a.html", "", "../a.html"),
    ("tags/x.html", "types/y.html", "", "../types/y.html"),
    ("a.html", "a.html", "h", "a.html#h"),
    ("a.html", "my page.html", "", "my%20page.html"),
    ("special/wanted.html", "b.html", "what is", "../b.html#what%20is"),
])
def test_relative_url(src, dst, fragment, url):
    assert relative_url(src, dst, fragment) == url


def test_root_prefix():
    assert root_prefix("index.html") == ""
    assert root_prefix("tags/a.html") == "../"


@pytest.mark.parametrize("folder, name", [
    ("concepts", "concept"), ("entities", "entity"), ("syntheses", "synthesis"), ("analyses", "analysis"),
    ("people", "people"), ("classes", "class"), ("glass", "glass"), ("Notes", "note"),
])
def test_singular(folder, name):
    assert singular(folder) == name


def test_wanted_anchor():
    assert wanted_anchor("Claude Opus 4.6") == "wanted-claude-opus-4-6"


@pytest.mark.parametrize("src, dst", [
    ("a.html", "x/y/z.html"), ("x/y/z.html", "a.html"), ("x/y/z.html", "x/q.html"), ("x/y/z.html", "x/y/w.html"),
    ("x/a.html", "x/b/c.html"), ("x/b/c.html", "x/b/c.html"), ("types/a.html", "typesx/b.html"),
])
def test_relative_url_matches_posix_relpath(src, dst):
    import posixpath
    assert relative_url(src, dst) == posixpath.relpath(dst, posixpath.dirname(src) or ".")


@pytest.mark.parametrize("src, slug", [
    ("concepts/ConstitutionalAI.md", "concepts/constitutionalai"),
    ("concepts/Constitutional AI.md", "concepts/constitutional-ai"),
    ("index.md", "index"),
    ("notes/index.md", "notes/index"),
    ("Deep/Sub Folder/Note.MD", "deep/sub-folder/note"),
    ("日本語/ノート.md", "日本語/ノート"),
    ("!!!.md", "page"),
])
def test_path_slug(src, slug):
    assert paths.path_slug(src) == slug


@pytest.mark.parametrize("wanted, slug", [("/Brand New/", "brand-new"), ("docs/Get Started", "docs/get-started"), ("", "")])
def test_url_slug(wanted, slug):
    assert paths.url_slug(wanted) == slug


@pytest.mark.parametrize("name", ["a" * 300, "é" * 120, "日本語" * 40, "x-" * 80])
def test_fit_segment_cuts_long_names_at_a_character_with_a_stable_hash(name):
    fitted = paths.fit_segment(name)
    assert len(fitted.encode("utf-8")) <= paths.MAX_SEGMENT_BYTES
    assert fitted == paths.fit_segment(name) and fitted != paths.fit_segment(name + "z")
    assert name.startswith(fitted.rsplit("-", 1)[0])  # a prefix of the name, cut between characters
    assert paths.fit_segment("short") == "short"


def test_every_page_file_name_fits_with_its_extension():
    title = "pr-887-agent-task-" + "find-and-fix-one-inline-import-in-the-codebase-" * 6
    out = paths.page_out_path(paths.path_slug(f"sources/{title}.md"))
    assert all(len(part.encode("utf-8")) <= paths.MAX_SEGMENT_BYTES for part in out.split("/"))
    assert out.startswith("sources/pr-887-agent-task-") and out.endswith(".html")
    picture = paths.attachment_out_path("media/" + "p" * 200 + ".png")
    assert picture.endswith(".png") and len(picture.split("/")[-1].encode()) <= paths.MAX_SEGMENT_BYTES
