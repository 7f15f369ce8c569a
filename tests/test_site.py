"""End to end: the demo wiki and small vaults, built in memory and on disk."""

import json

from generator.config import Config
from generator.build.pipeline import build_site
from tests.conftest import DEMO
from tests.helpers import build, output

SEED = "entities/thinking-machines-interaction-model.html"


def cards(html: str, section: str) -> list[str]:
    """Card titles inside <section id=section>, in order."""
    part = html.split(f'<section id="{section}"', 1)[1].split("</section>", 1)[0]
    return [chunk.split(">", 1)[1].split("<", 1)[0] for chunk in part.split('class="card-title"')[1:]]


def test_seed_page_shows_the_seed_lists():
    site = build(DEMO)
    html = output(site, SEED)
    assert "4 articles link here" in html
    assert cards(html, "backlinks") == ["Claude Opus 4.7", "Interaction Models", "Interactivity Benchmarks", "Thinking Machines Lab"]
    assert cards(html, "related") == ["Interaction Models", "Interactivity Benchmarks", "Full-Duplex Interaction",
                                      "Time-Aligned Micro-Turns", "Turn-Based Interface Bottleneck"]


def test_seed_page_parts():
    html = output(build(DEMO), SEED)
    assert '<span class="type-label type-entity type-t2">Entity</span>Thinking Machines Interaction Model</h1>' in html  # 3 entities: the 2nd palette colour
    for heading in ("What it is", "Headline numbers (May 2026)", "Limitations (acknowledged)", "Availability", "Connections", "Sources"):
        assert f">{heading}<a class=\"headerlink\"" in html
    # summaries are cut at 120 characters with an ellipsis, exactly as the seed shows them
    assert "<p class=\"card-summary\">GA frontier model from Anthropic; direct upgrade to 4.6 at same price; literal instruction following, 1.0–1.35× tokeniz…</p>" in html
    assert "instead of via…</p>" in html


def test_demo_red_link_points_at_its_wanted_entry():
    site = build(DEMO)
    html = output(site, "entities/claude-opus-4-7.html")
    assert '<a class="wikilink missing" href="../special/wanted.html#wanted-claude-opus-4-6" title="Page not found: Claude Opus 4.6">' in html
    wanted = output(site, "special/wanted.html")
    assert 'id="wanted-claude-opus-4-6"' in wanted and "../entities/claude-opus-4-7.html" in wanted
    assert [d.level for d in site.diagnostics if d.code == "broken-link"] == ["warning"]  # a red link: a warning
    assert not [d for d in site.diagnostics if d.level == "error"]  # the demo builds with warnings only


def test_graph_json_schema():
    data = json.loads(output(build(DEMO), "graph.json"))
    page = next(p for p in data["pages"] if p["id"] == "entities/thinking-machines-interaction-model")
    assert page["path"] == "entities/thinking-machines-interaction-model.md"
    assert page["url"] == SEED and page["type"] == "entity"
    assert page["backlinks"] == ["concepts/interaction-models", "concepts/interactivity-benchmarks", "entities/claude-opus-4-7",
                                 "entities/thinking-machines-lab"]
    assert [r["id"] for r in page["related"]][0] == "concepts/interaction-models"
    assert set(page["related"][0]) == {"id", "score", "reason"}
    assert {"source": "entities/claude-opus-4-7", "target": "entities/thinking-machines-interaction-model"} in data["links"]
    assert data["wanted"] == [{"target": "Claude Opus 4.6", "id": "wanted-claude-opus-4-6",
                               "linked_from": [{"id": "entities/claude-opus-4-7", "path": "entities/claude-opus-4-7.md", "line": 15}]}]


def test_generated_pages_exist_with_relative_urls():
    site = build(DEMO)
    paths = {o.out_path for o in site.outputs}
    assert {"index.html", "404.html", "special/all-pages.html", "special/wanted.html", "special/orphans.html",
            "types/entity.html", "types/concept.html", "tags/interaction-models.html", "assets/style.css", "graph.json"} <= paths
    for item in site.outputs:
        if item.out_path.endswith(".html"):
            text = item.data.decode()
            assert 'href="/' not in text and 'src="/' not in text, item.out_path


def test_build_is_deterministic(tmp_path):
    one = {o.out_path: o.data for o in build(DEMO).outputs}
    two = {o.out_path: o.data for o in build(DEMO).outputs}
    assert one == two


def test_home_page_generated_without_index_md(make_vault):
    content = make_vault({"concepts/a.md": "# A\n\nLinks to [[B]].", "concepts/b.md": "# B\n\nText."})
    home = output(build(content), "index.html")
    assert "Concept" in home and "Most linked" in home and 'href="concepts/b.html"' in home


def test_index_md_is_the_home_page(make_vault):
    content = make_vault({"index.md": "# Welcome\n\nSee [[B]].", "b.md": "# B\n\nBack to [[Welcome]]."})
    site = build(content)
    assert "Welcome" in output(site, "index.html")
    assert 'href="index.html"' in output(site, "b.html")


def test_one_title_in_two_folders_is_two_urls(make_vault):
    content = make_vault({"a/x.md": "---\ntitle: Same Name\n---\nA", "b/x.md": "---\ntitle: same name!\n---\nB"})
    site = build(content)
    assert not [d for d in site.diagnostics if d.code.startswith("duplicate")]
    assert {"a/x.html", "b/x.html"} <= {o.out_path for o in site.outputs}


def test_slug_claim_clash_is_an_error_naming_both_files_and_both_pages_build(make_vault):
    content = make_vault({"a/x.md": "---\nslug: same-name\n---\nA", "b/x.md": "---\npermalink: /Same Name/\n---\nB"})
    site = build(content)
    clash = [d for d in site.diagnostics if d.code == "duplicate-slug"]
    assert len(clash) == 1 and clash[0].level == "error" and clash[0].src_path == "b/x.md" and "a/x.md" in clash[0].message
    assert {"same-name.html", "same-name-2.html"} <= {o.out_path for o in site.outputs}


def test_heading_links_and_markdown_links(make_vault):
    content = make_vault({
        "notes/a.md": "# A\n\n[[B#Second Part]] and [to b](../other/b%20page.md) and [[#Local]]\n\n## Local\n",
        "other/b page.md": "# B\n\n## Second Part\n",
    })
    html = output(build(content), "notes/a.html").split('class="page-body"', 1)[1].split("</div>", 1)[0]
    assert 'href="../other/b-page.html#second-part"' in html
    assert html.count('href="../other/b-page.html"') == 1
    assert 'href="#local"' in html


def test_front_matter_links_count_as_links(make_vault):
    content = make_vault({"a.md": "---\ntitle: A\nrelated: [b.id]\n---\nx", "b.md": "---\ntitle: B\nid: b.id\n---\ny"})
    site = build(content)
    assert "1 article links here" in output(site, "b.html")


def test_unreadable_page_is_skipped_and_the_rest_builds(make_vault):
    content = make_vault({"good.md": "# Good\n\n[[Bad]]", "bad.md": b"\xff\xfe\x00\x00"})
    site = build(content)
    assert [d.src_path for d in site.diagnostics if d.code == "binary-file"] == ["bad.md"]
    assert "good.html" in {o.out_path for o in site.outputs}


def test_content_folder_is_never_written(make_vault, tmp_path):
    content = make_vault({"a.md": "# A\n\n[[B]]", "sub/b.md": "---\ntitle: [bad\n---\n"})
    before = {p: p.read_bytes() for p in content.rglob("*") if p.is_file()}
    build(content, tmp_path / "out")
    after = {p: p.read_bytes() for p in content.rglob("*") if p.is_file()}
    assert before == after


def test_related_count_is_configurable():
    site = build_site(Config(content_dir=DEMO, related_count=2))
    assert all(len(v) <= 2 for v in site.wiki.related.values())


def test_tags_differing_in_case_share_one_listing(make_vault):
    content = make_vault({"a.md": "---\ntags: [AI]\n---\nx", "b.md": "---\ntags: [ai, Ai]\n---\ny"})
    site = build(content)
    listing = output(site, "tags/ai.html")
    assert "2 pages tagged AI" in listing
    assert [o.out_path for o in site.outputs].count("tags/ai.html") == 1


def test_wanted_entries_do_not_depend_on_the_order_refs_arrive_in():
    """A rebuild after an edit merges the old wanted refs with the edited page's: the same refs, in any order,
    give the same entries (spelled as the first place spells them; pages before files)."""
    import itertools

    from generator.wiki.model import WantedRef, group_wanted

    refs = [(False, WantedRef("b", "b.md", 3, "foo Bar")), (False, WantedRef("a", "a.md", 9, "Foo bar")),
            (True, WantedRef("a", "a.md", 2, "x.png")), (False, WantedRef("a", "a.md", 1, "Zed"))]
    results = {tuple(group_wanted(list(order))) for order in itertools.permutations(refs)}
    assert len(results) == 1
    (entries,) = results
    assert [(w.target, w.file, [r.src_path for r in w.refs]) for w in entries] == [
        ("Foo bar", False, ["a.md", "b.md"]), ("Zed", False, ["a.md"]), ("x.png", True, ["a.md"])]
    assert entries[2].anchor == "missing-x-png" and entries[0].anchor == "wanted-foo-bar"


def test_links_to_a_folder_and_from_the_root_are_pages_or_red_links(make_vault):
    """`[x](folder/)` names the folder's index page; `[y](/abs/page.md)` a page from the content root. Neither
    is written as it stands (a folder URL or a root-relative one does not work from disk)."""
    content = make_vault({"index.md": "[a](notes/) [b](empty/) [c](/notes/deep.md) [d](/Users/me/AGENTS.md)\n",
                          "notes/index.md": "# Notes\n", "notes/deep.md": "# Deep\n", "empty/page.md": "# P\n"})
    site = build(content)
    body = output(site, "index.html").split('class="page-body"', 1)[1].split("</p>", 1)[0]
    assert 'href="notes/index.html">a</a>' in body and 'href="notes/deep.html">c</a>' in body
    assert body.count('class="wikilink missing"') == 2 and 'href="empty/' not in body and 'href="/' not in body
    assert sorted(w.target for w in site.wiki.wanted) == ["/Users/me/AGENTS", "empty/index"]


def test_a_content_folder_named_like_kbwikis_own_is_written_beside_it(make_vault):
    content = make_vault({"tags/ai.md": "# AI notes\n\n#ai\n", "index.md": "# Home\n\n[[AI notes]]\n"})
    site = build(content)
    [moved] = [d for d in site.diagnostics if d.code == "reserved-folder"]
    assert moved.level == "warning" and moved.src_path == "tags/ai.md" and "tags-2/" in moved.message
    outs = {o.out_path for o in site.outputs}
    assert {"tags-2/ai.html", "tags/ai.html"} <= outs  # the page, and the tag listing it would have replaced
    assert "AI notes" in output(site, "tags-2/ai.html") and 'href="tags-2/ai.html"' in output(site, "index.html")


def test_graph_json_is_made_in_pieces_that_join_to_the_one_document(monkeypatch, tmp_path):
    """graph.json is streamed as it is written (never whole in memory); its bytes are json.dumps of the document,
    compact and sorted, however the pieces fall: on disk, through a CLI build, and in memory."""
    from generator.build.pipeline import analyse
    from generator.emit import graph_json as gj

    monkeypatch.setattr(gj, "PIECE", 3)  # the demo's links and pages fall into many pieces
    config = Config(content_dir=DEMO, out_dir=tmp_path / "site")
    wiki, _ = analyse(config)
    made = gj.graph_json(wiki, config.summary_length)
    assert made.data == b"" and made.stream is not None
    pieces = list(made.pieces())
    assert len(pieces) > 10
    document = json.dumps(gj.graph_data(wiki, config.summary_length), ensure_ascii=False, separators=(",", ":"),
                          sort_keys=True).encode("utf-8") + b"\n"
    assert b"".join(pieces) == document
    assert made.whole().data == document and made.whole().stream is None
    assert output(build(DEMO), "graph.json").encode("utf-8") == document
    from generator.cli import main
    assert main(["build", "--content", str(DEMO), "--out", str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "graph.json").read_bytes() == document
