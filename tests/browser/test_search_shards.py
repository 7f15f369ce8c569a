"""Previews and search on a wiki of 2,000 pages, in real Chromium over HTTP and from file://: each loads only the
shards it needs, finds pages by title, alias, file name and CJK text; and the browser's tokens are Python's."""

from __future__ import annotations

import unicodedata

import pytest
from playwright.sync_api import expect

from benchmarks.corpus import generate, write_kbwiki
from generator.emit.search_terms import CJK_RANGES, shard_of, tokens
from tests.browser.conftest import serve
from tests.helpers import build

pytestmark = pytest.mark.browser

PAGES = 2000
READER = "notes/reader-test.html"
EXTRA = {
    "concepts/ConstitutionalAI.md": "---\ntitle: Constitutional AI\naliases: [CAI method]\ntype: concept\n---\n"
                                    "Training a model against a written constitution.\n",
    "places/tokyo-tower.md": "---\ntitle: 東京タワー\ntype: place\n---\n東京都港区にある電波塔です。\n",
    "notes/reader-test.md": "---\ntitle: Reader test\n---\nSee [[Constitutional AI]] and [[東京タワー]].\n",
}


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    content = write_kbwiki(generate(PAGES, seed=5), tmp_path_factory.mktemp("shards") / "content")
    for path, text in EXTRA.items():
        (content / path).parent.mkdir(parents=True, exist_ok=True)
        (content / path).write_text(text, encoding="utf-8")
    out = content.parent / "site"
    build(content, out)
    return out


@pytest.fixture(scope="module")
def big_url(big_site):
    yield from serve(big_site)


@pytest.fixture(params=["http", "file"])
def base(request, big_site, big_url):
    return big_url if request.param == "http" else big_site.as_uri() + "/"


def loaded_shards(page) -> list[str]:
    return page.evaluate("""Array.from(document.querySelectorAll('script[src]'))
        .map(s => s.getAttribute('src')).filter(s => s.includes('search/')).map(s => s.replace(/^.*search\\//, ''))""")


def test_a_preview_loads_one_shard_of_the_pages(page, base, big_site):
    page.goto(base + READER)
    assert loaded_shards(page) == []  # nothing before a hover
    page.locator(".page-body a.wikilink", has_text="Constitutional AI").hover()
    expect(page.locator(".preview .preview-title")).to_have_text("Constitutional AI")
    expect(page.locator(".preview .preview-summary")).to_contain_text("written constitution")
    previews = sum(1 for p in big_site.joinpath("search").iterdir() if p.name.startswith("preview-"))
    assert previews > 20
    expected = f"preview-{shard_of('concepts/constitutionalai.html', previews)}.js"
    assert loaded_shards(page) == ["meta.js", expected]
    page.mouse.move(5, 5)
    expect(page.locator(".preview")).to_be_hidden()
    page.locator(".page-body a.wikilink", has_text="東京タワー").hover()
    expect(page.locator(".preview .preview-title")).to_have_text("東京タワー")
    assert len(loaded_shards(page)) <= 3


QUERIES = [
    ("Constitutional AI", "Constitutional AI"),  # the title
    ("cai meth", "Constitutional AI"),  # an alias, as you type
    ("ConstitutionalAI", "Constitutional AI"),  # the file name: concepts/ConstitutionalAI.md
    ("constitutionala", "Constitutional AI"),  # the start of the file name
    ("電波塔", "東京タワー"), ("東京", "東京タワー"),
]


def test_search_finds_by_title_alias_file_name_and_cjk(page, base):
    page.goto(base + READER)
    for query, title in QUERIES:
        titles = page.evaluate("q => kbwiki.search(q).then(rs => rs.map(r => r.page.title))", query)
        assert titles and titles[0] == title, query
    shards = loaded_shards(page)
    assert sum(s.startswith("preview-") for s in shards) == 0
    assert sum(s.startswith("terms-") for s in shards) <= sum(len(set(tokens(q))) for q, _ in QUERIES)


def test_search_in_the_dialog_from_disk_and_over_http(page, base):
    page.goto(base + READER)
    page.keyboard.press("/")
    page.keyboard.type("ConstitutionalAI")
    first = page.locator(".search-result").first
    expect(first.locator(".search-result-title")).to_have_text("Constitutional AI")
    page.keyboard.press("Enter")
    page.wait_for_url("**/concepts/constitutionalai.html")


def test_a_one_letter_query_reads_one_term_shard(page, big_url):
    page.goto(big_url + READER)
    results = page.evaluate("kbwiki.search('c').then(rs => rs.map(r => [r.page.title, r.tier]))")
    assert len(results) == 20 and all(tier == 1 for _, tier in results)  # title matches first
    assert sum(s.startswith("terms-") for s in loaded_shards(page)) == 1


# Strings where folding, word splitting and CJK pairs could differ between the two tokenizers.
TRICKY = [
    "Hello, World!", "Café CAFÉS naïve ÀÉÎÕÜ", "snake_case kebab-case CamelCase", "東京タワー", "北", "AI東京2024年",
    "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "한국어 텍스트", "İstanbul ǅemal ß ﬁ ﬀ", "Ελληνικά ΣΊΣΥΦΟΣ", "Привет, мир",
    "x² ½ ⅷ ① ❶", "emoji 🙂 text", "ａｂｃ漢字かなカナ", "ｶﾀｶﾅ ﾊﾟﾝ", "مرحبا بالعالم", "हिन्दी", "ไทย ภาษา",
    "tab\tnew\nline", "o'clock don't", "e\u0301 a\u0300", "\u3005\u3007 \u30fc\u30fd", "𠀀𠀁 𪚲",
    # each end of every CJK range and its neighbours (those Python's Unicode tables know: Chromium's are newer)
    "".join(chr(c) for a, b in CJK_RANGES for c in (a - 1, a, b, b + 1) if unicodedata.category(chr(c)) not in ("Cn", "Cs")),
]


def test_the_browser_tokenizes_as_the_build_does(page, big_url):
    page.goto(big_url + READER)
    found = page.evaluate("texts => texts.map(t => kbwiki.tokens(t))", TRICKY)
    assert found == [tokens(text) for text in TRICKY]
    keys = ["a", "con", "東京", "𠀀x", "ﬁ"]
    assert page.evaluate("keys => keys.map(k => kbwiki.shardOf(k, 97))", keys) == [shard_of(k, 97) for k in keys]
