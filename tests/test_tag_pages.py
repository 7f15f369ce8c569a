"""Tags and types whose names share one listing page ("AI" and "ai") are one listing, not a failed build."""

from tests.helpers import build, output


def test_spellings_of_one_tag_share_one_page(make_vault, tmp_path):
    content = make_vault({
        "a.md": "---\ntitle: A\ntags: [AI, ml]\ntype: Machine learning\n---\nA.\n",
        "b.md": "---\ntitle: B\ntags: [ai, AI]\ntype: machine-learning\n---\nB.\n",
    })
    site = build(content, tmp_path / "site")  # writing refuses two outputs for one path
    paths = [o.out_path for o in site.outputs]
    assert len(paths) == len(set(paths))
    listing = output(site, "tags/ai.html")
    assert listing.count('class="card"') == 2
    assert output(site, "types/machine-learning.html").count('class="card"') == 2
    assert list(site.wiki.tags()) == ["AI", "ml"]
