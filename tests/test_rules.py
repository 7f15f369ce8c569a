"""wiki/rules.py: the LLM-wiki rules (stale, uncited, not-in-index, schema), each on a small vault, found and not."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.build.pipeline import analyse
from generator.config import Config, LintConfig, TypeSchema, load_config
from generator.wiki.lint import lint

INDEX = "---\nsummary: Home.\n---\n# Home\n\n[[Alpha]] [[Beta]]\n"


def _codes(content, code, config=None, today=None):
    config = config or Config(content_dir=content)
    wiki, _ = analyse(config)
    return sorted((d.src_path, d.line, d.message) for d in lint(wiki, config=config, today=today) if d.code == code)


def page(title, *links, front=""):
    return f"---\ntitle: {title}\nsummary: {title}.\n{front}---\n" + " ".join(f"[[{link}]]" for link in links) + "\n"


@pytest.mark.parametrize("alpha_updated, beta_updated, expected", [
    ("2024-01-01", "2024-03-01", [("alpha.md", 5, "updated 2024-01-01, before its source [[Beta]] (updated 2024-03-01)")]),
    ("2024-03-01", "2024-01-01", []),  # cited page older: fine
    ("2024-03-01", "2024-03-01", []),  # same day: fine
    ("", "2024-03-01", []),  # no date: never stale
], ids=["older than its source", "newer than its source", "same day", "no date"])
def test_stale_against_sources(make_vault, alpha_updated, beta_updated, expected):
    date = f"updated: {alpha_updated}\n" if alpha_updated else ""
    content = make_vault({"index.md": INDEX,
                          "alpha.md": page("Alpha", "Beta", front=f"sources: ['[[Beta]]']\n{date}"),
                          "beta.md": page("Beta", "Alpha", front=f"last_updated: {beta_updated}\n")})
    assert _codes(content, "stale") == expected


def test_stale_after_days_is_off_by_default(make_vault):
    content = make_vault({"index.md": INDEX, "alpha.md": page("Alpha", "Beta", front="updated: 2020-01-01\n"),
                          "beta.md": page("Beta", "Alpha", front="updated: 2024-06-01\n")})
    today = dt.date(2024, 7, 1)
    assert _codes(content, "stale", today=today) == []
    config = Config(content_dir=content, lint=LintConfig(stale_after_days=90))
    assert _codes(content, "stale", config, today) == [("alpha.md", 4, "not updated for 1643 days (since 2020-01-01)")]


def test_uncited_only_where_the_wiki_cites(make_vault):
    files = {"index.md": INDEX, "alpha.md": page("Alpha", "Beta", front="type: entity\n"),
             "beta.md": page("Beta", "Alpha", front="type: note\n")}
    assert _codes(make_vault(files, "plain"), "uncited") == []  # no page has sources: not the pattern
    files["gamma.md"] = page("Gamma", "Alpha", front="type: concept\nsources: [https://example.org]\n")
    content = make_vault(files, "cited")
    assert _codes(content, "uncited") == [("alpha.md", 0, "a page of type 'entity' with no `sources`")]
    config = Config(content_dir=content, lint=LintConfig(require_sources=("note",)))
    assert _codes(content, "uncited", config) == [("beta.md", 0, "a page of type 'note' with no `sources`")]


def test_not_in_index_within_depth(make_vault):
    content = make_vault({"index.md": INDEX, "alpha.md": page("Alpha", "Gamma"), "beta.md": page("Beta", "Alpha"),
                          "gamma.md": page("Gamma", "Delta"), "delta.md": page("Delta", "Gamma"),
                          "lonely.md": page("Lonely", "Alpha")})
    # index -> Alpha -> Gamma (2 links) -> Delta (3): Delta is too far; Lonely is an orphan, reported as that only
    assert _codes(content, "not-in-index") == [("delta.md", 0, "not reached from index.md within 2 links")]
    assert _codes(content, "not-in-index", Config(content_dir=content, lint=LintConfig(index_depth=3))) == []
    assert _codes(content, "not-in-index", Config(content_dir=content, lint=LintConfig(index_depth=0))) == []


def test_not_in_index_needs_an_index(make_vault):
    content = make_vault({"alpha.md": page("Alpha", "Beta"), "beta.md": page("Beta", "Gamma"),
                          "gamma.md": page("Gamma", "Delta"), "delta.md": page("Delta", "Alpha")})
    assert _codes(content, "not-in-index") == []


SCHEMA = (("entity", TypeSchema(required=("summary", "sources"), allowed=("tags",),
                                kinds=(("sources", "list"), ("updated", "date")))),)


@pytest.mark.parametrize("front, expected", [
    ("type: entity\nsummary: S.\nsources: [x]\nupdated: 2024-01-01\n", []),
    ("type: entity\nsummary: S.\n", [(1, "'sources' is required on entity pages")]),
    ("type: entity\nsummary: S.\nsources: one\n", [(5, "'sources' must be a list on entity pages, not text")]),
    ("type: entity\nsummary: S.\nsources: [x]\nupdated: soon\n", [(6, "'updated' must be a date on entity pages, not text")]),
    ("type: entity\nsummary: S.\nsources: [x]\ncolour: red\n", [(6, "'colour' is not a field of entity pages")]),
    ("type: note\ncolour: red\n", []),  # a type without a schema
], ids=["valid", "missing", "wrong kind", "not a date", "not allowed", "undeclared type"])
def test_schema(make_vault, front, expected):
    content = make_vault({"index.md": INDEX, "alpha.md": f"---\ntitle: Alpha\n{front}---\n[[index]]\n"})
    config = Config(content_dir=content, types=SCHEMA)
    assert [(line, message) for src, line, message in _codes(content, "schema", config) if src == "alpha.md"] == expected


def test_schema_read_from_kbwiki_yaml(tmp_path):
    path = tmp_path / "kbwiki.yaml"
    path.write_text("types:\n  Entity:\n    required: [summary, sources]\n    kinds: {sources: list}\n"
                    "lint:\n  ignore: dead-end, orphan\n  index_depth: 3\n", encoding="utf-8")
    config = load_config(path)
    assert config.types == (("entity", TypeSchema(("summary", "sources"), None, (("sources", "list"),))),)
    assert config.lint.ignore == ("dead-end", "orphan") and config.lint.index_depth == 3
    assert not config.lint.wants("orphan") and config.lint.wants("stale")
