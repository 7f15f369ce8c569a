"""Link extraction and the Resolver's documented precedence."""

import pytest

from generator.config import Config
from generator.parse.content import parse_page
from generator.parse.links import LinkRef, extract_links, split_wiki_target
from generator.wiki.resolve import Resolver, Suggester
from generator.paths import slugify


@pytest.mark.parametrize("inner, parts", [
    ("Target", ("Target", "", "")),
    ("Target|label", ("Target", "", "label")),
    ("Target#Heading", ("Target", "Heading", "")),
    ("Target#Heading|label", ("Target", "Heading", "label")),
    ("Target\\|label", ("Target", "", "label")),
    ("#Heading", ("", "Heading", "")),
])
def test_split_wiki_target(inner, parts):
    assert split_wiki_target(inner) == parts


def test_extract_links_positions_and_code_is_skipped():
    body = "\n".join([
        "See [[Alpha]] and [[Beta|b]].",             # line 3 (body starts at line 3)
        "Code `[[Not A Link]]` and [md](other%20page.md#sec).",
        "```",
        "[[Inside Fence]]",
        "```",
        "External [x](https://example.org/a.md) and [img](pic.png).",
    ])
    refs = extract_links(body, body_line=3, src_path="notes/here.md")
    assert [(r.target, r.fragment, r.line, r.column, r.syntax) for r in refs] == [
        ("Alpha", "", 3, 5, "wiki"),
        ("Beta", "", 3, 19, "wiki"),
        ("other page.md", "sec", 4, 27, "markdown"),
        ("pic.png", "", 8, 44, "markdown"),  # a link to a file of the vault: it is copied into the site
    ]
    assert refs[2].base == "notes"


def pages(*specs):
    out = []
    for path, text in specs:
        page, _ = parse_page(path, text, Config())
        out.append(page)
    return out


@pytest.fixture
def resolver():
    ps = pages(
        ("people/ada-lovelace.md", "---\ntitle: Ada Lovelace\naliases: [Countess]\nid: p.ada\n---\n"),
        ("people/babbage.md", "---\ntitle: Charles Babbage\n---\n"),
        ("machines/engine.md", "---\ntitle: Analytical Engine\n---\n"),
        ("engine.md", "---\ntitle: Root Engine\n---\n"),
        ("a/dup.md", "---\ntitle: Twin\n---\n"),
        ("b/c/dup.md", "---\ntitle: Twin\n---\n"),
        ("Countess.md", "---\ntitle: A page named like an alias\n---\n"),
    )
    return Resolver(ps, {p.src_path: slugify(p.title) for p in ps})


@pytest.mark.parametrize("target, expected, rule", [
    ("people/babbage", "people/babbage.md", "path"),
    ("people/babbage.md", "people/babbage.md", "path"),
    ("p.ada", "people/ada-lovelace.md", "id"),
    ("ada lovelace", "people/ada-lovelace.md", "title"),
    ("ADA   LOVELACE", "people/ada-lovelace.md", "title"),
    ("Countess", "Countess.md", "path"),   # a root file's path beats another page's alias
    ("babbage", "people/babbage.md", "stem"),
    ("engine", "engine.md", "path"),       # root path beats the stem of machines/engine.md
    ("charles-babbage", "people/babbage.md", "slug"),
    ("Nobody", None, ""),
])
def test_resolution_precedence(resolver, target, expected, rule):
    found = resolver.resolve(LinkRef(target), "people/babbage.md")
    assert (found.src_path, found.rule) == (expected, rule)


def test_ambiguous_target_goes_to_shortest_path_and_is_reported(resolver):
    found = resolver.resolve(LinkRef("Twin"), "x.md")
    assert found.src_path == "a/dup.md"
    assert found.ambiguous and set(found.candidates) == {"a/dup.md", "b/c/dup.md"}


def test_markdown_link_resolves_relative_to_its_page(resolver):
    ref = LinkRef("../machines/engine.md", syntax="markdown", base="people")
    assert resolver.resolve(ref, "people/babbage.md").src_path == "machines/engine.md"


def test_empty_target_is_the_page_itself(resolver):
    assert resolver.resolve(LinkRef("", "Heading"), "engine.md").src_path == "engine.md"


def test_suggestions(resolver):
    assert Suggester(resolver).suggest("Charles Babage")[0] == "Charles Babbage"
    assert Suggester(resolver).suggest("zzzzqqq") == ()


def test_suggestions_skip_only_names_too_short_or_long_to_score(monkeypatch):
    """The trigram-count bound drops no name that could have been suggested: the same suggestions as comparing
    every candidate (a bound so loose it drops none)."""
    import random
    from generator.wiki import resolve
    rng = random.Random(4)
    words = ["model", "agent", "graph", "vision", "open", "net", "large", "language", "a", "deep", "mind", "x"]
    titles = sorted({" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))) for _ in range(300)})
    ps = pages(*((f"p{i}.md", f"---\ntitle: {title}\n---\n") for i, title in enumerate(titles)))
    resolver = Resolver(ps, {p.src_path: p.src_path[:-3] for p in ps})
    targets = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 7))) + rng.choice(["", "s", " 2"])
               for _ in range(400)]
    bounded = [Suggester(resolver).suggest(t) for t in targets]
    monkeypatch.setattr(resolve, "_SIZE_MARGIN", 1e-9)
    assert [Suggester(resolver).suggest(t) for t in targets] == bounded
    assert sum(map(bool, bounded)) > 100


def test_a_suggester_let_go_of_its_index_answers_the_same(resolver):
    suggester = Suggester(resolver)
    assert suggester.suggest("Charles Babage")[0] == "Charles Babbage"
    suggester.release()
    assert suggester._index is None and suggester._grams == []
    assert suggester.suggest("Ada Lovelase")[0] == "Ada Lovelace" and suggester._index is not None
