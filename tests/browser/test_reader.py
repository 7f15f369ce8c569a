"""The reader in real headless Chromium: search, previews, graphs, theme, file://, small screens, keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from generator.emit.graph_view import graph_data_bytes
from tests.browser.conftest import SEED, serve
from tests.helpers import build

pytestmark = pytest.mark.browser


def open_search(page, how: str = "/"):
    page.keyboard.press(how)
    dialog = page.locator("dialog.search-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_search_finds_a_page_and_enter_opens_it(page, site_url):
    page.goto(site_url + "index.html")
    open_search(page, "/")
    page.keyboard.type("micro tur")  # prefix matching as you type
    first = page.locator(".search-result").first
    expect(first.locator(".search-result-title")).to_have_text("Time-Aligned Micro-Turns")
    expect(first.locator(".type-label")).to_have_text("Concept")
    expect(first.locator("mark").first).to_be_visible()
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    page.wait_for_url("**/time-aligned-micro-turns.html")
    expect(page.locator("h1")).to_contain_text("Time-Aligned Micro-Turns")


def test_search_keyboard_ctrl_k_arrows_and_escape(page, site_url):
    page.goto(site_url + SEED)
    dialog = open_search(page, "Control+k")
    page.keyboard.type("interaction")
    results = page.locator(".search-result")
    expect(results.nth(1)).to_be_visible()
    expect(results.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_have_attribute("aria-selected", "true")
    expect(results.nth(0)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    expect(results.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_search_ranks_title_and_alias_matches_first(page, site_url):
    page.goto(site_url + "index.html")
    titles = page.evaluate("kbwiki.search('interaction models').then(rs => rs.map(r => r.page.title))")
    assert titles[0] == "Interaction Models"
    # An alias match ranks the page above pages that only mention the words in their text.
    titles = page.evaluate("kbwiki.search('TML').then(rs => rs.map(r => r.page.title))")
    assert titles[0] == "Thinking Machines Interaction Model"
    assert page.evaluate("kbwiki.search('zzzqqq').then(rs => rs.length)") == 0


def test_search_shows_a_message_when_nothing_matches(page, site_url):
    page.goto(site_url + "index.html")
    open_search(page)
    page.keyboard.type("qwxzv")
    expect(page.locator(".search-status")).to_contain_text("No pages match")
    expect(page.locator(".search-result")).to_have_count(0)


@pytest.fixture(scope="module")
def cjk_site_url(tmp_path_factory):
    content = tmp_path_factory.mktemp("cjk") / "content"
    content.mkdir()
    (content / "tokyo.md").write_text("---\ntitle: 東京タワー\ntype: place\n---\n東京都港区にある電波塔です。\n", encoding="utf-8")
    (content / "beijing.md").write_text("---\ntitle: 北京\ntype: place\n---\n中华人民共和国的首都。见 [[东京塔|东京]]。\n\n[[東京タワー]]\n",
                                        encoding="utf-8")
    (content / "latin.md").write_text("---\ntitle: Café society\n---\nA note about cafés.\n", encoding="utf-8")
    out = content.parent / "site"
    build(content, out)
    yield from serve(out)


@pytest.mark.parametrize("query, title", [
    ("東京", "東京タワー"), ("タワー", "東京タワー"), ("電波塔", "東京タワー"), ("港区", "東京タワー"),
    ("首都", "北京"), ("人民", "北京"), ("北", "北京"), ("cafe", "Café society"), ("CAFÉS", "Café society"),
])
def test_search_finds_cjk_and_accented_text(page, cjk_site_url, query, title):
    page.goto(cjk_site_url + "index.html")
    titles = page.evaluate("q => kbwiki.search(q).then(rs => rs.map(r => r.page.title))", query)
    assert titles and titles[0] == title


def test_cjk_search_in_the_dialog_highlights_the_match(page, cjk_site_url):
    page.goto(cjk_site_url + "index.html")
    open_search(page)
    page.keyboard.type("電波")
    first = page.locator(".search-result").first
    expect(first.locator(".search-result-title")).to_have_text("東京タワー")
    expect(first.locator(".search-result-snippet mark")).to_have_text("電波")


def test_hovering_a_link_shows_its_preview(page, site_url):
    page.goto(site_url + SEED)
    page.locator(".page-body a.wikilink", has_text="Time-Aligned Micro-Turns").first.hover()
    preview = page.locator(".preview")
    expect(preview).to_be_visible()
    expect(preview.locator(".preview-title")).to_have_text("Time-Aligned Micro-Turns")
    expect(preview.locator(".type-label")).to_have_text("Concept")
    expect(preview.locator(".preview-summary")).not_to_be_empty()
    page.mouse.move(5, 5)
    expect(preview).to_be_hidden()


def test_keyboard_focus_shows_the_preview_and_escape_hides_it(page, site_url):
    page.goto(site_url + SEED)
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.page-body a.wikilink')"):
            break
    else:
        pytest.fail("no link in the page body is reachable with Tab")
    title = page.evaluate("document.activeElement.textContent")
    preview = page.locator(".preview")
    expect(preview).to_be_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "kbwiki-preview"
    assert preview.locator(".preview-title").text_content()
    assert title
    page.keyboard.press("Escape")
    expect(preview).to_be_hidden()


def test_hovering_a_backlink_card_shows_the_sentence_that_links_here(page, site_url):
    page.goto(site_url + SEED)
    expect(page.locator("#backlinks .card-context")).to_have_count(0)  # backlink_context is off: the seed's cards
    page.locator("#backlinks a.card-title", has_text="Thinking Machines Lab").hover()
    context = page.locator(".preview .preview-context")
    expect(context).to_be_visible()
    expect(context.locator("mark")).to_have_text("Thinking Machines Interaction Model")
    expect(context).to_contain_text("released its first one, the Thinking Machines Interaction Model, as a research preview.")
    page.mouse.move(5, 5)
    expect(page.locator(".preview")).to_be_hidden()
    page.locator(".page-body a.wikilink", has_text="Time-Aligned Micro-Turns").first.hover()  # not a backlink card
    expect(page.locator(".preview .preview-title")).to_have_text("Time-Aligned Micro-Turns")
    expect(page.locator(".preview .preview-context")).to_have_count(0)


def test_the_count_of_backlinks_opens_their_list_with_contexts(page, site_url):
    page.goto(site_url + SEED)
    page.locator("#backlinks-heading a").click()
    page.wait_for_url("**/links-here/entities/thinking-machines-interaction-model.html")
    contexts = page.locator(".card .card-context")
    expect(contexts).to_have_count(4)
    expect(contexts.locator("mark")).to_have_text(["Thinking Machines Interaction Model"] * 4)
    page.locator("a.card-title", has_text="Interaction Models").hover()
    expect(page.locator(".preview .preview-context mark")).to_have_text("Thinking Machines Interaction Model")


def test_touch_screens_get_no_hover_previews(context_factory, site_url):
    _, page = context_factory(has_touch=True, is_mobile=True, viewport={"width": 375, "height": 800})
    page.goto(site_url + SEED)
    assert page.evaluate("matchMedia('(hover: hover) and (pointer: fine)').matches") is False
    page.locator(".page-body a.wikilink").first.dispatch_event("mouseover")
    # The index is loaded on demand only: a hover on a touch screen never asks for it.
    assert page.evaluate("document.querySelectorAll('script[src*=\"search/\"]').length") == 0
    expect(page.locator(".preview")).to_have_count(0)


def test_local_graph_draws_neighbours_and_a_click_opens_one(page, site_url):
    page.goto(site_url + SEED)
    nodes = page.locator(".local-graph a.graph-node")
    assert nodes.count() == 9  # the nine pages it links to (four of them link back)
    expect(page.locator(".local-graph .graph-center")).to_contain_text("Thinking Machines Inter")
    box = page.locator(".local-graph-svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    node = page.locator(".local-graph a.graph-node", has_text="Interaction Models")
    assert node.locator("circle").bounding_box()["width"] > 5
    node.locator("circle").click()
    page.wait_for_url("**/interaction-models.html")


def test_global_graph_draws_and_a_click_opens_a_page(page, site_url):
    page.goto(site_url + "special/graph.html")
    page.wait_for_function("window.kbwikiGraph && kbwikiGraph.settled() && kbwikiGraph.frames() > 0")
    painted = page.evaluate("""() => {
        const c = document.querySelector('.global-graph-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n; }""")
    assert painted > 500
    index = page.evaluate("kbwikiGraph.nodes.findIndex(n => n.title === 'Interaction Models')")
    x, y = page.evaluate("i => kbwikiGraph.screenPoint(i)", index)
    box = page.locator(".global-graph-canvas").bounding_box()
    page.mouse.click(box["x"] + 1 + x, box["y"] + 1 + y)  # 1 px border
    page.wait_for_url("**/interaction-models.html")


def test_local_graph_opens_the_global_graph_at_its_page(page, site_url):
    page.goto(site_url + SEED)
    page.locator(".local-graph-note a").click()
    page.wait_for_url("**/special/graph.html#" + SEED.replace("/", "%2F"))
    page.wait_for_function("window.kbwikiGraph && kbwikiGraph.frames() > 0")
    index = page.evaluate("kbwikiGraph.picked()")
    assert page.evaluate("i => kbwikiGraph.nodes[i].title", index) == "Thinking Machines Interaction Model"
    page.wait_for_function("kbwikiGraph.settled()")
    x, y = page.evaluate("i => kbwikiGraph.screenPoint(i)", index)
    box = page.locator(".global-graph-canvas").bounding_box()
    assert abs(x - (box["width"] - 2) / 2) < 1 and abs(y - (box["height"] - 2) / 2) < 1  # in the middle of the view


def test_global_graph_with_5000_pages_keeps_drawing_while_it_lays_out(page, demo_site, tmp_path):
    import shutil
    site = tmp_path / "big"
    shutil.copytree(demo_site, site)
    count = 5000
    nodes = [(f"Page {i}", i % 3, f"page-{i}.html") for i in range(count)]
    links = sorted({(i, (i * 7 + 1) % count) for i in range(count)} | {(i, i // 10) for i in range(10, count)})
    (site / "graph-data.js").write_bytes(graph_data_bytes(["concept", "entity", "synthesis"], nodes, links))
    page.goto(site.as_uri() + "/special/graph.html")
    page.wait_for_function("window.kbwikiGraph && kbwikiGraph.frames() >= 2")
    assert page.evaluate("kbwikiGraph.nodes.length") == count
    assert not page.evaluate("kbwikiGraph.settled()")  # 5,000 nodes take many frames to lay out
    # The layout runs a few steps per frame, so the page answers input while it settles.
    canvas = page.locator(".global-graph-canvas")
    canvas.focus()
    page.keyboard.press("-")  # once zoomed by hand, the view stops following the layout
    scale = page.evaluate("kbwikiGraph.scale()")
    page.keyboard.press("+")
    assert page.evaluate("kbwikiGraph.scale()") == pytest.approx(scale * 1.25)
    frames = page.evaluate("kbwikiGraph.frames()")
    page.wait_for_function("f => kbwikiGraph.frames() > f + 2", arg=frames)


def test_theme_toggles_and_is_remembered(context_factory, site_url):
    _, page = context_factory(color_scheme="light")
    page.goto(site_url + SEED)
    toggle = page.locator(".theme-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    page.goto(site_url + "index.html")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator(".theme-toggle")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_bg
    page.locator(".theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")


def test_dark_system_theme_is_followed(context_factory, site_url):
    _, page = context_factory(color_scheme="dark")
    page.goto(site_url + SEED)
    expect(page.locator(".theme-toggle")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 17, 21)"


def test_pages_opened_from_disk_search_and_preview(page, demo_site):
    page.goto((demo_site / SEED).as_uri())
    page.locator(".page-body a.wikilink", has_text="Thinking Machines Lab").first.hover()
    expect(page.locator(".preview .preview-title")).to_have_text("Thinking Machines Lab")
    page.mouse.move(5, 5)
    open_search(page)
    page.keyboard.type("full duplex")
    expect(page.locator(".search-result").first.locator(".search-result-title")).to_have_text("Full-Duplex Interaction")
    page.keyboard.press("Enter")
    page.wait_for_url("**/full-duplex-interaction.html")
    assert page.url.startswith("file://")


def test_nested_pages_from_disk_find_the_index(page, demo_site):
    page.goto((demo_site / "tags" / "model.html").as_uri())
    open_search(page)
    page.keyboard.type("lab")
    first = page.locator(".search-result").first
    expect(first.locator(".search-result-title")).to_have_text("Thinking Machines Lab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/site/entities/thinking-machines-lab.html")


@pytest.mark.parametrize("path", [SEED, "index.html", "special/graph.html", "special/all-pages.html"])
def test_readable_at_375_px(context_factory, site_url, path):
    _, page = context_factory(viewport={"width": 375, "height": 800}, has_touch=True, is_mobile=True)
    page.goto(site_url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16


def test_table_of_contents_links_to_headings(page, site_url):
    page.goto(site_url + SEED)
    toc = page.locator("nav#toc")
    expect(toc.locator("a")).to_have_count(5)
    toc.locator("a", has_text="Availability").click()
    page.wait_for_url("**#availability")
    expect(page.locator("#availability")).to_be_in_viewport()
    expect(toc.locator("a[aria-current=location]")).to_have_text("Availability")  # the section being read
    header_bottom = page.locator(".site-header").bounding_box()["height"]
    assert page.locator("#availability").bounding_box()["y"] >= header_bottom  # not hidden under the sticky header


def test_everything_is_reachable_by_keyboard_with_a_visible_focus(page, site_url):
    page.goto(site_url + SEED)
    seen = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
            if (e === document.body) return null;
            return [e.className && e.className.baseVal !== undefined ? e.className.baseVal : e.className, e.textContent.trim().slice(0, 40),
                    s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 || e.matches('a.graph-node')]; }""")
        if info is None:
            continue
        seen.add(info[0])
        assert info[2], f"no visible focus on {info}"
        if info[1].startswith("Built with"):
            break
    assert {"skip-link", "search-button", "theme-toggle", "graph-node type-concept type-t1", "card-title", "headerlink"} <= seen


def test_search_and_theme_buttons_hidden_without_scripts(context_factory, site_url):
    _, page = context_factory(java_script_enabled=False)
    page.goto(site_url + SEED)
    expect(page.locator(".search-button")).to_be_hidden()
    expect(page.locator(".local-graph a.graph-node").first).to_be_visible()


def test_print_hides_tools_and_graph(page, site_url):
    page.goto(site_url + SEED)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".local-graph")).to_be_hidden()
    expect(page.locator(".page-body")).to_be_visible()
    expect(page.locator("#backlinks")).to_be_visible()
