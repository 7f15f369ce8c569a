"""WikiGraph over a networkx DiGraph: backlinks, related articles (score and reason), orphans, dead ends. Pure.

Related-articles score of page v for page u (documented in docs/related.md):
  coupling     Σ 1/ln(deg w) over pages w that both u and v link to          ("both link to X")
  co-citation  Σ 1/ln(deg w) over pages w that link to both u and v          ("X links to both")
  direct       0.5 for each direction of a link between u and v
  tags         Σ 0.5/ln(1 + n_t) over tags t the two share (n_t pages carry t)
deg w is w's degree in the undirected graph (at least 2). Shared pages and tags with more than
`hub_limit` neighbours are skipped: they say little about two pages (1/ln grows flat) and would
make the work grow with the square of a hub's size. Ties break by title, then slug.
"""

from __future__ import annotations

import heapq
import math
import sys
from array import array
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

from generator.records import compact_pickle

DIRECT_WEIGHT = 0.5
TAG_WEIGHT = 0.5


def _unpickled_related(slug: str, score: float, reason: str) -> "Related":
    """A Related as pickle rebuilds it (compact_pickle; forked workers send the lists back), its slug one
    string object in this process (sys.intern): a hub is in thousands of pages' lists."""
    return Related(sys.intern(slug), score, reason)


@compact_pickle(rebuild=_unpickled_related)
@dataclass(frozen=True, slots=True)
class Related:
    """One related article: its slug, the score, and a short human reason."""

    slug: str
    score: float
    reason: str


class WikiGraph:
    """The pages (nodes, by slug) and the links between them (edges, one per linked pair)."""

    def __init__(self, titles: Mapping[str, str], edges: Iterable[tuple[str, str]], tags: Mapping[str, Iterable[str]] | None = None):
        import networkx as nx  # here: a graph loaded from the build state may never need it (__setstate__)

        self.titles = dict(titles)
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(sorted(self.titles))
        self.graph.add_edges_from(sorted({(a, b) for a, b in edges if a != b and a in self.titles and b in self.titles}))
        self.tags = {slug: tuple(sorted(set(tags.get(slug, ())))) for slug in self.titles} if tags else {s: () for s in self.titles}
        self._order_key = {slug: (title.casefold(), slug) for slug, title in self.titles.items()}
        # networkx's own adjacency (node -> {neighbour: edge data}, in insertion order): iterated and looked up
        # directly in the hot loops below, rather than through its read-only views or copied into lists and sets
        self._succ = self.graph._succ
        self._pred = self.graph._pred
        self._derive()

    def _derive(self) -> None:
        """What follows from the adjacency and tags, and the memos."""
        self._degree = {n: len(self._pred[n].keys() | self._succ[n].keys()) for n in self._succ}
        self._tag_pages: dict[str, list[str]] = defaultdict(list)
        for slug in sorted(self.tags):
            for tag in self.tags[slug]:
                self._tag_pages[tag].append(slug)
        self._backlinks: dict[str, list[str]] = {}
        self._light: dict[int, dict[str, float]] = {}

    def compacted(self) -> "WikiGraph":
        """The same graph as an unpickled one holds it: titles, tags and the arrays of node numbers, without
        networkx or the adjacency dicts (~2 KB a page: a build's driver renders from this one), the arrays made
        here once, so forked workers share them. What needs the adjacency (related lists) makes it again."""
        graph = WikiGraph.__new__(WikiGraph)
        graph.__setstate__(self.__getstate__())
        graph._backlinks = self._backlinks
        graph._compact_arrays()
        return graph

    def __getstate__(self):
        """Pickled compactly, without memos or networkx (the build state): the titles, tags, and each page's
        successors and predecessors as node numbers in arrays. A rebuild after an edit that reads a few pages'
        links then loads ~3× faster, never imports networkx and answers `backlinks()`, `in_degree()` and the
        set views from the arrays (`_compact_view`); the adjacency and the DiGraph are rebuilt when first
        used (`__getattr__`), with the same insertion orders, so everything iterates as before."""
        if self._is_compact():
            nodes, offsets, targets = self._compact
            pred_offsets, pred_sources = self._compact_pred
            return {"titles": self.titles, "tags": self.tags, "nodes": nodes, "offsets": offsets, "targets": targets,
                    "pred_offsets": pred_offsets, "pred_sources": pred_sources}
        nodes = list(self._succ)
        number = {n: i for i, n in enumerate(nodes)}
        offsets, targets = array("I", [0]), array("I")
        sources: list[list[int]] = [[] for _ in nodes]
        for i, n in enumerate(nodes):
            for m in self._succ[n]:
                j = number[m]
                targets.append(j)
                sources[j].append(i)  # in node order: the order __getattr__ fills each page's predecessors in
            offsets.append(len(targets))
        pred_offsets, pred_sources = array("I", [0]), array("I")
        for found in sources:
            pred_sources.extend(found)
            pred_offsets.append(len(pred_sources))
        return {"titles": self.titles, "tags": self.tags, "nodes": nodes, "offsets": offsets.tobytes(),
                "targets": targets.tobytes(), "pred_offsets": pred_offsets.tobytes(), "pred_sources": pred_sources.tobytes()}

    def __setstate__(self, state):
        self.titles, self.tags = state["titles"], state["tags"]
        self._compact = state["nodes"], state["offsets"], state["targets"]
        self._compact_pred = (state["pred_offsets"], state["pred_sources"]) if "pred_offsets" in state else None
        self._arrays: tuple[dict[str, int], array, array, array, array] | None = None
        self._backlinks = {}
        self._order_key = {slug: (title.casefold(), slug) for slug, title in self.titles.items()}

    def __getattr__(self, name: str):
        """The adjacency (and what derives from it) or the DiGraph of an unpickled graph, made on first use."""
        compact = self.__dict__.get("_compact")
        if compact is None or name.startswith("__"):
            raise AttributeError(name)
        if name == "graph":
            import networkx as nx

            graph = nx.DiGraph()
            graph.add_nodes_from(self._succ)
            graph.add_edges_from((a, b) for a in self._succ for b in self._succ[a])  # sorted, as __init__ added them
            self.graph = graph
            return graph
        if name in ("_succ", "_pred", "_degree", "_tag_pages", "_light"):
            nodes, offsets, targets = compact
            starts, ends = array("I"), array("I")
            starts.frombytes(offsets)
            ends.frombytes(targets)
            succ: dict[str, dict] = {}
            pred: dict[str, dict] = {n: {} for n in nodes}
            for i, n in enumerate(nodes):
                succ[n] = found = dict.fromkeys(nodes[j] for j in ends[starts[i]:starts[i + 1]])
                for m in found:
                    pred[m][n] = None
            self._succ, self._pred = succ, pred
            backlinks = self._backlinks
            self._derive()
            self._backlinks = backlinks  # the same lists: made from the same predecessors
            return getattr(self, name)
        raise AttributeError(name)

    def _neighbours(self, slug: str, backward: bool):
        """The pages linking to `slug` (backward) or linked from it, as a set-like view in adjacency order:
        from the adjacency once it is made, else read from the unpickled arrays for this one page."""
        made = self.__dict__.get("_pred" if backward else "_succ")
        if made is not None or self.__dict__.get("_compact_pred") is None:
            return (self._pred if backward else self._succ)[slug].keys()
        number, starts, ends, pred_starts, pred_ends = self._compact_arrays()
        i = number[slug]
        nodes = self._compact[0]
        if backward:
            return dict.fromkeys(nodes[j] for j in pred_ends[pred_starts[i]:pred_starts[i + 1]]).keys()
        return dict.fromkeys(nodes[j] for j in ends[starts[i]:starts[i + 1]]).keys()

    def _is_compact(self) -> bool:
        """Whether this graph is still as unpickled (or compacted()): its adjacency not made again."""
        return "_succ" not in self.__dict__ and self.__dict__.get("_compact_pred") is not None

    def _compact_arrays(self) -> tuple[dict[str, int], array, array, array, array]:
        if self._arrays is None:
            nodes, offsets, targets = self._compact
            made = []
            for data in (offsets, targets, *self._compact_pred):
                made.append(array("I"))
                made[-1].frombytes(data)
            self._arrays = ({n: i for i, n in enumerate(nodes)}, *made)
        return self._arrays

    def _order(self, slug: str) -> tuple[str, str]:
        return self._order_key[slug]

    def backlinks(self, slug: str) -> list[str]:
        """Every other page that links to `slug`, once each, by title (sorted once per page; do not change the list)."""
        found = self._backlinks.get(slug)
        if found is None:
            found = self._backlinks[slug] = sorted(self._neighbours(slug, True), key=self._order_key.__getitem__)
        return found

    def outlinks_set(self, slug: str):
        """The pages `slug` links to, as a set-like view."""
        return self._neighbours(slug, False)

    def backlinks_set(self, slug: str):
        """The pages that link to `slug`, as a set-like view."""
        return self._neighbours(slug, True)

    def in_degree(self, slug: str) -> int:
        """How many other pages link to `slug`."""
        if not self._is_compact():
            return len(self._pred[slug])
        number, _, _, pred_starts, _ = self._compact_arrays()
        i = number[slug]
        return pred_starts[i + 1] - pred_starts[i]

    def out_degree(self, slug: str) -> int:
        """How many other pages `slug` links to."""
        if not self._is_compact():
            return len(self._succ[slug])
        number, starts, _, _, _ = self._compact_arrays()
        i = number[slug]
        return starts[i + 1] - starts[i]

    def links(self, a: str, b: str) -> bool:
        """Whether page `a` links to page `b`."""
        return b in self._succ[a]

    def outlinks(self, slug: str) -> list[str]:
        """Every page `slug` links to, once each, by title."""
        return sorted(self.graph.successors(slug), key=self._order)

    def edges(self) -> list[tuple[str, str]]:
        """Every linked pair, sorted."""
        return list(self.iter_edges())

    def iter_edges(self) -> Iterator[tuple[str, str]]:
        """Every linked pair, sorted, one at a time: never every pair at once (~2 million at 100,000 pages)."""
        if self._is_compact():
            number, starts, ends, _, _ = self._compact_arrays()
            nodes = self._compact[0]
            for a in sorted(nodes):
                i = number[a]
                for b in sorted(nodes[j] for j in ends[starts[i]:starts[i + 1]]):
                    yield a, b
            return
        for a in sorted(self._succ):
            for b in sorted(self._succ[a]):
                yield a, b

    def _nodes(self) -> list[str]:
        """Every page, in the graph's own order."""
        return self._compact[0] if self._is_compact() else list(self._succ)

    def orphans(self) -> list[str]:
        """Pages no other page links to."""
        return sorted((n for n in self._nodes() if self.in_degree(n) == 0), key=self._order)

    def dead_ends(self) -> list[str]:
        """Pages that link to no other page."""
        return sorted((n for n in self._nodes() if self.out_degree(n) == 0), key=self._order)

    def most_linked(self, limit: int) -> list[str]:
        """The pages with the most backlinks, most first."""
        return sorted(self._nodes(), key=lambda n: (-self.in_degree(n), *self._order(n)))[:limit]

    def _weight(self, w: str) -> float:
        return 1.0 / math.log(max(2, self._degree[w]))

    def _light_weights(self, hub_limit: int) -> dict[str, float]:
        """The weight 1/ln(deg) of every page with at most `hub_limit` neighbours (memoised per limit)."""
        found = self._light.get(hub_limit)
        if found is None:
            found = self._light[hub_limit] = {n: self._weight(n) for n, d in self._degree.items() if d <= hub_limit}
        return found

    def related(self, slug: str, count: int, hub_limit: int = 64) -> list[Related]:
        """The `count` pages most related to `slug` by the documented score, best first; never itself."""
        succ, pred = self._succ, self._pred
        light = self._light_weights(hub_limit)
        score: dict[str, float] = {}
        get = score.get
        for w in succ[slug]:  # coupling: v links to w too
            weight = light.get(w)
            if weight is not None:
                for v in pred[w]:
                    score[v] = get(v, 0.0) + weight
        for w in pred[slug]:  # co-citation: w links to v too
            weight = light.get(w)
            if weight is not None:
                for v in succ[w]:
                    score[v] = get(v, 0.0) + weight
        for v in succ[slug]:
            score[v] = get(v, 0.0) + DIRECT_WEIGHT
        for v in pred[slug]:
            score[v] = get(v, 0.0) + DIRECT_WEIGHT
        for tag in self.tags.get(slug, ()):
            pages = self._tag_pages[tag]
            if len(pages) <= hub_limit:
                weight = TAG_WEIGHT / math.log(1 + len(pages))
                for v in pages:
                    score[v] = get(v, 0.0) + weight
        score.pop(slug, None)
        return [Related(v, round(score[v], 4), self._reason(slug, v, light)) for v in self._top(score, count)]

    def _top(self, score: dict[str, float], count: int) -> list[str]:
        """The `count` best by score (rounded, so ties are exact), then title, then slug."""
        if not score or count <= 0:
            return []
        floor = heapq.nlargest(count, score.values())[-1] - 1e-9
        pool = [v for v, s in score.items() if s >= floor]
        return sorted(pool, key=lambda v: (-round(score[v], 9), *self._order_key[v]))[:count]

    def _reason(self, u: str, v: str, light: dict[str, float]) -> str:
        """A short reason: the heavier of the shared-page kinds, else the direct link, else shared tags."""
        both_link = self._shared(self._succ, u, v, light)
        links_both = self._shared(self._pred, u, v, light)
        if both_link and sum(light[w] for w in both_link) >= sum(light[w] for w in links_both):
            return "both link to " + self._names(both_link, light)
        if links_both:
            return self._names(links_both, light) + (" links" if len(links_both) == 1 else " link") + " to both"
        forward, backward = v in self._succ[u], u in self._succ[v]
        if forward and backward:
            return "they link to each other"
        if forward:
            return "linked from this page"
        if backward:
            return "links to this page"
        tags = sorted(set(self.tags.get(u, ())) & set(self.tags.get(v, ())))
        return "shared tag" + ("s " if len(tags) > 1 else " ") + ", ".join(tags[:3])

    @staticmethod
    def _shared(adjacency: dict, u: str, v: str, light: dict[str, float]) -> list[str]:
        """Neighbours (of one direction) u and v share, leaving out hubs; walks the shorter list."""
        short, other = (u, v) if len(adjacency[u]) <= len(adjacency[v]) else (v, u)
        found = adjacency[other]
        return [w for w in adjacency[short] if w in found and w in light]

    def _names(self, slugs: list[str], light: dict[str, float]) -> str:
        order = self._order_key
        ordered = sorted(slugs, key=lambda w: (-light[w], *order[w]))
        names = [self.titles[w] for w in ordered[:2]]
        more = len(ordered) - 2
        if more > 0:
            return f"{names[0]}, {names[1]} and {more} more"
        return " and ".join(names)
