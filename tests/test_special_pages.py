"""The Wanted pages and Orphans pages: what check finds that a reader cares about, linked from every footer."""

from __future__ import annotations

import re

import pytest

from tests.helpers import build, output

VAULT = {
    "index.md": "# Home\n\nSee [[Linked]] and [[Missing Page]].\n",
    "linked.md": "# Linked\n\nAlso [[Missing Page]] and [[Another Gap]].\n",
    "lonely.md": "# Lonely\n\nNobody links here.\n",
    "deep/stray.md": "# Stray\n\n[[Linked]]\n",
}


@pytest.fixture
def site(make_vault):
    return build(make_vault(VAULT))


def _cards(html):
    return re.findall(r'<a class="card-title" href="([^"]+)">([^<]+)</a>', html.split("<main")[1].split("</main>")[0])


def test_wanted_page_lists_targets_and_who_links_there(site):
    html = output(site, "special/wanted.html")
    missing = html.split('id="wanted-missing-page"')[1].split("</li>\n  </li>")[0]
    assert 'href="../index.html">Home</a> <code>index.md:3</code>' in missing
    assert 'href="../linked.html">Linked</a> <code>linked.md:3</code>' in missing
    assert 'id="wanted-another-gap"' in html
    assert "2 pages linked to but not written yet" in html


def test_orphans_page_lists_orphans_but_not_home(site):
    assert _cards(output(site, "special/orphans.html")) == [("../lonely.html", "Lonely"), ("../deep/stray.html", "Stray")]


@pytest.mark.parametrize("page, folder", [("index.html", "special/"), ("linked.html", "special/"), ("special/wanted.html", ""),
                                          ("types/page.html", "../special/"), ("special/all-pages.html", "")])
def test_every_footer_links_both(site, page, folder):
    # No counts in the footer: one new red link would otherwise change every page of the site.
    footer = output(site, page).split('<footer class="site-footer"')[1]
    assert f'<a href="{folder}wanted.html">Wanted pages</a>' in footer
    assert f'<a href="{folder}orphans.html">Orphaned pages</a>' in footer
