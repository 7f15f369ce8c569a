"""sanitize.py: `sanitize: true` strips raw HTML to a safe subset and keeps kbwiki's own markup."""

from __future__ import annotations

import pytest

from generator import cli
from generator.parse.sanitize import sanitize_html
from tests.helpers import build, output

RAW = """# Notes

<div class="note" onclick="steal()" style="position:fixed">Kept text<script>alert(1)</script></div>

<iframe src="https://evil.example"></iframe>

<a href="javascript:alert(1)">raw link</a> <img src="x.png" onerror="alert(1)"> <h2 id="backlinks">Clobber</h2>

<style>body { display: none }</style>
"""

OURS = """# Ours

See [[Other#Part two|the other page]], [[Nowhere]] and [a file](other.md).

## Part one

| Left | Right |
|:-----|------:|
| a    | b     |

Claim[^1]. `inline <code>`

```python
if a < b and c > d: pass
```

[^1]: The footnote.
"""

OTHER = "# Other\n\n## Part two\n\nText.\n"


@pytest.mark.parametrize("fragment, gone", [
    ("<script>alert(1)</script>", "alert"),
    ('<p onclick="x()">t</p>', "onclick"),
    ('<a href="javascript:alert(1)">t</a>', "javascript"),
    ('<a href="vbscript:x">t</a>', "vbscript"),
    ('<a href="data:text/html,x">t</a>', "data:"),
    ('<img src="data:image/svg+xml,x">', "data:"),
    ('<iframe src="https://e.example"></iframe>', "iframe"),
    ('<object data="x.swf"></object>', "object"),
    ('<form action="https://e.example"><input name="p"></form>', "form"),
    ('<svg><script>alert(1)</script></svg>', "script"),
    ('<style>*{}</style>', "style"),
    ('<b style="background:url(javascript:x)">t</b>', "style"),
    ('<h2 id="content">t</h2>', "id="),
    ('<!-- <script>x</script> -->', "script"),
])
def test_unsafe_markup_is_removed(fragment, gone):
    assert gone not in sanitize_html(fragment)


@pytest.mark.parametrize("fragment", [
    '<a class="wikilink" href="kbref:w:Other%20Page#Part">label</a>',
    '<h2 id="part-one">Part one<a class="headerlink" href="#part-one" title="Link to this section">#</a></h2>',
    '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>',
    '<pre><code class="language-python">a &lt; b</code></pre>',
    '<th style="text-align:left">x</th>',
    '<a href="https://example.com/a?b=c&amp;d=e" title="t">x</a>',
])
def test_our_markup_survives_unchanged(fragment):
    wrapped = f"<table><tr>{fragment}</tr></table>" if fragment.startswith("<th") else fragment
    assert fragment in sanitize_html(wrapped)


def body_of(html: str) -> str:
    """The page body only (the theme has its own scripts)."""
    return html.split('<div class="page-body">', 1)[1].split("</article>", 1)[0]


def test_raw_html_is_kept_by_default_and_stripped_with_sanitize(make_vault):
    content = make_vault({"notes.md": RAW})
    kept = body_of(output(build(content), "notes.html"))
    assert "<script>alert(1)</script>" in kept and 'onclick="steal()"' in kept  # the author's own page
    clean = body_of(output(build(content, sanitize=True), "notes.html"))
    for gone in ("<script", "onclick", "iframe", "javascript:", "onerror", "position:fixed", "display: none", 'id="backlinks">Clobber'):
        assert gone not in clean
    assert '<div class="note">Kept text</div>' in clean
    assert '<img src="x.png">' in clean


def test_sanitize_keeps_every_kind_of_our_own_markup(make_vault):
    content = make_vault({"ours.md": OURS, "other.md": OTHER})
    plain = output(build(content), "ours.html")
    clean = output(build(content, sanitize=True), "ours.html")
    for expected in (
        '<a class="wikilink" href="other.html#part-two">the other page</a>',
        '<a class="wikilink missing" href="special/wanted.html#wanted-nowhere" title="Page not found: Nowhere">Nowhere</a>',
        '<a class="wikilink" href="other.html">a file</a>',
        '<h2 id="part-one">Part one<a class="headerlink" href="#part-one" title="Link to this section">#</a></h2>',
        '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>',
        '<li id="fn:1">',
        'class="footnote-backref" href="#fnref:1"',
        '<pre class="highlight"><code class="language-python"><span class="k">if</span> <span class="n">a</span> <span class="o">&lt;</span>',
        "<code>inline &lt;code&gt;</code>",
    ):
        assert expected in plain and expected in clean, expected
    assert '<th style="text-align: left;">Left</th>' in plain and '<th style="text-align:left">Left</th>' in clean


def test_sanitize_is_read_from_kbwiki_yaml(tmp_path, make_vault):
    content = make_vault({"notes.md": RAW})
    (tmp_path / "kbwiki.yaml").write_text("sanitize: true\n")
    out = tmp_path / "site"
    assert cli.main(["build", "--content", str(content), "--out", str(out), "--config", str(tmp_path / "kbwiki.yaml")]) == 0
    assert "<script" not in body_of((out / "notes.html").read_text())
