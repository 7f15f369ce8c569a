"""Bad input: each case gives a clear one-line message naming the file (and line), never a traceback;
the rest of the wiki is built; nothing under the content folder is written (by build or check)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from generator.cli import main
from tests.conftest import ROOT
from tests.snapshots import snapshot

GOOD = {
    "index.md": "---\nsummary: The home page.\n---\n# Home\n\nStart at [[Good Page]].\n",
    "good.md": "---\ntitle: Good Page\nsummary: Fine.\n---\nBack [[index|home]].\n",
}


def run(capsys, content, out, check=True):
    """`kbwiki build --verbose` then `kbwiki check`; the content folder is compared before and after."""
    before = snapshot(content)
    code = main(["build", "--content", str(content), "--out", str(out), "--verbose"])
    build_err = capsys.readouterr().err
    check_code, check_out = (main(["check", "--content", str(content)]), capsys.readouterr().out) if check else (None, "")
    assert snapshot(content) == before, "the content folder was written"
    assert "Traceback" not in build_err + check_out
    assert code == 0  # problems are reported, the build goes on
    assert (out / "good.html").is_file() and (out / "index.html").is_file()  # the rest of the wiki is built
    return build_err, check_out, check_code


def line_for(text, src_path):
    """The one diagnostic line that names `src_path` (there must be exactly one error for it)."""
    found = [line.strip() for line in text.splitlines() if line.strip().startswith(src_path) and ": error: " in line]
    assert len(found) == 1, text
    return found[0]


@pytest.mark.parametrize("name, data, expected", [
    ("invalid YAML", "---\ntitle: Bad\ntags: [a, b\n---\nBody.\n",
     "bad.md:4:1: error: front matter is not valid YAML:"),
    ("YAML with a tab", "---\ntitle: Bad\n\tsummary: x\n---\nBody.\n",
     "bad.md:3:1: error: front matter is not valid YAML:"),
    ("front matter is a list", "---\n- a\n- b\n---\nBody.\n",
     "bad.md:2: error: front matter is a list, not a mapping"),
    ("front matter is a scalar", "---\njust text\n---\nBody.\n",
     "bad.md:2: error: front matter is a str, not a mapping"),
    ("unclosed fence", "---\ntitle: Bad\n\nBody with no closing fence.\n",
     "bad.md:1: error: front matter is not closed"),
    ("non-UTF-8 bytes", b"# Bad\n\nLatin-1 caf\xe9 here.\n",
     "bad.md:3: error: file is not UTF-8 (byte 0xe9 at offset 18); skipped"),
    ("binary file named .md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
     "bad.md: error: file is binary, not Markdown text; skipped"),
])
def test_bad_file_is_one_clear_line(make_vault, capsys, tmp_path, name, data, expected):
    content = make_vault({**GOOD, "bad.md": data})
    build_err, check_out, check_code = run(capsys, content, tmp_path / "site")
    assert line_for(build_err, "bad.md").startswith(expected)
    assert check_code == 1
    assert "bad.md" in check_out.splitlines()  # check groups it under the file


def test_bom_and_crlf_are_accepted_silently(make_vault, capsys, tmp_path):
    text = "---\r\ntitle: Windows Page\r\nsummary: Saved on Windows.\r\n---\r\nLinks [[Good Page]] and [[index]].\r\n"
    content = make_vault({**GOOD, "win.md": b"\xef\xbb\xbf" + text.encode("utf-8"),
                          "index.md": GOOD["index.md"] + "And [[Windows Page]].\n"})
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert build_err == "" and check_code == 0
    html = (tmp_path / "site" / "win.html").read_text(encoding="utf-8")
    assert "<title>Windows Page" in html and "\ufeff" not in html and "\r" not in html


def test_empty_file_builds_as_an_empty_page(make_vault, capsys, tmp_path):
    content = make_vault({**GOOD, "empty.md": ""})
    build_err, check_out, check_code = run(capsys, content, tmp_path / "site")
    assert (tmp_path / "site" / "empty.html").is_file()
    assert ": error: " not in build_err and check_code == 0
    assert "empty.md: warning: page has no summary" in build_err


def test_ten_megabyte_page_is_shown_as_text_and_the_rest_builds(make_vault, capsys, tmp_path):
    """A page past the size bound (parse/limits.MAX_PAGE_BYTES) never reaches Python-Markdown: its source is shown
    as escaped text under a notice, with a warning naming the file; every other page builds as usual."""
    paragraph = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
                 "ut labore et dolore magna aliqua. <b>bold</b> ") * 8 + "\n\n"
    parts, size, i = ["# Huge\n\nSee [[Good Page]].\n\n"], 0, 0
    while size < 10 * 1024 * 1024:
        chunk = (f"## Part {i}\n\nBack to [[Good Page]] and [[Nowhere {i}]].\n\n" if i % 500 == 0 else "") + paragraph
        parts.append(chunk)
        size += len(chunk)
        i += 1
    content = make_vault({**GOOD, "huge.md": "".join(parts)})
    build_err, _, _ = run(capsys, content, tmp_path / "site", check=False)  # check reads it the same way; once is enough
    html = (tmp_path / "site" / "huge.html").read_text(encoding="utf-8")
    assert len(html) > 10 * 1024 * 1024 and 'id="part-' not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "This page is shown as its source text" in html
    assert "huge.md: warning: page is 10.0 MB, over the 2 MB a page may have to be rendered; shown as text" in build_err
    assert (tmp_path / "site" / "good.html").is_file()


def test_page_linking_to_itself(make_vault, capsys, tmp_path):
    content = make_vault({**GOOD, "self.md": "# Narcissus\n\nSee [[Narcissus]] and [[#Top]] and [self](self.md).\n",
                          "index.md": GOOD["index.md"] + "And [[Narcissus]].\n"})
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert ": error: " not in build_err and check_code == 0
    html = (tmp_path / "site" / "self.html").read_text(encoding="utf-8")
    assert html.count('href="self.html"') == 2
    assert "self.md: warning: links to no other page" in build_err  # a self-link leads nowhere else


def test_link_cycles(make_vault, capsys, tmp_path):
    cycle = {f"{n}.md": f"# {n.upper()}\n\nNext: [[{m.upper()}]].\n" for n, m in [("a", "b"), ("b", "c"), ("c", "a")]}
    content = make_vault({**GOOD, **cycle, "index.md": GOOD["index.md"] + "Also [[A]] and [[C]].\n"})  # within lint.index_depth
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert build_err == "" and check_code == 0
    for page, back in [("a", "C"), ("b", "A"), ("c", "B")]:
        html = (tmp_path / "site" / f"{page}.html").read_text(encoding="utf-8")
        backlinks = html.split('id="backlinks"')[1]
        assert f">{back}</a>" in backlinks


def test_titles_differing_only_in_case(make_vault, capsys, tmp_path):
    """Two pages may share a title (Obsidian allows it): each keeps the URL of its path, nothing is reported."""
    content = make_vault({**GOOD, "apple.md": "# Apple\n\nA fruit. [[index]]\n", "x/apple2.md": "# APPLE\n\nA company. [[index]]\n"})
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert "also used" not in build_err and "duplicate" not in build_err and ": error: " not in build_err
    assert (tmp_path / "site" / "apple.html").is_file() and (tmp_path / "site" / "x" / "apple2.html").is_file()
    assert check_code == 0


def test_file_names_differing_only_in_case_are_a_url_clash(make_vault, capsys, tmp_path):
    """`Apple.md` and `apple.md` would be one file on a case-insensitive disk: a warning naming both, the later
    (by path) suffixed, both pages written."""
    content = make_vault({**GOOD, "Apple.md": "# Big Apple\n\n[[index]]\n", "apple.md": "# Apple\n\n[[index]]\n"})
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert "apple.md: warning: URL 'apple.html' is already taken by page Apple.md; this page is written as apple-2.html" in build_err
    assert (tmp_path / "site" / "apple.html").is_file() and (tmp_path / "site" / "apple-2.html").is_file()
    assert check_code == 0


def test_unicode_and_spaces_in_names_and_titles(make_vault, capsys, tmp_path):
    content = make_vault({
        **GOOD,
        "index.md": GOOD["index.md"] + "See [[Café au lait]], [[日本語 ノート]] and [spaces](notes/My%20Note.md).\n",
        "Café au lait.md": "---\ntitle: Café au lait\nsummary: Coffee.\n---\nWith [[日本語 ノート]].\n",
        "notes/My Note.md": "---\ntitle: 日本語 ノート\nsummary: Notes.\n---\nBack to [[Café au lait]] and [[index]].\n",
    })
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert build_err == "" and check_code == 0
    site = tmp_path / "site"
    assert (site / "café-au-lait.html").is_file() and (site / "notes" / "my-note.html").is_file()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="caf%C3%A9-au-lait.html"' in home and 'href="notes/my-note.html"' in home
    assert 'href="../caf%C3%A9-au-lait.html"' in (site / "notes" / "my-note.html").read_text(encoding="utf-8")


def test_symlink_loop_in_the_content_folder(make_vault, capsys, tmp_path):
    content = make_vault(GOOD)
    (content / "sub").mkdir()
    (content / "sub" / "page.md").write_text("# Sub Page\n\n[[index]]\n", encoding="utf-8")
    os.symlink("..", content / "sub" / "loop")
    os.symlink("nowhere.md", content / "dangling.md")
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert "sub/loop: warning: folder is a symbolic link back into the content folder; skipped" in build_err
    assert "dangling.md: warning: symbolic link points nowhere; skipped" in build_err
    assert (tmp_path / "site" / "sub" / "page.html").is_file()
    assert check_code == 0


def _can_drop_read_override() -> bool:
    return shutil.which("setpriv") is not None


def test_unreadable_file(make_vault, capsys, tmp_path):
    """A file without read permission. Root ignores permissions, so as root the CLI runs in a child whose
    capability bounding set lacks CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv): permissions hold there."""
    content = make_vault({**GOOD, "secret.md": "# Secret\n\n[[index]]\n"})
    os.chmod(content / "secret.md", 0)
    out = tmp_path / "site"
    expected = "secret.md: error: permission denied: cannot read the file; skipped"
    if os.access(content / "secret.md", os.R_OK):  # root (or a capability) reads anyway
        if not _can_drop_read_override():
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        before = snapshot(content)
        argv = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m", "generator"]
        build = subprocess.run([*argv, "build", "--content", str(content), "--out", str(out)],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
        check = subprocess.run([*argv, "check", "--content", str(content)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert snapshot(content) == before
        assert build.returncode == 0 and "Traceback" not in build.stderr + check.stderr
        assert line_for(build.stderr, "secret.md") == expected
        assert (out / "good.html").is_file() and not (out / "secret.html").exists()
        assert check.returncode == 1 and expected.split(": ", 2)[2] in check.stdout
    else:
        build_err, check_out, check_code = run(capsys, content, out)
        assert line_for(build_err, "secret.md") == expected
        assert check_code == 1


def test_bad_input_through_a_real_process(make_vault, tmp_path):
    """The installed entry point, in a separate process: exit codes and one-line messages, no traceback."""
    content = make_vault({**GOOD, "bad.md": "---\ntitle: [unclosed\n---\nBody.\n", "bin.md": b"\x00\x01\x02"})
    before = snapshot(content)
    build = subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(content), "--out", str(tmp_path / "site"), "-v"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    check = subprocess.run([sys.executable, "-m", "generator", "check", "--content", str(content), "--format", "json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert snapshot(content) == before
    assert build.returncode == 0 and check.returncode == 1
    assert "Traceback" not in build.stderr + check.stderr
    assert line_for(build.stderr, "bad.md").startswith("bad.md:3:1: error: front matter is not valid YAML")
    assert line_for(build.stderr, "bin.md") == "bin.md: error: file is binary, not Markdown text; skipped"
    assert '"code": "binary-file"' in check.stdout


# --- No page can stop the build (parse/limits.py, emit/pages.render_page, build/writer) -----------------------


def _nested(levels: int) -> str:
    return "\n".join(" " * (4 * i) + f"- level {i}" for i in range(levels)) + "\n"


@pytest.mark.parametrize("levels", [300, 600])
def test_a_list_nested_hundreds_deep_is_shown_as_text(make_vault, capsys, tmp_path, levels):
    content = make_vault({**GOOD, "deep.md": "# Deep\n\nIntro.\n\n" + _nested(levels)})
    build_err, _, _ = run(capsys, content, tmp_path / "site", check=False)
    assert "deep.md:105: warning: lists or quotes nest 101 levels deep here" in build_err
    html = (tmp_path / "site" / "deep.html").read_text(encoding="utf-8")
    assert "This page is shown as its source text" in html and f"- level {levels - 1}" in html


def test_a_page_whose_parse_raises_is_shown_as_text(make_vault, capsys, tmp_path, monkeypatch):
    """A real RecursionError from inside Python-Markdown (a nesting within the bound, on a small stack)."""
    import sys as _sys
    monkeypatch.setenv("KBWIKI_JOBS", "1")  # parse in this process, on the small stack set below
    content = make_vault({**GOOD, "deep.md": "# Deep\n\n" + _nested(90)})
    limit = _sys.getrecursionlimit()
    _sys.setrecursionlimit(400)
    try:
        code = main(["build", "--content", str(content), "--out", str(tmp_path / "site"), "--no-cache"])
    finally:
        _sys.setrecursionlimit(limit)
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    assert "deep.md: error: page could not be rendered: it nests too deeply for the Markdown parser" in err
    assert "shown as its source text" in (tmp_path / "site" / "deep.html").read_text(encoding="utf-8")
    assert (tmp_path / "site" / "good.html").is_file()


def test_a_page_that_would_take_minutes_is_stopped_and_shown_as_text(make_vault, capsys, tmp_path, monkeypatch):
    """20,000 nested brackets take Python-Markdown minutes; the page's time limit (here 0.5 s) stops it."""
    monkeypatch.setenv("KBWIKI_PAGE_SECONDS", "0.5")
    content = make_vault({**GOOD, "slow.md": "# Slow\n\n" + "[" * 20000 + "x" + "]" * 20000 + "\n"})
    build_err, _, _ = run(capsys, content, tmp_path / "site", check=False)
    assert "slow.md: error: page could not be rendered: parsing took longer than 0.5 s" in build_err
    assert "shown as its source text" in (tmp_path / "site" / "slow.html").read_text(encoding="utf-8")


def test_a_page_the_theme_cannot_render_is_a_placeholder_and_the_rest_builds(make_vault, capsys, tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    page = (ROOT / "templates" / "page.html").read_text(encoding="utf-8")
    (theme / "page.html").write_text(page.replace("{% block content %}", "{% block content %}{% if page.title == 'Bad' %}"
                                                  "{{ no_such_thing.field }}{% endif %}", 1), encoding="utf-8")
    assert "no_such_thing" in (theme / "page.html").read_text(encoding="utf-8")
    content = make_vault({**GOOD, "bad.md": "# Bad\n\n[[Good Page]]\n"})
    code = main(["build", "--content", str(content), "--out", str(tmp_path / "site"), "--templates", str(theme)])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    assert "bad.md: error: page could not be rendered: UndefinedError: 'no_such_thing' is undefined" in err
    html = (tmp_path / "site" / "bad.html").read_text(encoding="utf-8")
    assert "This page could not be rendered" in html and "<h1>Bad</h1>" in html
    assert "Back" in (tmp_path / "site" / "good.html").read_text(encoding="utf-8")
    # it is tried again by the next build, and reported again
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "site"), "--templates", str(theme)]) == 0
    assert "bad.md: error: page could not be rendered" in capsys.readouterr().err


def test_a_file_the_disk_refuses_is_reported_and_the_rest_is_written(make_vault, capsys, tmp_path):
    """An output folder so deep that one page's full path passes the system's PATH_MAX (4,096 bytes): that file
    cannot be written; it is reported by name and every other file is."""
    folders = "/".join(["f" * 50] * 12)  # 612 bytes of folders in the vault
    content = make_vault({**GOOD, f"{folders}/far.md": "# Far\n\n[[Good Page]]\n"})
    out = tmp_path.joinpath(*["o" * 200] * 17) / "site"  # about 3,450 bytes: the far page passes 4,096
    out.parent.mkdir(parents=True)
    code = main(["build", "--content", str(content), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    assert f"{folders}/far.md: error: cannot write {folders}/far.html: File name too long; the rest of the site is written" in err
    assert (out / "good.html").is_file() and (out / "index.html").is_file()


def test_a_title_of_hundreds_of_characters_builds(make_vault, capsys, tmp_path):
    name = ("pr-887-agent-task-agent-3570-" + "find-and-fix-one-inline-import-in-the-codebase-" * 5)[:240]  # 243-byte file name
    content = make_vault({**GOOD, f"sources/{name}.md": f"# {name}\n\n[[Good Page]]\n",
                          "index.md": GOOD["index.md"] + f"And [[{name}]].\n"})
    build_err, _, _ = run(capsys, content, tmp_path / "site", check=False)
    [page] = list((tmp_path / "site" / "sources").iterdir())
    assert len(page.name.encode()) <= 100 and page.name.startswith("pr-887-agent-task-agent-3570-find")
    assert f'href="sources/{page.name}"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
