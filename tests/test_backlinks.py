"""Backlinks with context (emit/backlinks.py): the sentence that links here on links-here/ pages, in the backlink
cards' preview data and, with `backlink_context: true`, on the page; escaped; part of the render keys; an edit of
a linking sentence re-renders what shows it and equals a cold build."""

import re
import shutil

import pytest

from generator.build.session import Session, run_build
from generator.config import Config, load_config
from tests.conftest import DEMO
from tests.helpers import build, elements, output

PAGES = {
    "hub.md": "---\ntitle: Hub\n---\n# Hub\n\nThe hub.\n",
    "a.md": "---\ntitle: Alpha\n---\n# Alpha\n\nFirst sentence. Alpha builds on the [[Hub|hub page]] daily. Last one.\n\n"
            "Again [[Hub]] here, and [[Hub]] there.\n",
    "b.md": "---\ntitle: Beta\nrelated: ['[[Hub]]']\n---\n# Beta\n\nNo link in the text.\n",
    "c.md": "---\ntitle: Gamma\n---\n# Gamma\n\n- Says \"<b>bold</b>\" & more about [[Hub]] <script>x</script>\n",
}


def section(html: str, name: str) -> str:
    return html.split(f'id="{name}"')[1].split("</section>")[0]


def contexts(html: str) -> list[str]:
    """The visible contexts of a page's cards, the mark shown as [..]."""
    found = re.findall(r'<p class="card-context">(.*?)</p>', html)
    return [re.sub(r"</?mark>", lambda m: "]" if "/" in m.group() else "[", re.sub(r"<span[^>]*>|</span>", "", c)) for c in found]


@pytest.fixture(scope="module")
def vault(tmp_path_factory):
    from tests.conftest import write_vault
    return write_vault(tmp_path_factory.mktemp("backlinks") / "content", PAGES)


def test_links_here_lists_each_backlink_with_its_sentence(vault):
    html = output(build(vault), "links-here/hub.html")
    assert contexts(html) == ["Alpha builds on the [hub page] daily. and 2 more",
                              "listed under related:",
                              'Says &#34;bold&#34; &amp; more about [Hub] x']  # tags go, their text stays


def test_the_page_links_its_count_to_the_full_list_and_keeps_the_plain_cards(vault):
    html = output(build(vault), "hub.html")
    backlinks = section(html, "backlinks")
    assert '<a href="links-here/hub.html">3 articles link here</a></h2>' in backlinks
    assert 'class="card-context"' not in backlinks  # backlink_context is off by default: type, title, summary
    cards = [attrs for tag, attrs in elements(backlinks) if tag == "li"]
    assert [(c["data-context-before"], c["data-context-mark"], c["data-context-after"], c["data-context-more"]) for c in cards] == [
        ("Alpha builds on the ", "hub page", " daily.", "and 2 more"),
        ("listed under related:", "", "", ""),
        ('Says "bold" & more about ', "Hub", " x", "")]
    assert "<script>x" not in html and "<b>bold" not in html


def test_backlink_context_true_shows_them_on_the_page(vault):
    html = output(build(vault, backlink_context=True), "hub.html")
    assert contexts(section(html, "backlinks"))[0] == "Alpha builds on the [hub page] daily. and 2 more"


def test_the_setting_is_read_from_kbwiki_yaml(tmp_path):
    (tmp_path / "kbwiki.yaml").write_text("backlink_context: true\n")
    assert load_config(tmp_path / "kbwiki.yaml").backlink_context and not Config().backlink_context


def test_a_changed_sentence_changes_the_render_key_of_the_page_it_links(vault, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(vault, content)
    before = build(content).keys["hub.html"]
    page = content / "a.md"
    page.write_text(page.read_text().replace("builds on", "rests on"))
    assert build(content).keys["hub.html"] != before


def test_an_edit_of_a_linking_sentence_renders_its_targets_again_and_equals_a_cold_build(tmp_path):
    from tests.test_build import cold, tree
    content = tmp_path / "content"
    shutil.copytree(DEMO, content)
    config = Config(content_dir=content, out_dir=tmp_path / "site", backlinks_shown=1, listing_page_size=2)
    session = Session(config, cache_dir=tmp_path / "cache", remember=True)
    session.build()
    page = content / "concepts" / "time-aligned-micro-turns.md"
    old = "Removes the single-thread turn structure blamed in the"
    page.write_text(page.read_text().replace(old, "Does away with the one-thread turn structure blamed in the"))
    result = session.build({"concepts/time-aligned-micro-turns.md"})
    # the page alone: the page it links to shows one backlink, another one; its full list shows the sentence
    assert (result.parsed, result.rendered) == (1, 1)
    lists = tmp_path / "site" / "links-here" / "concepts"
    listed = [p.read_text() for p in [lists / "turn-based-interface-bottleneck.html", *lists.glob("turn-based-interface-bottleneck/*")]]
    assert len(listed) > 1 and sum("Does away with the one-thread turn structure" in html for html in listed) == 1
    assert tree(tmp_path / "site") == cold(content, tmp_path, "cold", backlinks_shown=1, listing_page_size=2)


def test_a_cli_build_after_such_an_edit_starts_from_the_saved_state_and_equals_a_cold_build(tmp_path):
    from tests.test_build import cold, tree
    content = tmp_path / "content"
    shutil.copytree(DEMO, content)
    config = Config(content_dir=content, out_dir=tmp_path / "site", backlink_context=True)
    run_build(config, cache_dir=tmp_path / "cache")
    page = content / "entities" / "thinking-machines-lab.md"
    page.write_text(page.read_text().replace("introduced [[Interaction Models]]", "first showed [[Interaction Models]]"))
    result = run_build(config, cache_dir=tmp_path / "cache")
    assert (result.parsed, result.rendered) == (1, 3)  # the page and the two it links to in that sentence
    target = (tmp_path / "site" / "concepts" / "interaction-models.html").read_text()
    assert "first showed <mark>Interaction Models</mark>" in target
    assert tree(tmp_path / "site") == cold(content, tmp_path, "cold", backlink_context=True)


@pytest.mark.parametrize("hub_links", [None, 1, 3])
def test_link_context_is_the_first_link_with_text_else_the_first_found(make_vault, monkeypatch, hub_links):
    """link_context() against the rule written out: every link of the source to the target, the first context
    with text among them, else the first context at all; `more` counts the other links. The same for a page
    of many links (`hub_links`: as if every page, or those of 3 links or more, had HUB_LINKS of them)."""
    from generator.build.pipeline import analyse
    from generator.emit import backlinks
    from generator.emit.backlinks import Shown, link_context
    from generator.parse.context import context_of
    from generator.wiki.model import lean
    if hub_links is not None:
        monkeypatch.setattr(backlinks, "HUB_LINKS", hub_links)
    content = make_vault({
        "a.md": "---\ntitle: A\nlinks: [B]\n---\nSee [[B]] here.\n\nAgain [[B|bee]] and [[C]].\n\n| [[B]] |\n| --- |\n",
        "b.md": "---\ntitle: B\n---\nBack to [[A]].\n",
        "c.md": "---\ntitle: C\nrelated: [A]\n---\n- [[A]]\n- [[B]] and [[A]]\n",
        "d.md": "---\ntitle: D\nlinks: [A, B]\n---\n" + "".join(f"[[{t}]] {i}.\n\n" for i, t in enumerate("ABCAB" * 20)),
    })
    wiki, _ = analyse(Config(content_dir=content, out_dir=content.parent / "site"))
    if hub_links == 3:
        wiki.entries.update({slug: lean(entry) for slug, entry in wiki.entries.items()})  # as rendered: readable()

    def reference(source, target):
        entry = wiki.entries[source]
        indices = [i for i, link in enumerate(entry.links) if link.slug == target]
        more = max(len(indices) - 1, 0)
        if not entry.parsed.contexts or not indices:
            return Shown(None, more)
        found = [c for c in (context_of(entry.parsed.contexts, i) for i in indices) if c is not None]
        return Shown(next((c for c in found if c.text), found[0] if found else None), more)
    pairs = [(s, t) for s in wiki.entries for t in wiki.entries]
    assert any(link_context(wiki, s, t).more for s, t in pairs)
    assert [link_context(wiki, s, t) for s, t in pairs] == [reference(s, t) for s, t in pairs]
