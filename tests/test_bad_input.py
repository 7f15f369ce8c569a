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
    assert (out / "good-page.html").is_file() and (out / "index.html").is_file()  # the rest of the wiki is built
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
    html = (tmp_path / "site" / "windows-page.html").read_text(encoding="utf-8")
    assert "<title>Windows Page" in html and "\ufeff" not in html and "\r" not in html


def test_empty_file_builds_as_an_empty_page(make_vault, capsys, tmp_path):
    content = make_vault({**GOOD, "empty.md": ""})
    build_err, check_out, check_code = run(capsys, content, tmp_path / "site")
    assert (tmp_path / "site" / "empty.html").is_file()
    assert ": error: " not in build_err and check_code == 0
    assert "empty.md: warning: page has no summary" in build_err


def test_ten_megabyte_page_builds(make_vault, capsys, tmp_path):
    paragraph = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
                 "ut labore et dolore magna aliqua. ") * 8 + "\n\n"
    parts, size, i = ["# Huge\n\nSee [[Good Page]].\n\n"], 0, 0
    while size < 10 * 1024 * 1024:
        chunk = (f"## Part {i}\n\nBack to [[Good Page]] and [[Nowhere {i}]].\n\n" if i % 500 == 0 else "") + paragraph
        parts.append(chunk)
        size += len(chunk)
        i += 1
    content = make_vault({**GOOD, "huge.md": "".join(parts)})
    build_err, _, _ = run(capsys, content, tmp_path / "site", check=False)  # check reads it the same way; once is enough
    html = (tmp_path / "site" / "huge.html").read_text(encoding="utf-8")
    assert len(html) > 10 * 1024 * 1024 and html.count('id="part-') == (i + 499) // 500
    assert "huge.md:7:27: error: link [[Nowhere 0]] -> no page." in build_err  # its red links are reported with lines


def test_page_linking_to_itself(make_vault, capsys, tmp_path):
    content = make_vault({**GOOD, "self.md": "# Narcissus\n\nSee [[Narcissus]] and [[#Top]] and [self](self.md).\n",
                          "index.md": GOOD["index.md"] + "And [[Narcissus]].\n"})
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert ": error: " not in build_err and check_code == 0
    html = (tmp_path / "site" / "narcissus.html").read_text(encoding="utf-8")
    assert html.count('href="narcissus.html"') == 2
    assert "self.md: warning: links to no other page" in build_err  # a self-link leads nowhere else


def test_link_cycles(make_vault, capsys, tmp_path):
    cycle = {f"{n}.md": f"# {n.upper()}\n\nNext: [[{m.upper()}]].\n" for n, m in [("a", "b"), ("b", "c"), ("c", "a")]}
    content = make_vault({**GOOD, **cycle, "index.md": GOOD["index.md"] + "Also [[A]].\n"})
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert build_err == "" and check_code == 0
    for page, back in [("a", "C"), ("b", "A"), ("c", "B")]:
        html = (tmp_path / "site" / f"{page}.html").read_text(encoding="utf-8")
        backlinks = html.split('id="backlinks"')[1]
        assert f">{back}</a>" in backlinks


def test_titles_differing_only_in_case(make_vault, capsys, tmp_path):
    content = make_vault({**GOOD, "apple.md": "# Apple\n\nA fruit. [[index]]\n", "x/apple2.md": "# APPLE\n\nA company. [[index]]\n"})
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    shown = [line.strip() for line in build_err.splitlines()]
    assert "x/apple2.md: error: title 'APPLE' is also used by apple.md Links to it go to the page with the shorter path." in shown
    assert "x/apple2.md: error: slug 'apple' is already taken by page apple.md" in build_err
    assert (tmp_path / "site" / "apple.html").is_file() and (tmp_path / "site" / "apple-2.html").is_file()
    assert check_code == 1


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
    assert (site / "café-au-lait.html").is_file() and (site / "日本語-ノート.html").is_file()
    home = (site / "index.html").read_text(encoding="utf-8")
    note_url = 'href="%E6%97%A5%E6%9C%AC%E8%AA%9E-%E3%83%8E%E3%83%BC%E3%83%88.html"'
    assert 'href="caf%C3%A9-au-lait.html"' in home and note_url in home
    assert 'href="caf%C3%A9-au-lait.html"' in (site / "日本語-ノート.html").read_text(encoding="utf-8")


def test_symlink_loop_in_the_content_folder(make_vault, capsys, tmp_path):
    content = make_vault(GOOD)
    (content / "sub").mkdir()
    (content / "sub" / "page.md").write_text("# Sub Page\n\n[[index]]\n", encoding="utf-8")
    os.symlink("..", content / "sub" / "loop")
    os.symlink("nowhere.md", content / "dangling.md")
    build_err, _, check_code = run(capsys, content, tmp_path / "site")
    assert "sub/loop: warning: folder is a symbolic link back into the content folder; skipped" in build_err
    assert "dangling.md: warning: symbolic link points nowhere; skipped" in build_err
    assert (tmp_path / "site" / "sub-page.html").is_file()
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
        assert (out / "good-page.html").is_file() and not (out / "secret.html").exists()
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
