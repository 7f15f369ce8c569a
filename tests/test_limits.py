"""parse/limits.py: the bounds a page must stay within before Python-Markdown sees it, and the page shown as text."""

from __future__ import annotations

import pytest

from generator.parse.limits import MAX_NESTING, PageTooSlow, _depth, as_text_html, time_limit, too_costly


def nested_list(levels: int) -> str:
    return "\n".join(" " * (4 * i) + f"- level {i}" for i in range(levels)) + "\n"


@pytest.mark.parametrize("text, code, line", [
    (nested_list(MAX_NESTING), None, 0),
    (nested_list(MAX_NESTING + 1), "page-too-deep", MAX_NESTING + 1),
    ("intro\n\n" + "\n".join(">" * (i + 1) + " q" for i in range(MAX_NESTING + 5)), "page-too-deep", MAX_NESTING + 3),
    ("> - " * (MAX_NESTING // 2 + 1) + "x\n", "page-too-deep", 1),  # quotes and lists opened on one line
    ("- " * (MAX_NESTING + 1) + "x\n", "page-too-deep", 1),
    ("\t" * 20 + "- tabs count four columns\n" + "\t" * MAX_NESTING + "- deeper\n", "page-too-deep", 2),
    ("    code that is indented\n" * 3 + "Text with > and - in it.\n", None, 0),
])
def test_nesting_bound(text, code, line):
    found = too_costly(len(text.encode()), text)
    assert (found[0], found[2]) == (code, line) if code else found is None


def test_size_bound():
    assert too_costly(3 * 1024 * 1024, "x")[0] == "page-too-large"
    assert too_costly(1024, "x") is None


def test_time_limit_stops_a_slow_page():
    with pytest.raises(PageTooSlow):
        with time_limit(0.2):
            while True:
                pass


def test_time_limit_is_cleared_after_the_page():
    with time_limit(0.5):
        pass
    total = sum(range(10 ** 6))  # would be interrupted if the timer still ran
    assert total > 0


def test_as_text_escapes_the_source():
    html = as_text_html("<script>alert(1)</script> & [[x]]", "why <b>")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [[x]]" in html
    assert "why &lt;b&gt;" in html and "shown as its source text" in html


@pytest.mark.parametrize("line", [">" * 50, "\t" * 30 + "- x", "- " * 40, "> - " * 30, "1. " * 30 + "x", " " * 99 + "-",
                                  "\t \t  1) >>- * + 2." * 8, "-" * 200, ">" * 200, "\t" * 101])
def test_a_line_nests_no_deeper_than_its_length(line):
    """too_costly() looks only at lines longer than MAX_NESTING: each level takes a character at least."""
    assert _depth(line) <= len(line)


def test_nesting_found_on_its_line_among_others():
    deep = "\t" * (MAX_NESTING + 1) + "- deep"
    text = "\n".join(["intro", "- " * 10, "x" * 500, "", deep, "after"])
    assert too_costly(len(text), text)[0::2] == ("page-too-deep", 5)
    assert too_costly(10, "\n".join(["x", "\t" * (MAX_NESTING - 1) + "- at the bound", ">" * MAX_NESTING])) is None


def test_time_limit_stops_a_slow_page_outside_the_main_thread_too():
    """serve's rebuilds and Dask's workers parse in threads, where no signal reaches: a timer thread stops them."""
    import threading
    import time
    found = []

    def parse() -> None:
        try:
            with time_limit(0.2):
                while True:
                    pass
        except PageTooSlow as exc:
            found.append(str(exc))
        with time_limit(0.1):
            pass
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:  # past the limit: would be interrupted if its timer still ran
            pass
        found.append("not interrupted")
    worker = threading.Thread(target=parse)
    worker.start()
    worker.join(30)
    assert found == ["parsing took longer than 0.2 s", "not interrupted"]
