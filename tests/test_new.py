"""kbwiki new: the page from its archetype, the type folder, never overwriting, candidates to link."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from generator.cli import main
from generator.paths import plural, singular
from tests.snapshots import snapshot

WIKI = {
    "index.md": "# Home\n\nSee [[Ada Lovelace]] and [[Difference Engine]].\n",
    "people/ada.md": "---\ntitle: Ada Lovelace\naliases: [The Countess]\n---\nShe met Charles Babbage in 1833.\n",
    "notes/history.md": "# History\n\nThe analytical engine came after the difference engine. `Difference Engine` in code.\n",
    "concepts/logic.md": "# Logic\n\nNo mention here.\n",
}


def _new(capsys, content, *argv):
    code = main(["new", *argv, "--content", str(content)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _front(text):
    return yaml.safe_load(text.split("---\n")[1])


@pytest.mark.parametrize("word", ["entity", "concept", "synthesis", "class", "box", "source", "day", "page"])
def test_plural_is_the_inverse_of_singular(word):
    assert singular(plural(word)) == word


def test_new_concept_goes_to_the_existing_concepts_folder(make_vault, capsys):
    content = make_vault(WIKI)
    code, out, err = _new(capsys, content, "concept", "Difference Engine", "--link", "Ada Lovelace", "--link", 'Say "hi": yes')
    assert code == 0
    path = content / "concepts" / "difference-engine.md"
    assert out.strip() == str(path)
    text = path.read_text(encoding="utf-8")
    assert _front(text) == {"title": "Difference Engine", "type": "concept", "created": dt.date.today(),
                            "summary": "", "tags": [], "links": ["[[Ada Lovelace]]", '[[Say "hi": yes]]']}
    assert "## Definition" in text  # the concept archetype's sections
    assert "index.md" in err.split("already link to it:")[1]  # its red link now resolves
    assert "notes/history.md" in err.split("candidates to link")[1]


def test_new_entity_makes_the_plural_folder(make_vault, capsys):
    content = make_vault(WIKI)
    code, out, _ = _new(capsys, content, "entity", "Charles Babbage")
    assert code == 0 and out.strip() == str(content / "entities" / "charles-babbage.md")
    text = (content / "entities" / "charles-babbage.md").read_text(encoding="utf-8")
    assert _front(text)["links"] == [] and "## Key facts" in text


def test_existing_type_uses_its_folder_and_default_archetype(make_vault, capsys):
    content = make_vault(WIKI)
    code, out, err = _new(capsys, content, "note", "Charles Babbage")
    assert code == 0 and out.strip() == str(content / "notes" / "charles-babbage.md")  # notes -> note
    assert "people/ada.md" in err  # "Charles Babbage" is named in ada.md
    text = (content / "notes" / "charles-babbage.md").read_text(encoding="utf-8")
    assert _front(text)["type"] == "note" and "## Notes" in text


@pytest.mark.parametrize("title, names", [
    ("Ada Lovelace", "people/ada.md (same title)"),
    ("ada  LOVELACE", "people/ada.md (same title)"),
    ("The Countess", "people/ada.md (same alias)"),
    ("Logic", "concepts/logic.md (same stem)"),  # a file name comes before titles (Obsidian)
    ("Ada-Lovelace", "people/ada.md (same slug)"),
])
def test_never_overwrites_or_shadows(make_vault, capsys, title, names):
    content = make_vault(WIKI)
    before = snapshot(content)
    code, out, err = _new(capsys, content, "concept", title)
    assert code == 1 and out == ""
    assert names in err and err.count("\n") == 1 and "Traceback" not in err
    assert snapshot(content) == before


def test_an_unreadable_or_skipped_file_at_the_path_is_not_replaced(make_vault, capsys):
    content = make_vault({**WIKI, "concepts/new-idea.md": b"\x00\x01binary"})
    before = snapshot(content)
    code, _, err = _new(capsys, content, "concept", "New Idea")
    assert code == 1 and "concepts/new-idea.md already exists" in err
    assert snapshot(content) == before


def test_unknown_type_lists_known_types(make_vault, capsys):
    content = make_vault(WIKI)
    before = snapshot(content)
    code, _, err = _new(capsys, content, "widget", "Sprocket")
    assert code == 1
    assert "unknown page type 'widget'; known types: concept, entity, note, page, people" in err
    assert snapshot(content) == before


def test_user_archetype_overrides_the_default(make_vault, capsys, tmp_path):
    content = make_vault(WIKI)
    theme = tmp_path / "theme" / "archetypes"
    theme.mkdir(parents=True)
    (theme / "concept.md").write_text('---\ntitle: {{ title | yaml }}\nstatus: draft\n---\nAbout {{ title }} & <b>.\n', encoding="utf-8")
    (theme / "recipe.md").write_text('---\ntitle: {{ title | yaml }}\ntype: recipe\n---\n## Ingredients\n', encoding="utf-8")
    code, _, _ = _new(capsys, content, "concept", "A & B", "--templates", str(tmp_path / "theme"))
    assert code == 0
    assert (content / "concepts" / "a-b.md").read_text(encoding="utf-8").endswith("About A & B & <b>.\n")  # no escaping
    code, out, _ = _new(capsys, content, "recipe", "Soup", "--templates", str(tmp_path / "theme"))
    assert code == 0 and out.strip() == str(content / "recipes" / "soup.md")


def test_broken_user_archetype_is_refused(make_vault, capsys, tmp_path):
    content = make_vault(WIKI)
    theme = tmp_path / "theme" / "archetypes"
    theme.mkdir(parents=True)
    (theme / "concept.md").write_text("---\ntitle: {{ title }}\n  bad: [\n---\n", encoding="utf-8")
    before = snapshot(content)
    code, _, err = _new(capsys, content, "concept", "Fresh", "--templates", str(tmp_path / "theme"))
    assert code == 1 and "concept.md" in err and "not valid" in err
    assert snapshot(content) == before


@pytest.mark.parametrize("title", ["", "   ", "???"])
def test_titles_without_a_file_name_are_refused(make_vault, capsys, title):
    content = make_vault(WIKI)
    code, _, err = _new(capsys, content, "concept", title)
    assert code == 1 and err.startswith("kbwiki: ")


def test_missing_content_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["new", "concept", "X", "--content", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


def test_new_page_builds_and_check_finds_it(make_vault, capsys):
    content = make_vault(WIKI)
    _new(capsys, content, "concept", "Difference Engine", "--link", "Ada Lovelace")
    assert main(["check", "--content", str(content), "--format", "json"]) == 0  # warnings only: no summary yet
    report = capsys.readouterr().out
    assert '"file": "concepts/difference-engine.md"' in report and '"broken-link"' not in report
