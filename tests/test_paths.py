"""Slugs, output paths and relative URLs."""

import pytest

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
