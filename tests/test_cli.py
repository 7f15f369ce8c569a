"""The command line: defaults, options, exit codes, messages."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from generator.cli import main
from tests.conftest import DEMO, ROOT


def test_build_defaults_to_content_and_site_in_the_current_folder(tmp_path, monkeypatch, capsys):
    shutil.copytree(DEMO, tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 0
    assert (tmp_path / "site" / "entities" / "thinking-machines-interaction-model.html").is_file()
    assert "Built 11 pages" in capsys.readouterr().out


def test_build_options_and_config_file(make_vault, tmp_path, capsys):
    content = make_vault({"a.md": "---\ntitle: A\nkind: person\n---\ntext"})
    config = tmp_path / "kbwiki.yaml"
    config.write_text("title: My Wiki\ntype_keys: [kind]\nrelated_count: 3\n")
    out = tmp_path / "public"
    assert main(["build", "--content", str(content), "--out", str(out), "--config", str(config), "--base-url", "https://x.org/w/"]) == 0
    html = (out / "a.html").read_text()
    assert "· My Wiki</title>" in html and "type-person" in html


@pytest.mark.parametrize("text, message", [
    ("title: [unclosed", "kbwiki.yaml:1: config file is not valid YAML"),
    ("- a list", "config file must be a mapping"),
    ("related_count: many", "'related_count' must be a whole number"),
])
def test_bad_config_file_is_one_clear_line(make_vault, tmp_path, capsys, text, message):
    content = make_vault({"a.md": "x"})
    config = tmp_path / "kbwiki.yaml"
    config.write_text(text)
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "o"), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_content_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["build", "--content", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_diagnostics_are_printed_and_strict_fails(make_vault, tmp_path, capsys):
    content = make_vault({"a.md": "# A\n\n[[Missing One]]"})
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "0 errors, 3 warnings" in err and "a.md:3:1: warning: link [[Missing One]] -> no page." in err
    assert "a.md: warning: no other page links here" in err  # lint warnings are reported by build too
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "o2"), "--strict"]) == 1
    assert not (tmp_path / "o2").exists()


def test_output_inside_content_is_refused(make_vault, capsys):
    content = make_vault({"a.md": "x"})
    assert main(["build", "--content", str(content), "--out", str(content / "site")]) == 2
    assert "refusing" in capsys.readouterr().err
    assert not (content / "site").exists()


def test_python_dash_m_generator(tmp_path):
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(DEMO), "--out", str(tmp_path / "s")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "s" / "index.html").is_file()


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "build" in capsys.readouterr().out


def test_wheel_ships_the_default_theme(tmp_path):
    pytest.importorskip("hatchling")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
                            capture_output=True, text=True, env={**os.environ, "PIP_NO_INPUT": "1"})
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("kbwiki-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "generator/theme/page.html" in names and "generator/theme/assets/style.css" in names
    assert "generator/cli.py" in names


def test_the_graph_command_offers_every_export_format():
    from generator import cli
    from generator.commands import graph_export
    assert cli.GRAPH_FORMATS == tuple(graph_export.FORMATS)


def test_a_no_change_build_does_not_load_the_engine(tmp_path):
    import subprocess
    import sys
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("# A\n\nText.\n")
    out = tmp_path / "site"
    build = [sys.executable, "-m", "generator", "build", "--content", str(content), "--out", str(out)]
    assert subprocess.run(build, capture_output=True).returncode == 0
    probe = ("import sys\nfrom generator.cli import main\nmain(" + repr(build[3:]) + ")\n"
             "print(sorted(m for m in ('markdown', 'jinja2', 'networkx') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "Nothing changed" in done.stdout and done.stdout.strip().endswith("[]")
