"""Long lists stay readable: a page shows its first backlinks and links to their full list (every page with a
backlink has one: it shows how each links there); listings of a type,
a tag or a page's backlinks are split into pages (tags/ai.html, tags/ai/2.html, …) with a pager."""

from __future__ import annotations

import re

import pytest

from generator.config import ConfigError, load_config
from generator.emit.listings import pages_of
from generator.paths import listing_page_path
from tests.helpers import build, output
from tests.sitecheck import assert_site_links

HUB = "---\ntitle: Hub\ntype: concept\ntags: [core]\n---\n# Hub\n\nEveryone links here.\n"


def _vault(count: int) -> dict[str, str]:
    pages = {"hub.md": HUB}
    for i in range(count):  # titles sort as numbers do: Page 00, Page 01, …
        pages[f"notes/p{i:02d}.md"] = (f"---\ntitle: Page {i:02d}\ntype: concept\ntags: [core]\nsummary: Page number {i}\n---\n"
                                       f"Links to [[Hub]].\n")
    return pages


def _cards(html: str) -> list[str]:
    main = html.split("<main")[1].split("</main>")[0]
    return re.findall(r'<a class="card-title" href="[^"]+">([^<]+)</a>', main)


def _section(html: str, name: str) -> str:
    return html.split(f'id="{name}"')[1].split("</section>")[0]


@pytest.fixture
def site(make_vault, tmp_path):
    return build(make_vault(_vault(7)), tmp_path / "site", backlinks_shown=3, listing_page_size=2)


def test_a_page_shows_its_first_backlinks_their_count_and_a_link_to_all(site):
    backlinks = _section(output(site, "hub.html"), "backlinks")
    assert '<a href="links-here/hub.html">7 articles link here</a></h2>' in backlinks
    assert re.findall(r'class="card-title" href="[^"]+">([^<]+)<', backlinks) == ["Page 00", "Page 01", "Page 02"]
    assert '<a href="links-here/hub.html">All 7 articles that link here</a> (the first 3 are above)' in backlinks


def test_the_full_list_covers_every_backlink_once_in_title_order_over_pages(site):
    pages = [output(site, "links-here/hub.html")] + [output(site, f"links-here/hub/{n}.html") for n in (2, 3, 4)]
    assert [_cards(html) for html in pages] == [["Page 00", "Page 01"], ["Page 02", "Page 03"],
                                                ["Page 04", "Page 05"], ["Page 06"]]
    assert "links-here/hub/5.html" not in {o.out_path for o in site.outputs}
    assert '7 pages link to <a href="../hub.html">Hub</a>.' in pages[0]
    assert '7 pages link to <a href="../../hub.html">Hub</a>.' in pages[2]
    assert "<title>Pages that link to Hub (page 3 of 4)" in pages[2]


def test_the_pager_links_first_previous_next_and_last_relative_to_each_page(site):
    def pager(html):
        nav = html.split('<nav class="pager"')[1].split("</nav>")[0]
        return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav), re.search(r"Page (\d+) of (\d+)", nav).groups()

    assert pager(output(site, "links-here/hub.html")) == ([("hub/2.html", "Next ›"), ("hub/4.html", "Last »")], ("1", "4"))
    assert pager(output(site, "links-here/hub/2.html")) == ([("../hub.html", "‹ Previous"), ("3.html", "Next ›"),
                                                             ("4.html", "Last »")], ("2", "4"))
    assert pager(output(site, "links-here/hub/4.html")) == ([("../hub.html", "« First"), ("3.html", "‹ Previous")], ("4", "4"))


def test_type_and_tag_listings_are_paginated_too(site):
    outs = {o.out_path for o in site.outputs}
    assert {"types/concept.html", "types/concept/2.html", "types/concept/4.html", "tags/core.html", "tags/core/4.html"} <= outs
    assert "types/concept/5.html" not in outs  # 8 pages, 2 a page
    every = [c for n in (1, 2, 3, 4) for c in _cards(output(site, listing_page_path("tags/core.html", n)))]
    assert every == ["Hub"] + [f"Page {i:02d}" for i in range(7)]
    assert "8 pages tagged core." in output(site, "tags/core/3.html")


def test_every_url_of_a_paginated_site_resolves_from_disk(site, tmp_path):
    assert assert_site_links(tmp_path / "site") >= 8 + 4 + 4 + 4


def test_a_short_list_is_shown_whole_on_one_page(make_vault):
    site = build(make_vault(_vault(3)), backlinks_shown=3, listing_page_size=4)
    html = output(site, "hub.html")
    assert '<a href="links-here/hub.html">3 articles link here</a></h2>' in html and "All 3 articles" not in html
    outs = {o.out_path for o in site.outputs}
    assert [o for o in outs if o.startswith("links-here/")] == ["links-here/hub.html"]  # the full list, with contexts
    assert "types/concept/2.html" not in outs
    assert 'class="pager"' not in output(site, "types/concept.html")


def test_zero_means_no_limit(make_vault):
    site = build(make_vault(_vault(7)), backlinks_shown=0, listing_page_size=0)
    assert len(re.findall('class="card-title"', _section(output(site, "hub.html"), "backlinks"))) == 7
    assert [o.out_path for o in site.outputs if o.out_path.startswith("links-here/")] == ["links-here/hub.html"]
    assert not any("/concept/" in o.out_path for o in site.outputs)


def test_the_defaults_show_a_hundred_backlinks_and_five_hundred_cards_a_listing_page():
    config = load_config(None)
    assert (config.backlinks_shown, config.listing_page_size) == (100, 500)


def test_a_bad_setting_names_the_file_and_the_key(tmp_path):
    (tmp_path / "kbwiki.yaml").write_text("listing_page_size: -1\n")
    with pytest.raises(ConfigError, match=r"kbwiki.yaml: 'listing_page_size' must be a whole number >= 0"):
        load_config(tmp_path / "kbwiki.yaml")


@pytest.mark.parametrize("count, size, spans", [
    (0, 2, [(0, 0)]), (2, 2, [(0, 2)]), (3, 2, [(0, 2), (2, 3)]), (5, 0, [(0, 5)]), (4, 2, [(0, 2), (2, 4)]),
])
def test_pages_of_splits_without_gaps_or_overlaps(count, size, spans):
    assert pages_of(count, size) == spans


def test_a_to_z_pages_keep_letter_headings_and_link_each_letter_where_it_starts(make_vault, tmp_path):
    titles = ["Alpha 1", "Alpha 2", "Alpha 3", "Beta 1", "Beta 2", "Gamma 1", "9 Lives"]
    vault = {f"p{i}.md": f"---\ntitle: {title}\n---\nText.\n" for i, title in enumerate(titles)}
    site = build(make_vault(vault), tmp_path / "site", listing_page_size=3)
    pages = [output(site, "special/all-pages.html"), output(site, "special/all-pages/2.html"), output(site, "special/all-pages/3.html")]
    assert [_cards(html) for html in pages] == [["9 Lives", "Alpha 1", "Alpha 2"], ["Alpha 3", "Beta 1", "Beta 2"], ["Gamma 1"]]
    assert [re.findall(r'<h2 id="(letter-\d)">([^<]+)</h2>', html) for html in pages] == [
        [("letter-1", "#"), ("letter-2", "A")], [("letter-2", "A"), ("letter-3", "B")], [("letter-4", "G")]]
    letters = pages[1].split('<nav class="letters"')[1].split("</nav>")[0]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', letters) == [
        ("../all-pages.html#letter-1", "#"), ("../all-pages.html#letter-2", "A"), ("#letter-3", "B"), ("3.html#letter-4", "G")]
    assert assert_site_links(tmp_path / "site") >= len(titles) + 3


def test_orphans_are_paginated(make_vault):
    site = build(make_vault({f"p{i}.md": f"# Lonely {i}\n\nNo links.\n" for i in range(5)}), listing_page_size=2)
    assert [_cards(output(site, path)) for path in ("special/orphans.html", "special/orphans/2.html", "special/orphans/3.html")] == [
        ["Lonely 0", "Lonely 1"], ["Lonely 2", "Lonely 3"], ["Lonely 4"]]


def test_backlink_lists_are_drawn_in_batches_that_cover_each_page_once(make_vault, monkeypatch):
    from generator.config import Config
    from generator.emit import listings
    from generator.wiki.gather import gather
    from generator.build.pipeline import load
    monkeypatch.setattr(listings, "BATCH_CARDS", 3)
    content = make_vault(_vault(7))
    config = Config(content_dir=content, listing_page_size=2)
    wiki, _ = gather(config, load(config)[0])
    batches = listings.backlink_batches(wiki, config)
    assert [page for batch in batches for page in batch] == listings.backlink_listings(wiki, config)
    assert batches == [[("hub", 1)], [("hub", 2)], [("hub", 3), ("hub", 4)]]  # 2, 2, then 2 + 1 cards: 3 at most


def test_tag_listings_are_drawn_in_batches_that_cover_each_tag_once(make_vault, monkeypatch, tmp_path):
    from generator.config import Config
    from generator.emit import listings
    from generator.wiki.gather import gather
    from generator.build.pipeline import load
    pages = {f"p{i}.md": f"---\ntitle: P{i}\ntags: [{', '.join(f't{j}' for j in range(i % 4 + 1))}, own{i}]\n---\nHi.\n"
             for i in range(9)}
    content = make_vault(pages)
    config = Config(content_dir=content, listing_page_size=2)
    wiki, _ = gather(config, load(config)[0])
    monkeypatch.setattr(listings, "BATCH_CARDS", 4)
    batches = listings.tag_batches(wiki)
    assert [tag for batch in batches for tag in batch] == list(wiki.tags().items())
    assert all(sum(len(s) for _, s in batch) <= 4 or len(batch) == 1 for batch in batches) and len(batches) > 3
    site = build(content, listing_page_size=2)  # every tag's pages, batched or one job a tag, the same files
    monkeypatch.setattr(listings, "BATCH_CARDS", 0)
    one_a_tag = build(content, listing_page_size=2)
    tags = sorted(o.out_path for o in site.outputs if o.out_path.startswith("tags/"))
    assert len(tags) > 9 and tags == sorted(o.out_path for o in one_a_tag.outputs if o.out_path.startswith("tags/"))
    assert [output(site, p) for p in tags] == [output(one_a_tag, p) for p in tags]
