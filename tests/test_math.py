"""Math in Obsidian's syntax: `$inline$` and `$$display$$` as escaped TeX for KaTeX, never Markdown, never in code."""

from __future__ import annotations

import pytest

from generator.config import Config
from generator.parse.markdown import make_markdown, render_body
from generator.parse.math import formula_problem, has_math
from generator.parse.page import parse_source
from generator.parse.sources import SourceFile
from tests.conftest import CORPORA, require_corpus
from tests.helpers import build, output


def render(text: str) -> str:
    return render_body(make_markdown(), text).html


def inline(tex: str) -> str:
    return f'<span class="math math-inline">{tex}</span>'


@pytest.mark.parametrize("text, html", [
    ("This is $e^{2i\\pi} = 1$.", "<p>This is " + inline("e^{2i\\pi} = 1") + ".</p>"),
    # nothing inside a formula is Markdown: underscores, asterisks, brackets, backslashes, tags stay
    ("$a_1*b_2*c$ and $x_i + y_i$", "<p>" + inline("a_1*b_2*c") + " and " + inline("x_i + y_i") + "</p>"),
    ("$[[x]] \\| \\{a\\} \\#b ==c==$", "<p>" + inline("[[x]] \\| \\{a\\} \\#b ==c==") + "</p>"),
    ("$a<b \\& c$", "<p>" + inline("a&lt;b \\&amp; c") + "</p>"),  # TeX is text in the HTML, escaped
    # prices and escaped dollars stay text
    ("It costs $5 and $6.", "<p>It costs $5 and $6.</p>"),
    ("From $20,000 to $30,000", "<p>From $20,000 to $30,000</p>"),
    ("Escaped \\$x\\$ and \\$5", "<p>Escaped $x$ and $5</p>"),
    ("$ x$ and $x $ and $x$5", "<p>$ x$ and $x $ and $x$5</p>"),  # a space inside either end, a digit after
    # code is code
    ("`$x$` and\n\n```\n$y$\n```\n", "<p><code>$x$</code> and</p>\n<pre><code>$y$\n</code></pre>"),
    # $$ inside running text is display math, still in the paragraph
    ("See $$x^2$$ here", '<p>See <span class="math math-display">x^2</span> here</p>'),
    ("$$a$$ and $b$", '<p><span class="math math-display">a</span> and ' + inline("b") + "</p>"),
])
def test_inline_formulas(text, html):
    assert render(text) == html


def test_a_display_block_is_a_div_its_lines_never_markdown():
    html = render("Before\n$$\n\\begin{vmatrix}a & b\\\\\n- c & d\n# e\n\\end{vmatrix}=ad-bc\n$$\nAfter\n")
    assert html == ('<p>Before</p>\n<div class="math math-display">\\begin{vmatrix}a &amp; b\\\\\n- c &amp; d\n# e\n'
                    '\\end{vmatrix}=ad-bc</div>\n<p>After</p>')


def test_display_math_inside_a_callout_and_a_list():
    html = render("> [!note] Euler\n> $$\n> e^{i\\pi} + 1 = 0\n> $$\n\n- item $$x_1$$\n")
    assert '<span class="math math-display">e^{i\\pi} + 1 = 0</span>' in html and 'class="callout callout-note"' in html
    assert '<li>item <span class="math math-display">x_1</span></li>' in html


def test_formulas_inside_fences_and_raw_html_are_left_alone():
    html = render("```md\n$$\nx\n$$\n```\n\n<div>\n$$ raw $$\n</div>\n")
    assert not has_math(html) and "$$" in html


def test_a_blank_line_ends_a_display_block():
    assert not has_math(render("$$\na\n\nb\n$$\n"))


def test_math_is_not_prose_for_unlinked_mentions():
    body = render_body(make_markdown(), "Alice wrote $\\text{Bob}$ down.")
    assert "Bob" not in body.prose and "Alice wrote" in body.prose


@pytest.mark.parametrize("tex, problem", [
    ("e^{2i\\pi} = 1", ""),
    ("\\{a\\} \\\\ {b}", ""),  # escaped braces, then a line break and a group
    ("x^{2", "a '{' is not closed"),
    ("{{x", "2 '{' not closed"),
    ("x}", "a '}' closes no '{'"),
    ("a % a comment { is not a brace\n", ""),
    ("\\begin{matrix} a \\end{matrix}", ""),
    ("\\begin{pmatrix} a", "\\begin{pmatrix} without \\end{pmatrix}"),
    ("a \\end{cases}", "\\end{cases} without \\begin{cases}"),
    ("\\begin{a}\\begin{b}\\end{a}\\end{b}", "\\end{a} closes \\begin{b}"),
    ("\\left( x \\right)", ""),
    ("\\left( x", "\\left without \\right"),
    ("\\leftarrow \\rightarrow", ""),  # other commands that begin with the same letters
])
def test_formula_problems(tex, problem):
    assert formula_problem(tex) == problem


def test_a_faulty_formula_is_a_warning_with_its_page_and_line():
    text = "---\ntitle: T\n---\nFine $x$.\n\nBroken $x^{2$ here.\n\n$$\n\\begin{cases} a\n$$\n"
    parsed, problems = parse_source(SourceFile("notes/p.md", text.encode()), Config())
    math = [(d.line, d.level, d.code, d.message) for d in problems if d.code == "bad-math"]
    assert math == [(6, "warning", "bad-math", "formula 'x^{2' cannot be drawn: a '{' is not closed"),
                    (9, "warning", "bad-math", "formula '\\begin{cases} a' cannot be drawn: \\begin{cases} without \\end{cases}")]
    assert inline("x^{2") in parsed.body.html  # shown as its source


def test_only_pages_with_math_load_katex_and_every_url_is_relative(make_vault):
    site = build(make_vault({"With.md": "Euler: $e^{i\\pi} = -1$\n", "Without.md": "It costs $5 and $6. [[With]]\n",
                             "Embeds.md": "![[With]]\n"}))
    page = output(site, "with.html")
    assert '<link rel="stylesheet" href="assets/vendor/katex/katex.min.css">' in page
    assert '<script src="assets/vendor/katex/katex.min.js" defer></script>' in page
    assert '<script src="assets/math.js" defer></script>' in page
    assert "katex" not in output(site, "without.html") and "math.js" not in output(site, "without.html")
    assert "katex.min.js" in output(site, "embeds.html")  # it shows the formula of the page it embeds
    assert {"assets/vendor/katex/katex.min.js", "assets/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
            "assets/math.js"} <= {o.out_path for o in site.outputs}


def test_the_help_vault_formulas():
    text = (require_corpus(CORPORA / "obsidian-help-en") / "Editing and formatting" / "Advanced formatting syntax.md").read_text(encoding="utf-8")
    html = render(text)
    assert html.count('<div class="math math-display">') == 1 and html.count('class="math math-inline"') == 1
    assert inline("e^{2i\\pi} = 1") in html
    assert "$$\n\\begin{vmatrix}" in html  # the same formula, shown as code in a fence, stays code


def test_the_sanitizer_keeps_formulas_as_they_are():
    from generator.parse.sanitize import sanitize
    html = render("Inline $a<b$ and\n\n$$\n\\frac{1}{2}\n$$\n")
    assert sanitize(html).html == html and has_math(sanitize(html).html)
