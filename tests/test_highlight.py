"""Fenced code: highlighted by Pygments at build time, Mermaid fences as diagram placeholders, the rest as before."""

from __future__ import annotations

import markdown
import pytest

from generator.parse.highlight import highlighted, lexer_for
from generator.parse.markdown import make_markdown, render_body
from generator.parse.sanitize import sanitize


def render(text: str) -> str:
    return render_body(make_markdown(), text).html


def stock(text: str) -> str:
    """What Python-Markdown's fenced_code alone writes."""
    return markdown.markdown(text, extensions=["fenced_code"])


def test_a_known_language_is_highlighted_into_token_classes():
    html = render("```python\ndef area(r):\n    return 3.14 * r ** 2  # circle\n```\n")
    assert html.startswith('<pre class="highlight"><code class="language-python">')
    for span in ('<span class="k">def</span>', '<span class="nf">area</span>', '<span class="mf">3.14</span>',
                 '<span class="c1"># circle</span>'):
        assert span in html
    assert "<script" not in html and "style=" not in html  # classes only: the theme colours them


@pytest.mark.parametrize("text", [
    "```dataview\nLIST FROM #tag\n```\n",  # a language Pygments does not know
    "```\nplain <b>text</b>\n```\n",  # no language
    "```text\nas it is\n```\n",  # plain text: nothing to colour
    "~~~{.python}\nx = 1\n~~~\n",  # attribute syntax: fenced_code's own
])
def test_other_fences_are_written_as_fenced_code_writes_them(text):
    assert render(text) == stock(text)


def test_an_unknown_language_is_plain_code_never_an_error():
    assert lexer_for("no-such-language") is None
    assert highlighted("x", "no-such-language") is None
    assert render("```no-such-language\n<x>\n```\n") == '<pre><code class="language-no-such-language">&lt;x&gt;\n</code></pre>'


def test_code_is_escaped_and_blank_lines_kept():
    html = render("```html\n\n<script>alert(1)</script>\n\n```\n")
    assert "<script>" not in html and "&lt;" in html and "alert" in html
    assert '<code class="language-html">\n' in html and html.endswith("\n\n</code></pre>")


def test_language_names_are_case_insensitive_and_aliases_work():
    assert 'class="k"' in render("```Python\nimport os\n```\n") or 'class="kn"' in render("```Python\nimport os\n```\n")
    assert '<code class="language-sh">' in render("```sh\necho hi\n```\n") and "<span" in render("```sh\necho hi\n```\n")


def test_hl_lines_mark_lines():
    assert '<span class="hll">' in render('```python hl_lines="2"\na = 1\nb = 2\n```\n')


def test_a_fence_inside_a_longer_fence_is_code_not_a_diagram():
    html = render("````md\n```mermaid\ngraph TD\nA --> B\n```\n````\n")
    assert 'class="diagram' not in html and '<code class="language-md">' in html and "mermaid" in html


def test_inline_and_indented_code_are_left_alone():
    assert render("`python` and\n\n    indented = 1\n") == "<p><code>python</code> and</p>\n<pre><code>indented = 1\n</code></pre>"


def test_a_mermaid_fence_is_a_diagram_placeholder_with_its_source():
    html = render("Before\n\n```mermaid\ngraph TD\nA[Biology] --> B & C\n```\n\nAfter\n")
    assert ('<div class="diagram diagram-mermaid"><pre class="diagram-source"><code class="language-mermaid">'
            "graph TD\nA[Biology] --&gt; B &amp; C\n</code></pre></div>") in html
    assert html.startswith("<p>Before</p>") and html.endswith("<p>After</p>")


def test_fences_in_a_page_are_each_read_once():
    html = render("```python\na = 1\n```\n\n```\nplain\n```\n\n```mermaid\ngraph LR\nX --> Y\n```\n\n```js\nlet b\n```\n")
    assert html.count('class="highlight"') == 2 and html.count('class="diagram ') == 1 and "<pre><code>plain\n" in html


def test_the_sanitizer_keeps_highlighted_code_and_diagrams_as_they_are():
    html = render("```python\nx = 'a' < \"b\"\n```\n\n```mermaid\ngraph TD\nA --> B\n```\n")
    cleaned = sanitize(html)
    assert cleaned.html == html and cleaned.removed == ()  # byte for byte: nothing in it is unsafe


def test_only_pages_with_a_diagram_load_mermaid(make_vault):
    from tests.helpers import build, output
    site = build(make_vault({"Flow.md": "```mermaid\ngraph TD\nA --> B\n```\n", "Code.md": "```python\nx = 1\n```\n",
                             "Shows.md": "![[Flow]]\n"}))
    flow = output(site, "flow.html")
    assert '<script src="assets/vendor/mermaid.min.js" defer></script>' in flow
    assert '<script src="assets/diagrams.js" defer></script>' in flow
    assert "mermaid.min.js" not in output(site, "code.html") and "diagrams.js" not in output(site, "code.html")
    assert "mermaid.min.js" in output(site, "shows.html")  # it shows the diagram of the page it embeds
    assert {"assets/vendor/mermaid.min.js", "assets/diagrams.js"} <= {o.out_path for o in site.outputs}
