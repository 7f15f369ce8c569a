"""axe-core (vendored, tests only) finds no WCAG 2.1 A/AA or best-practice violation, in both themes."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SEED

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PAGES = [SEED, "index.html", "special/graph.html", "special/all-pages.html", "special/wanted.html", "tags/model.html",
         "types/concept.html", "404.html", "links-here/" + SEED]


def violations(page) -> list[str]:
    page.add_script_tag(content=AXE)
    found = page.evaluate("rules => axe.run(document, {runOnly: rules}).then(r => r.violations)", RULES)
    return [f"{v['id']} ({v['impact']}): {n['target']} {n['failureSummary']}" for v in found for n in v["nodes"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_violations(context_factory, site_url, scheme):
    _, page = context_factory(color_scheme=scheme)
    problems = []
    for path in PAGES:
        page.goto(site_url + path)
        problems += [f"{path}: {p}" for p in violations(page)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_open_search_and_preview_have_no_violations(context_factory, site_url, scheme):
    _, page = context_factory(color_scheme=scheme)
    page.goto(site_url + SEED)
    page.locator(".page-body a.wikilink").first.hover()
    expect(page.locator(".preview")).to_be_visible()
    assert violations(page) == []
    page.keyboard.press("/")
    page.keyboard.type("interaction")
    expect(page.locator(".search-result").first).to_be_visible()
    assert violations(page) == []
    page.locator(".search-result").nth(1).click()  # a click on a result opens it
    page.wait_for_url("**/*.html")
    assert not page.url.endswith(SEED)


@pytest.fixture(scope="module")
def many_types_url(tmp_path_factory):
    """A wiki of 14 types: five in the header, the rest in its menu; the last two repeat colours, marked."""
    from tests.browser.conftest import serve
    from tests.helpers import build
    from tests.conftest import write_vault
    from tests.test_render import FILES
    content = write_vault(tmp_path_factory.mktemp("types") / "content", FILES)
    out = content.parent / "site"
    build(content, out)
    yield from serve(out)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_many_types_and_their_menu_have_no_violations(context_factory, many_types_url, scheme):
    _, page = context_factory(color_scheme=scheme)
    problems = []
    for path in ("hub.html", "special/graph.html"):
        page.goto(many_types_url + path)
        page.locator(".nav-more summary").focus()
        page.keyboard.press("Enter")  # the menu opens from the keyboard
        expect(page.locator(".nav-more-list a").last).to_be_visible()
        problems += [f"{path}: {p}" for p in violations(page)]
    assert not problems, "\n".join(problems)
    page.locator(".nav-more-list a", has_text="A12").click()
    page.wait_for_url("**/types/a12.html")
