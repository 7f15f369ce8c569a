"""WikiGraph on small hand-computed graphs."""

import math
from pathlib import Path

import pytest

from generator.wiki.graph import WikiGraph

L2, L3 = 1 / math.log(2), 1 / math.log(3)


def make(edges, tags=None, titles=None):
    names = sorted({n for e in edges for n in e} | set(titles or ()) | set(tags or ()))
    return WikiGraph({n: (titles or {}).get(n, n.upper()) for n in names}, edges, tags)


@pytest.fixture
def small():
    #  A -> C, B -> C, A -> B, D -> A, D -> B
    return make([("a", "c"), ("b", "c"), ("a", "b"), ("d", "a"), ("d", "b")])


def test_backlinks_once_each_sorted_by_title(small):
    assert small.backlinks("b") == ["a", "d"]
    assert small.backlinks("d") == []


def test_duplicate_edges_and_self_links_are_dropped():
    g = make([("a", "b"), ("a", "b"), ("a", "a")])
    assert g.edges() == [("a", "b")]
    assert g.backlinks("a") == []


def test_related_scores_by_hand(small):
    related = small.related("a", 5)
    assert [r.slug for r in related] == ["b", "d", "c"]
    # b: both link to c (deg 2) + d links to both (deg 2) + a -> b
    assert related[0].score == pytest.approx(L2 + L2 + 0.5, abs=1e-4)
    # d: both link to b (deg 3) + d -> a
    assert related[1].score == pytest.approx(L3 + 0.5, abs=1e-4)
    assert related[2].score == pytest.approx(0.5)
    assert [r.reason for r in related] == ["both link to C", "both link to B", "linked from this page"]


def test_related_never_itself_and_limited(small):
    assert all(r.slug != "a" for r in small.related("a", 10))
    assert len(small.related("a", 1)) == 1


def test_ties_break_by_title_then_slug():
    # x links to p and q identically: p and q tie for x; titles decide.
    g = make([("x", "p"), ("x", "q")], titles={"p": "Zeta", "q": "Alpha", "x": "X"})
    assert [r.slug for r in g.related("x", 5)] == ["q", "p"]


def test_shared_tags_count_and_give_the_reason():
    g = make([], tags={"a": ["ml", "rare"], "b": ["rare"], "c": ["ml"], "d": ["ml"]})
    related = g.related("a", 5)
    assert related[0].slug == "b"  # 'rare' is carried by 2 pages, 'ml' by 3: the rarer tag weighs more
    assert related[0].score == pytest.approx(0.5 / math.log(3), abs=1e-4)
    assert related[0].reason == "shared tag rare"


def test_hub_limit_skips_shared_neighbours_with_many_links(small):
    related = small.related("a", 5, hub_limit=1)
    assert {r.slug: r.score for r in related} == {"b": 0.5, "c": 0.5, "d": 0.5}


def test_co_citation_reason():
    g = make([("h", "a"), ("h", "b"), ("a", "z")])
    assert g.related("a", 1)[0].reason == "H links to both"


def test_orphans_dead_ends_most_linked(small):
    assert small.orphans() == ["d"]
    assert small.dead_ends() == ["c"]
    assert small.most_linked(2) == ["b", "c"]


def _random_graph(seed: int, pages: int = 300):
    import random
    rng = random.Random(seed)
    names = [f"p{i:03d}" for i in range(pages)]
    edges = [(rng.choice(names), rng.choice(names[: rng.randint(1, pages)])) for _ in range(pages * 6)]
    tags = {n: [f"t{rng.randint(0, 30)}" for _ in range(rng.randint(0, 3))] for n in names}
    return WikiGraph({n: f"Title {rng.randint(0, 99)}" for n in names}, edges, tags)


def test_a_pickled_graph_answers_everything_as_the_one_it_was_made_from():
    import pickle
    for seed in range(5):
        made = _random_graph(seed)
        loaded = pickle.loads(pickle.dumps(made))
        nodes = list(made.titles)
        assert [loaded.backlinks(n) for n in nodes] == [made.backlinks(n) for n in nodes]
        assert [loaded.related(n, 5) for n in nodes] == [made.related(n, 5) for n in nodes]  # same sums, same order
        assert list(loaded._pred["p000"]) == list(made._pred["p000"]) and list(loaded._succ) == list(made._succ)
        assert loaded.orphans() == made.orphans() and loaded.dead_ends() == made.dead_ends()
        assert loaded.most_linked(7) == made.most_linked(7) and loaded.edges() == made.edges()
        assert list(made.iter_edges()) == made.edges() == list(pickle.loads(pickle.dumps(made)).iter_edges())
        assert [loaded.in_degree(n) for n in nodes] == [made.in_degree(n) for n in nodes]
        assert list(loaded.graph.edges()) == list(made.graph.edges())
        again = pickle.loads(pickle.dumps(loaded))  # pickled again after use
        assert again.related("p001", 5) == made.related("p001", 5)


def test_a_pickled_graph_reads_one_pages_links_from_its_arrays_alone():
    import pickle
    for seed in range(3):
        made = _random_graph(seed)
        loaded = pickle.loads(pickle.dumps(made))
        nodes = list(made.titles)
        assert [list(loaded.backlinks_set(n)) for n in nodes] == [list(made.backlinks_set(n)) for n in nodes]
        assert [list(loaded.outlinks_set(n)) for n in nodes] == [list(made.outlinks_set(n)) for n in nodes]
        assert [loaded.in_degree(n) for n in nodes] == [made.in_degree(n) for n in nodes]
        assert [loaded.backlinks(n) for n in nodes] == [made.backlinks(n) for n in nodes]
        assert "_pred" not in vars(loaded) and "_succ" not in vars(loaded)  # an edit's page: no adjacency made
        assert loaded.related(nodes[1], 5) == made.related(nodes[1], 5)  # and, once it is made, the same answers
        assert [loaded.in_degree(n) for n in nodes] == [made.in_degree(n) for n in nodes]


def test_a_pickled_graph_reads_backlinks_without_importing_networkx(tmp_path):
    import pickle
    import subprocess
    import sys
    blob = tmp_path / "graph.pickle"
    blob.write_bytes(pickle.dumps(_random_graph(1)))
    code = ("import pickle, sys; g = pickle.loads(open(sys.argv[1], 'rb').read()); g.backlinks('p002'); g.related('p002', 5); "
            "g.orphans(); g.dead_ends(); g.most_linked(3); list(g.iter_edges()); "
            "assert 'networkx' not in sys.modules; g.graph; assert 'networkx' in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(blob)], check=True, cwd=Path(__file__).parent.parent)


def test_a_compacted_graph_answers_as_the_graph_it_was_made_from_without_its_adjacency():
    import pickle
    for seed in range(3):
        made = _random_graph(seed)
        nodes = list(made.titles)
        small = made.compacted()
        assert "_succ" not in vars(small) and "_pred" not in vars(small) and "graph" not in vars(small)
        assert [small.backlinks(n) for n in nodes] == [made.backlinks(n) for n in nodes]
        assert [small.in_degree(n) for n in nodes] == [made.in_degree(n) for n in nodes]
        assert [small.out_degree(n) for n in nodes] == [made.out_degree(n) for n in nodes]
        assert [list(small.outlinks_set(n)) for n in nodes] == [list(made.outlinks_set(n)) for n in nodes]
        assert small.orphans() == made.orphans() and small.dead_ends() == made.dead_ends()
        assert small.most_linked(7) == made.most_linked(7) and small.edges() == made.edges()
        assert "_succ" not in vars(small)  # all of it read from the arrays
        assert pickle.dumps(small) == pickle.dumps(made)  # the build state stores the same bytes
        assert small.related(nodes[1], 5) == made.related(nodes[1], 5)  # the adjacency made again when needed
        assert small.orphans() == made.orphans() and list(small.graph.edges()) == list(made.graph.edges())


def test_related_lists_sent_between_processes_share_their_slugs():
    import pickle
    g = _random_graph(2)
    nodes = list(g.titles)
    lists = [pickle.loads(pickle.dumps(g.related(n, 5))) for n in nodes]  # each list from its own pickle
    found: dict[str, str] = {}
    assert all(found.setdefault(r.slug, r.slug) is r.slug for one in lists for r in one)
    assert lists == [g.related(n, 5) for n in nodes]
