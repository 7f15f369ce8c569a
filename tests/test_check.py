"""kbwiki check: what it reports (errors found by content/site/sources, warnings by lint), its formats and exit codes."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

from generator.commands.check import CheckResult, format_text
from generator.cli import main
from generator.diagnostics import error, warning
from tests.conftest import ROOT
from tests.snapshots import snapshot

CLEAN = {
    "index.md": "---\nsummary: Home.\n---\n# Home\n\nSee [[Ada Lovelace]].\n",
    "people/ada.md": "---\ntitle: Ada Lovelace\nsummary: A mathematician.\n---\nBack [[index|home]].\n",
}


def _check_json(capsys, content, *extra):
    code = main(["check", "--content", str(content), "--format", "json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _found(report):
    return {(d["file"], d["line"], d["column"], d["level"], d["code"]) for d in report["diagnostics"]}


def test_clean_wiki_exits_0(make_vault, capsys):
    code, report = _check_json(capsys, make_vault(CLEAN))
    assert code == 0
    assert report["diagnostics"] == []
    assert report["summary"] == {"pages": 2, "files": 0, "errors": 0, "warnings": 0, "by_code": {},
                                 "by_level": {"error": {}, "warning": {}}, "top_files": [], "wanted": [],
                                 "unlinked_names": [], "link_opportunities": [], "left_out_names": [],
                                 "strict": False, "ok": True}
    assert report["version"] == 1


def test_warnings_exit_0_and_strict_exits_1(make_vault, capsys):
    content = make_vault({**CLEAN, "lonely.md": "# Lonely\n\nHi there.\n"})
    code, report = _check_json(capsys, content)
    assert code == 0
    assert report["summary"]["warnings"] == 2 and report["summary"]["errors"] == 0
    assert {("lonely.md", "orphan"), ("lonely.md", "dead-end")} == {(d["file"], d["code"]) for d in report["diagnostics"]}
    code, report = _check_json(capsys, content, "--strict")
    assert code == 1 and report["summary"]["ok"] is False


ERROR_CASES = [
    ("invalid YAML with its line",
     {"a.md": "---\ntitle: A\ntags: [x, y\n---\nBody [[Ada Lovelace]].\n"},
     ("a.md", 4, 1, "error", "front-matter-yaml"), ""),
    ("front matter that is a list",
     {"a.md": "---\n- one\n- two\n---\nBody [[Ada Lovelace]].\n"},
     ("a.md", 2, 0, "error", "front-matter-not-mapping"), ""),
    ("tags that are not a list",
     {"a.md": "---\ntags: {a: 1}\n---\nBody [[Ada Lovelace]].\n"},
     ("a.md", 0, 0, "error", "field-type"), ""),
    ("a file that is not UTF-8, with the line of the bad byte",
     {"a.md": b"# A\n\nfa\xe7ade\n"},
     ("a.md", 3, 0, "error", "not-utf8"), ""),
    ("two pages claiming one URL through slug:",
     {"a.md": "---\nslug: shared\n---\n[[index]]\n", "c.md": "---\nslug: Shared\n---\n[[index]]\n"},
     ("c.md", 0, 0, "error", "duplicate-slug"), "a.md"),
]

# A wiki's ordinary untidiness: reported, but the site is right (exit 0; --strict fails).
WARNING_CASES = [
    ("broken link with file:line:column and a suggestion",
     {"a.md": "# A\n\nText and [[Ada Lovelase]] here.\n"},
     ("a.md", 3, 10, "warning", "broken-link"), 'Did you mean "Ada Lovelace"?'),
    ("two pages with one id",
     {"a.md": "---\nid: x1\n---\nBody [[index]].\n", "b.md": "---\nid: X1\n---\nBody [[index]].\n"},
     ("b.md", 0, 0, "warning", "duplicate-id"), "a.md"),
    ("two file names on one URL",
     {"Foo Bar.md": "# One\n\n[[index]]\n", "foo-bar.md": "# Two\n\n[[index]]\n"},
     ("foo-bar.md", 0, 0, "warning", "duplicate-slug"), "Foo Bar.md"),
    ("an ambiguous link",
     {"x/note.md": "# Note one\n\n[[index]]\n", "y/note.md": "# Note two\n\n[[index]]\n", "z.md": "# Z\n\nSee [[note]].\n"},
     ("z.md", 3, 5, "warning", "ambiguous-link"), "x/note.md, y/note.md"),
]


@pytest.mark.parametrize("name, files, expected, text", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_exit_1_with_location(make_vault, capsys, name, files, expected, text):
    code, report = _check_json(capsys, make_vault({**CLEAN, **files}))
    assert code == 1
    assert expected in _found(report)
    item = next(d for d in report["diagnostics"] if (d["file"], d["code"]) == (expected[0], expected[4]))
    assert text in item["message"] + " " + item["hint"]


@pytest.mark.parametrize("name, files, expected, text", WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_warnings_exit_0_with_location(make_vault, capsys, name, files, expected, text):
    code, report = _check_json(capsys, make_vault({**CLEAN, **files}))
    assert code == 0 and report["summary"]["errors"] == 0
    assert expected in _found(report)
    item = next(d for d in report["diagnostics"] if (d["file"], d["code"]) == (expected[0], expected[4]))
    assert text in item["message"] + " " + item["hint"]


@pytest.mark.parametrize("files", [
    {"a.md": "---\ntitle: Ada lovelace\n---\nBody [[index]].\n"},  # two pages with one title
    {"a.md": "---\naliases: [ADA LOVELACE]\n---\nBody [[index]].\n"},  # an alias that is another page's title
], ids=["one title", "an alias that is a title"])
def test_two_pages_with_one_name_are_not_a_problem_in_themselves(make_vault, capsys, files):
    code, report = _check_json(capsys, make_vault({**CLEAN, **files}))
    assert code == 0 and not [d for d in report["diagnostics"] if d["code"].startswith("duplicate")]


def test_text_report_is_grouped_by_file(make_vault, capsys):
    content = make_vault({**CLEAN, "b.md": "# B\n\n[[Nope]] and [[Nope either]]\n", "a.md": "---\ntags: [x\n---\n# A\n\n[[Gone]]\n"})
    assert main(["check", "--content", str(content)]) == 1
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # not a terminal: no colour
    lines = out.splitlines()
    assert lines.index("a.md") < lines.index("b.md")
    b_block = lines[lines.index("b.md") + 1:lines.index("", lines.index("b.md"))]
    assert [line.split()[:2] for line in b_block] == [["-", "warning"], ["-", "warning"], ["3:1", "warning"], ["3:14", "warning"]]
    assert "[[Nope]]" in b_block[2] and "[[Nope either]]" in b_block[3] and "[broken-link]" in b_block[2]
    assert lines[-1].startswith("4 pages checked: 1 error,") and lines[-1].endswith("failed")


def test_text_colour_only_on_a_terminal_without_no_color(make_vault):
    content = make_vault({**CLEAN, "a.md": "---\ntags: [x\n---\n# A\n\n[[Gone]]\n"})
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}

    def run_on_tty(extra_env):
        leader, follower = pty.openpty()
        proc = subprocess.run([sys.executable, "-m", "generator", "check", "--content", str(content)],
                              stdout=follower, stderr=subprocess.PIPE, cwd=ROOT, env={**env, **extra_env})
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the pty is closed once everything is read
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        return proc.returncode, b"".join(chunks).decode()

    code, out = run_on_tty({})
    assert code == 1 and "\x1b[31merror" in out
    code, out = run_on_tty({"NO_COLOR": "1"})
    assert code == 1 and "\x1b[" not in out and "error" in out


def test_format_text_colours_levels():
    result = CheckResult(1, [error("a.md", "broken-link", "link [[X]] -> no page.", 2, 3), warning("a.md", "orphan", "lonely")])
    out = format_text(result, colour=True)
    assert "\x1b[1ma.md\x1b[0m" in out and "\x1b[31merror" in out and "\x1b[33mwarning" in out


def test_usage_errors_exit_2_from_argparse(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--format", "xml"])
    assert exc.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_missing_content_folder_exits_2(capsys, tmp_path):
    assert main(["check", "--content", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_check_writes_nothing_but_its_cache_folder(make_vault, capsys, tmp_path, monkeypatch):
    content = make_vault({**CLEAN, "a.md": "# A\n\n[[Gone]]\n", "bad.md": b"\xff\xfe"})
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    main(["check", "--content", str(content), "--no-cache"])
    assert snapshot(tmp_path) == before  # without a cache: nothing at all
    uncached = capsys.readouterr().out
    main(["check", "--content", str(content)])
    first = capsys.readouterr().out
    assert first == uncached
    cached = snapshot(tmp_path)
    assert {path for path in cached if not path.startswith(".kbwiki-cache")} == set(before)
    assert {k: v for k, v in cached.items() if not k.startswith(".kbwiki-cache")} == before
    assert (tmp_path / ".kbwiki-cache" / "parse.sqlite").is_file()  # the cache a build beside ./site uses
    main(["check", "--content", str(content)])  # warm: the same report from the cache
    assert capsys.readouterr().out == first
    main(["check", "--content", str(content), "--format", "json", "--cache-dir", str(tmp_path / "elsewhere")])
    assert {k: v for k, v in snapshot(tmp_path).items() if not k.startswith(("elsewhere", ".kbwiki-cache"))} == before


def test_json_report_on_a_real_vault_is_consistent(capsys):
    """The Obsidian Help vault: the summary counts agree with the diagnostics list."""
    from tests.conftest import CORPORA, require_corpus
    vault = require_corpus(CORPORA / "obsidian-help-en")
    code, report = _check_json(capsys, vault)
    summary = report["summary"]
    assert summary["errors"] + summary["warnings"] == len(report["diagnostics"]) == sum(summary["by_code"].values())
    assert code == (1 if summary["errors"] else 0)
    assert report["diagnostics"] == sorted(report["diagnostics"], key=lambda d: (d["file"], d["line"], d["column"], d["code"], d["message"]))


UNTIDY = {**CLEAN, "b.md": "# B\n\n[[Nope]] and [[Gone]]\n", "c.md": "# C\n\n[[Gone]]\n"}


@pytest.mark.parametrize("options, codes", [
    ([], {"broken-link", "orphan"}),
    (["--select", "orphan"], {"orphan"}),
    (["--ignore", "orphan"], {"broken-link"}),
    (["--select", "orphan,broken-link", "--ignore", "orphan"], {"broken-link"}),
], ids=["all", "select", "ignore", "select then ignore"])
def test_select_and_ignore(make_vault, capsys, options, codes):
    code, report = _check_json(capsys, make_vault(UNTIDY), "--no-cache", *options)
    assert {d["code"] for d in report["diagnostics"]} - {"dead-end"} == codes
    assert set(report["summary"]["by_code"]) - {"dead-end"} == codes


def test_lint_section_of_kbwiki_yaml_and_the_command_line_replacing_it(make_vault, capsys, tmp_path):
    content = make_vault(UNTIDY)
    config = tmp_path / "kbwiki.yaml"
    config.write_text("lint:\n  ignore: [broken-link, dead-end]\n", encoding="utf-8")
    _, report = _check_json(capsys, content, "--no-cache", "--config", str(config))
    assert {d["code"] for d in report["diagnostics"]} == {"orphan"}
    _, report = _check_json(capsys, content, "--no-cache", "--config", str(config), "--ignore", "orphan")
    assert {d["code"] for d in report["diagnostics"]} == {"broken-link", "dead-end"}


@pytest.mark.parametrize("options, yaml_text, message", [
    (["--select", "orphan,nope"], "", "--select: unknown code nope"),
    ([], "lint:\n  ignore: [nope]\n", "'lint.ignore': unknown code nope"),
    ([], "lint:\n  per_code: -1\n", "'lint.per_code' must be a whole number"),
    ([], "lint:\n  mention_max_share: 2\n", "'lint.mention_max_share' must be a number"),
    ([], "lint:\n  colour: red\n", "unknown setting 'lint.colour'"),
    ([], "types:\n  entity:\n    kinds: {sources: sequence}\n", "'types.entity.kinds' must map"),
], ids=["unknown code on the command line", "unknown code in config", "negative", "share over 1", "unknown setting",
        "unknown kind"])
def test_bad_lint_settings_exit_2(make_vault, capsys, tmp_path, options, yaml_text, message):
    config = tmp_path / "kbwiki.yaml"
    config.write_text(yaml_text or "title: x\n", encoding="utf-8")
    assert main(["check", "--content", str(make_vault(CLEAN)), "--config", str(config), *options]) == 2
    assert message in capsys.readouterr().err


def _generated_wiki() -> dict[str, str]:
    """40 pages: everyone mentions Marcus without a link, 12 pages link [[Wanted One]], 3 [[Wanted Two]],
    and 8 name Lovelace."""
    files = {"index.md": "---\nsummary: Home.\n---\n# Home\n\n" + " ".join(f"[[Log {i}]]" for i in range(40)) + "\n",
             "marcus.md": "# Marcus\n\n[[index]]\n", "ada.md": "# Lovelace\n\n[[index]]\n"}
    for i in range(40):
        links = "[[Wanted One]]" if i < 12 else "[[Wanted Two]]" if i < 15 else "[[index]]"
        files[f"logs/log-{i}.md"] = (f"---\ntitle: Log {i}\nsummary: Day {i}.\n---\nMarcus fought. {links}"
                                     + (" Lovelace watched.\n" if i % 5 == 0 else "\n"))
    return files


def test_summary_on_a_generated_wiki(make_vault, capsys):
    content = make_vault(_generated_wiki())
    code, report = _check_json(capsys, content, "--no-cache")
    summary = report["summary"]
    assert code == 0
    assert summary["wanted"] == [{"target": "Wanted One", "pages": 12}, {"target": "Wanted Two", "pages": 3}]
    assert summary["left_out_names"] == [{"name": "marcus", "pages": 40}]  # 40 of 43 pages: over 2% and 10
    assert summary["unlinked_names"] == [{"name": "lovelace", "pages": 8, "page": "ada.md"}]  # under 10 pages
    assert summary["link_opportunities"] == [{"file": "ada.md", "title": "Lovelace", "pages": 8}]
    assert summary["by_level"]["warning"]["unlinked-mention"] == 8 and not [d for d in report["diagnostics"] if "Marcus" in d["message"]]
    assert summary["top_files"][0] == {"file": "logs/log-0.md", "count": 3,  # then by path
                                       "by_code": {"broken-link": 1, "dead-end": 1, "unlinked-mention": 1}}
    assert main(["check", "--content", str(content), "--no-cache"]) == 0
    text = capsys.readouterr().out
    head = text[:text.index("Findings by file")]
    assert head.startswith("Summary: 43 pages checked: 0 errors, 40 warnings in 22 files; ok\n  by code:\n")
    assert "    warning  unlinked-mention                  8\n" in head
    assert "          12  Wanted One\n" in head and '           8  "lovelace" -> Lovelace (ada.md)\n' in head
    assert '"marcus" (40)' in head


def test_text_report_shows_at_most_per_code_unless_verbose(make_vault, capsys):
    content = make_vault(_generated_wiki())
    main(["check", "--content", str(content), "--no-cache"])
    text = capsys.readouterr().out
    findings = text[text.index("Findings by file"):]
    assert findings.count("[unlinked-mention]") == 8 and findings.count("[broken-link]") == 10
    assert findings.count("[dead-end]") == 10 and "… and 10 more not shown: broken-link 5, dead-end 5 (" in findings
    main(["check", "--content", str(content), "--no-cache", "--verbose"])
    text = capsys.readouterr().out
    assert text.count("[unlinked-mention]") == 8 and text.count("[broken-link]") == 15 and "more not shown" not in text


def test_every_code_is_documented():
    from generator.diagnostics import CODES
    import re
    documented = set(re.findall(r"^\| `([a-z][a-z0-9-]*)` \| (?:warning|error)", (ROOT / "docs" / "check.md").read_text(), re.M))
    assert documented == CODES


STATE_VAULT = {
    **CLEAN,
    "a.md": "---\ntitle: Alpha\n---\n# Alpha\n\n[[Gone]] and [[Ada Lovelac]]. Ada Lovelace is named here.\n\n## Part\n\nText.\n",
    "b.md": "---\ntitle: Beta\n---\nNo links. Alpha is named.\n",
}


@pytest.mark.parametrize("options", [[], ["--select", "broken-link,unlinked-mention"], ["--ignore", "orphan"]])
def test_check_after_a_build_answers_from_its_state_as_a_fresh_check_does(make_vault, capsys, tmp_path, monkeypatch, options):
    from generator.build import session
    content = make_vault(STATE_VAULT)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--content", str(content)]) == 0
    capsys.readouterr()
    asked = []
    real = session.check_from_state
    monkeypatch.setattr("generator.commands.check.check_from_state",
                        lambda config, cache: asked.append(found := real(config, cache)) or found)
    for edit in ("", "\nMore text. Beta is named too.\n"):  # nothing changed since the build; then a body edit
        page = content / "a.md"
        page.write_text(page.read_text() + edit)
        warm = _check_json(capsys, content, *options)
        assert asked[-1] is not None  # answered from the build's state
        assert warm == _check_json(capsys, content, "--no-cache", *options)


def test_check_asks_for_a_fresh_analysis_when_the_state_cannot_answer(make_vault, capsys, tmp_path, monkeypatch):
    content = make_vault(STATE_VAULT)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kbwiki.yaml").write_text("lint:\n  ignore: [orphan]\n")
    assert main(["build", "--content", str(content)]) == 0
    capsys.readouterr()
    from generator.build.session import check_from_state
    from generator.config import load_config
    config = load_config(content_dir=content)
    assert check_from_state(config, tmp_path / ".kbwiki-cache") is not None
    wider = load_config(content_dir=content).__class__(content_dir=content)  # no `lint:`: asks for orphans too
    assert check_from_state(wider, tmp_path / ".kbwiki-cache") is None
    (content / "a.md").write_text((content / "a.md").read_text().replace("[[Gone]]", "[[Beta]]"))  # a new link
    assert check_from_state(config, tmp_path / ".kbwiki-cache") is None
    (content / "c.md").write_text("# New page\n")
    assert check_from_state(config, tmp_path / ".kbwiki-cache") is None
    code, report = _check_json(capsys, content)
    assert any(d["file"] == "c.md" for d in report["diagnostics"])  # the fresh analysis sees the new page


def test_a_build_after_a_check_of_an_edit_still_renders_that_page_alone(make_vault, capsys, tmp_path, monkeypatch):
    import pickle
    from generator.build.fingerprint import stats_path
    from generator.build.session import run_build
    from generator.config import Config
    from generator.parse.sources import RACY_NS
    content = make_vault(STATE_VAULT)
    monkeypatch.chdir(tmp_path)
    config = Config(content_dir=content, out_dir=tmp_path / "site")
    run_build(config)
    page = content / "a.md"
    page.write_text(page.read_text() + "\nMore text.\n")
    _check_json(capsys, content)  # reads the edited page and records its stat
    path = stats_path(tmp_path / ".kbwiki-cache", content)
    schema, recorded_ns, table = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps((schema, recorded_ns + 10 * RACY_NS, table)))  # trusted: the build will not read it
    result = run_build(config)
    assert (result.parsed, result.rendered) == (1, 1)
    assert "More text." in (tmp_path / "site" / "a.html").read_text()
