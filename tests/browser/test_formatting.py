"""In real headless Chromium, over HTTP and from file://, in both themes: the help vault's "Advanced formatting
syntax" page with every Mermaid block drawn as SVG, its math drawn by KaTeX (fonts loaded), highlighted code in
colour, and no console error; a diagram or formula that cannot be drawn keeps its source, the rest of the page
unharmed."""

from __future__ import annotations

import pytest

from tests.browser.conftest import serve
from tests.conftest import CORPORA, require_corpus
from tests.helpers import build

pytestmark = pytest.mark.browser

FORMATTING = "advanced-syntax.html"  # Editing and formatting/Advanced formatting syntax.md (permalink)
HELP = CORPORA / "obsidian-help-en"

# The luminance (0..1) of the fill of the first box (a sequence diagram's actor, a flowchart's node) in a diagram.
FILL_LUMINANCE = """el => {
  const shape = el.querySelector('svg rect.actor, svg .node rect, svg .node polygon');
  const [r, g, b] = getComputedStyle(shape).fill.match(/[\\d.]+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


@pytest.fixture(scope="module")
def help_site(tmp_path_factory):
    require_corpus(HELP)
    out = tmp_path_factory.mktemp("help") / "site"
    build(HELP, out)
    return out


@pytest.fixture(scope="module")
def help_url(help_site):
    yield from serve(help_site)


def open_page(context_factory, url: str, scheme: str):
    _, page = context_factory(color_scheme=scheme)
    page.goto(url)
    page.wait_for_selector("html[data-diagrams=done]", timeout=30_000)
    page.evaluate("document.fonts.ready.then(() => true)")
    return page


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("over", ["http", "file"])
def test_the_formatting_page_draws_its_diagrams_and_math(context_factory, help_site, help_url, over, scheme):
    url = (help_url + FORMATTING) if over == "http" else (help_site / FORMATTING).as_uri()
    page = open_page(context_factory, url, scheme)
    diagrams = page.query_selector_all(".diagram.diagram-mermaid")
    assert len(diagrams) == 3  # the ones in ````md fences are code, not diagrams
    for diagram in diagrams:
        assert "diagram-drawn" in diagram.get_attribute("class")
        assert diagram.query_selector(".diagram-drawing svg") is not None
        assert not diagram.query_selector(".diagram-source").is_visible()
        luminance = diagram.evaluate(FILL_LUMINANCE)
        assert luminance > 0.6 if scheme == "light" else luminance < 0.3  # Mermaid's theme follows the page's
    formulas = page.query_selector_all(".math")
    assert len(formulas) == 2
    for formula in formulas:
        assert "math-drawn" in formula.get_attribute("class") and formula.query_selector(".katex") is not None
    assert page.query_selector(".math-display .katex-display") is not None
    assert page.evaluate("[...document.fonts].some(f => f.family.includes('KaTeX') && f.status === 'loaded')")
    plain = page.eval_on_selector(".highlight code", "c => getComputedStyle(c).color")
    colours = page.eval_on_selector_all(".highlight code span", "spans => spans.map(s => getComputedStyle(s).color)")
    assert set(colours) - {plain}  # tokens in the theme's colours (this page's fences are Markdown: strings)


def test_the_theme_toggle_redraws_diagrams_in_the_other_theme(context_factory, help_site):
    page = open_page(context_factory, (help_site / FORMATTING).as_uri(), "light")
    assert page.query_selector(".diagram").evaluate(FILL_LUMINANCE) > 0.6
    page.click(".theme-toggle")
    page.wait_for_function("document.documentElement.getAttribute('data-theme') === 'dark'")
    page.wait_for_selector("html[data-diagrams=done]", timeout=30_000)
    assert page.query_selector(".diagram").evaluate(FILL_LUMINANCE) < 0.3
    assert len(page.query_selector_all(".diagram-drawing svg")) == 3


def test_what_cannot_be_drawn_keeps_its_source_and_harms_nothing_else(make_vault, tmp_path, context_factory):
    content = make_vault({"Broken.md": (
        "# Broken\n\n```mermaid\ngraph TD\n  A --> B -->\n  this is not mermaid ((\n```\n\n"
        "Between the two.\n\n```mermaid\ngraph LR\n  Good --> Diagram\n```\n\n"
        "Fine $x^2$, broken $\\frac{1}{$ and unknown $\\nosuchmacro{x}$.\n\nThe last paragraph.\n")})
    out = tmp_path / "site"
    build(content, out)
    _, page = context_factory(color_scheme="light")
    page.goto((out / "broken.html").as_uri())
    page.wait_for_selector("html[data-diagrams=done]", timeout=30_000)
    bad, good = page.query_selector_all(".diagram")
    assert "diagram-failed" in bad.get_attribute("class") and bad.query_selector("svg") is None
    assert bad.query_selector(".diagram-source").is_visible() and "this is not mermaid" in bad.inner_text()
    assert bad.query_selector(".diagram-error").inner_text().startswith("This diagram could not be drawn:")
    assert "diagram-drawn" in good.get_attribute("class") and good.query_selector("svg") is not None
    fine, broken, unknown = page.query_selector_all(".math")
    assert fine.query_selector(".katex") is not None
    for formula, source in ((broken, "\\frac{1}{"), (unknown, "\\nosuchmacro{x}")):
        assert "math-error" in formula.get_attribute("class") and formula.inner_text() == source
        assert "could not be drawn" in formula.get_attribute("title")
    assert page.is_visible("text=The last paragraph.") and page.is_visible("text=Between the two.")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_drawn_diagrams_math_and_code_have_no_accessibility_violations(context_factory, help_url, scheme):
    from tests.browser.test_accessibility import violations
    page = open_page(context_factory, help_url + FORMATTING, scheme)
    assert violations(page) == []
