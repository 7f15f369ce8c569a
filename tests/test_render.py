"""Rendering's one rule for page types: their order (most pages first) and their colours, the same everywhere."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import write_vault
from tests.helpers import build, output

# 14 types: "big" has 3 pages, "mid" 2, then a01 … a12 one each (a tie: by name).
FILES = {
    "Hub.md": "---\ntype: big\n---\nThe hub.\n",
    "Big two.md": "---\ntype: big\n---\n[[Hub]]\n",
    "Big three.md": "---\ntype: big\n---\n[[Hub]]\n",
    "Mid one.md": "---\ntype: mid\n---\n[[Hub]]\n",
    "Mid two.md": "---\ntype: mid\n---\n[[Hub]]\n",
    **{f"Page {i:02}.md": f"---\ntype: a{i:02}\n---\n[[Hub]]\n" for i in range(1, 13)},
}
EXPECTED = {"big": "type-t1", "mid": "type-t2", **{f"a{i:02}": f"type-t{i + 2}" for i in range(1, 11)},
            "a11": "type-t1 type-more", "a12": "type-t2 type-more"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build(write_vault(tmp_path_factory.mktemp("types") / "content", FILES))


def test_twelve_types_get_twelve_colours_by_page_count_then_they_repeat_marked(site):
    from generator.emit.render import type_colour
    assert {t: type_colour(site.wiki, t) for t in EXPECTED} == EXPECTED


def test_a_type_has_the_same_colour_in_badges_cards_both_graphs_and_search(site):
    hub = output(site, "hub.html")
    assert '<span class="type-label type-big type-t1">Big</span>Hub</h1>' in hub  # the page's badge
    for type_name, colour in EXPECTED.items():
        label = type_name[0].upper() + type_name[1:]
        assert f'<span class="type-label type-{type_name} {colour}">{label}</span>' in hub  # its backlinks' cards
    nodes = re.findall(r'class="graph-node (?:graph-center )?type-(\w+) ([\w -]+?)"', hub)
    assert nodes and all(EXPECTED[t] == colour for t, colour in nodes)  # the local graph
    graph = json.loads(output(site, "graph-data.js")[len("window.KBWIKI_GRAPH="):-2])
    assert dict(zip(graph["types"], graph["type_colours"])) == EXPECTED  # the global graph
    search = json.loads(output(site, "search/meta.js")[len('window.KBWIKI_SHARD("meta",0,'):-3])
    assert dict(zip(search["types"], search["type_colours"])) == EXPECTED  # search results and previews
    legend = output(site, "special/graph.html")
    assert re.findall(r'legend-dot type-(\w+) ([\w -]+?)"', legend) == list(EXPECTED.items())  # most pages first


def test_the_header_names_the_five_biggest_types_and_the_rest_under_a_menu(site):
    header = output(site, "hub.html").split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    shown, _, menu = header.partition('<li class="nav-more">')
    assert re.findall(r'<a href="types/([\w-]+)\.html">', shown) == ["big", "mid", "a01", "a02", "a03"]
    assert "<summary>More types</summary>" in menu
    assert re.findall(r'<a href="types/([\w-]+)\.html">', menu) == [f"a{i:02}" for i in range(4, 13)]
    assert '<a href="types/a04.html">A04</a> <span class="count">1</span>' in menu


def test_few_types_need_no_menu(make_vault):
    page = output(build(make_vault({"A.md": "---\ntype: one\n---\n[[B]]\n", "B.md": "---\ntype: two\n---\n"})), "a.html")
    assert "nav-more" not in page and '<a href="types/one.html">One</a>' in page


def test_the_theme_fingerprint_is_remembered_by_stat_and_follows_every_change(tmp_path):
    import os
    import time
    from generator.config import Config
    from generator.emit import theme
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "page.html").write_text("one")
    old = time.time_ns() - 10 * theme.RACY_NS
    os.utime(mine / "page.html", ns=(old, old))
    config = Config(templates_dir=mine)
    first = theme.theme_fingerprint(config)
    assert theme.theme_fingerprint(config) == first and first in theme._fingerprints.values()  # remembered
    (mine / "page.html").write_text("two")  # same size; its times move on
    os.utime(mine / "page.html", ns=(old, old))  # even with the old modification time put back (ctime moves)
    assert theme.theme_fingerprint(config) != first


def test_a_theme_read_as_text_renders_every_page_as_the_theme_folders_do(make_vault, tmp_path):
    """ThemeSources (what a Dask worker renders with, having no theme folder) against the folders themselves: a
    user theme over the default, with its own card partial and a template with Windows line ends."""
    from generator.build.pipeline import analyse
    from generator.config import Config
    from generator.emit.pages import render_page
    from generator.emit.render import Renderer
    from generator.emit.theme import theme_sources
    mine = tmp_path / "theme"
    (mine / "partials").mkdir(parents=True)
    (mine / "partials" / "card.html").write_bytes(b'<li class="mine">{{ card.title }}\r\n</li>\r\n')
    (mine / "assets").mkdir()
    (mine / "assets" / "extra.css").write_text("p {}")
    content = make_vault({"a.md": "# A\n\nSee [[B]].\n", "b.md": "---\nrelated: [A]\n---\n# B\n\nSee [[A]].\n"})
    config = Config(content_dir=content, out_dir=tmp_path / "site", templates_dir=mine)
    wiki, _ = analyse(config)
    sources = theme_sources(config)
    names = dict(sources.templates)
    assert "page.html" in names and "partials/card.html" in names and sources.own_card
    assert not any(name.startswith(("assets/", "archetypes/")) for name in names)  # the driver copies those
    assert names["partials/card.html"].endswith("\r\n</li>\r\n")  # byte for byte, as Jinja's file loader reads it
    here, there = Renderer(config, wiki), Renderer(config, wiki, sources)
    assert there.fingerprint == here.fingerprint
    for slug, entry in sorted(wiki.entries.items()):
        local, remote = render_page(wiki, here, entry), render_page(wiki, there, entry)
        assert (remote.data, remote.key) == (local.data, local.key), slug
        assert b'class="mine"' in local.data or not wiki.graph.backlinks(slug)


def test_the_card_memo_starting_again_changes_no_byte(monkeypatch):
    from generator.emit import render
    from tests.conftest import DEMO
    whole = {o.out_path: o.data for o in build(DEMO).outputs}
    monkeypatch.setattr(render, "CARD_MEMO", 2)  # cleared every other card
    assert {o.out_path: o.data for o in build(DEMO).outputs} == whole


def test_a_card_remade_with_its_html_and_context_keeps_every_other_field():
    import dataclasses
    from generator.emit.render import Card, CardContext, _card_with
    card = Card("entity", "Entity", "Title", "a/b.html", "Summary", "reason", 3, colour="type-t2")
    context = CardContext("before ", "mark", " after", "and 1 more", True)
    made = _card_with(card, "<li>drawn</li>", context)
    assert made == dataclasses.replace(card, html="<li>drawn</li>", context=context)
    assert {f.name for f in dataclasses.fields(Card)} == {"type", "type_label", "title", "url", "summary", "reason", "count",
                                                           "html", "colour", "context"}  # _card_with passes each one


def test_a_backlink_card_drawn_from_its_plain_card_is_the_card_drawn_whole():
    """card_html_with(): a card with a context, made from the same card drawn without one, is card_html() of it."""
    import itertools

    import markupsafe

    from generator.emit.render import Card, CardContext, _card_with, card_html, card_html_with
    for summary, context in itertools.product(["", "S & <s>"], [
            CardContext("a <b", "M&M", "'c'", "", True), CardContext("", "", "", "and 2 more", True),
            CardContext("x", "y", "z", "and 1 more", False), CardContext('"q"', "", "", "", False)]):
        plain = Card("entity", "Entity <x>", "Title & co", "a/b.html?x=1&y=2", summary, "", 3, colour="type-t2")
        drawn = card_html(plain)
        made = card_html_with(drawn, context)
        assert made == card_html(_card_with(plain, markupsafe.Markup(), context))
        assert type(made) is markupsafe.Markup


def test_card_escaping_is_markupsafes_to_the_byte():
    """card_html's own escaper writes exactly what markupsafe.escape writes, for text holding every character it
    replaces (and for a value that is already markup, which markupsafe leaves as it is)."""
    import random

    import markupsafe

    from generator.emit.render import _escape
    rng = random.Random(16)
    alphabet = "&<>'\"aé €\n;#x"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _escape(text) == str(markupsafe.escape(text))
    assert _escape(markupsafe.Markup("<b>&amp;</b>")) == "<b>&amp;</b>"
    assert _escape(7) == "7"


def test_render_key_bytes_depend_on_values_not_on_which_objects_hold_them():
    """key_bytes() (what Renderer.key() hashes): the same values, shared or not, give the same bytes; a pickle's
    memo would write a string met twice as a reference the second time."""
    from generator.emit.render import key_bytes
    title = "".join(["Ti", "tle"])  # made at run time: not the interned literal
    shared = ("a.html", [(title, title), (title, 1)])
    apart = ("a.html", [("Title", "".join(["Tit", "le"])), ("".join(["T", "itle"]), 1)])
    assert shared == apart and key_bytes(shared) == key_bytes(apart)
    assert len({key_bytes(("x", v)) for v in (1, True, "1", 1.0, None, (1,), [1])}) == 7
