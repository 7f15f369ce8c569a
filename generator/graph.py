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
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

import networkx as nx

DIRECT_WEIGHT = 0.5
TAG_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Related:
    """One related article: its slug, the score, and a short human reason."""

    slug: str
    score: float
    reason: str


class WikiGraph:
    """The pages (nodes, by slug) and the links between them (edges, one per linked pair)."""

    def __init__(self, titles: Mapping[str, str], edges: Iterable[tuple[str, str]], tags: Mapping[str, Iterable[str]] | None = None):
        self.titles = dict(titles)
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(sorted(self.titles))
        self.graph.add_edges_from(sorted({(a, b) for a, b in edges if a != b and a in self.titles and b in self.titles}))
        self.tags = {slug: tuple(sorted(set(tags.get(slug, ())))) for slug in self.titles} if tags else {s: () for s in self.titles}
        self._tag_pages: dict[str, list[str]] = defaultdict(list)
        for slug in sorted(self.tags):
            for tag in self.tags[slug]:
                self._tag_pages[tag].append(slug)
        self._order_key = {slug: (title.casefold(), slug) for slug, title in self.titles.items()}
        self._succ = {n: list(self.graph.successors(n)) for n in self.graph}
        self._pred = {n: list(self.graph.predecessors(n)) for n in self.graph}
        self._succ_set = {n: set(ws) for n, ws in self._succ.items()}
        self._pred_set = {n: set(ws) for n, ws in self._pred.items()}
        self._degree = {n: len(self._pred_set[n] | self._succ_set[n]) for n in self.graph}

    def _order(self, slug: str) -> tuple[str, str]:
        return self._order_key[slug]

    def backlinks(self, slug: str) -> list[str]:
        """Every other page that links to `slug`, once each, by title."""
        return sorted(self.graph.predecessors(slug), key=self._order)

    def outlinks(self, slug: str) -> list[str]:
        """Every page `slug` links to, once each, by title."""
        return sorted(self.graph.successors(slug), key=self._order)

    def edges(self) -> list[tuple[str, str]]:
        """Every linked pair, sorted."""
        return sorted(self.graph.edges())

    def orphans(self) -> list[str]:
        """Pages no other page links to."""
        return sorted((n for n in self.graph if self.graph.in_degree(n) == 0), key=self._order)

    def dead_ends(self) -> list[str]:
        """Pages that link to no other page."""
        return sorted((n for n in self.graph if self.graph.out_degree(n) == 0), key=self._order)

    def most_linked(self, limit: int) -> list[str]:
        """The pages with the most backlinks, most first."""
        return sorted(self.graph, key=lambda n: (-self.graph.in_degree(n), *self._order(n)))[:limit]

    def _weight(self, w: str) -> float:
        return 1.0 / math.log(max(2, self._degree[w]))

    def related(self, slug: str, count: int, hub_limit: int = 64) -> list[Related]:
        """The `count` pages most related to `slug` by the documented score, best first; never itself."""
        succ, pred, degree = self._succ, self._pred, self._degree
        score: dict[str, float] = {}
        get = score.get
        for w in succ[slug]:  # coupling: v links to w too
            if degree[w] <= hub_limit:
                weight = self._weight(w)
                for v in pred[w]:
                    score[v] = get(v, 0.0) + weight
        for w in pred[slug]:  # co-citation: w links to v too
            if degree[w] <= hub_limit:
                weight = self._weight(w)
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
        return [Related(v, round(score[v], 4), self._reason(slug, v, hub_limit)) for v in self._top(score, count)]

    def _top(self, score: dict[str, float], count: int) -> list[str]:
        """The `count` best by score (rounded, so ties are exact), then title, then slug."""
        if not score or count <= 0:
            return []
        floor = heapq.nlargest(count, score.values())[-1] - 1e-9
        pool = [v for v, s in score.items() if s >= floor]
        return sorted(pool, key=lambda v: (-round(score[v], 9), *self._order_key[v]))[:count]

    def _reason(self, u: str, v: str, hub_limit: int) -> str:
        """A short reason: the heavier of the shared-page kinds, else the direct link, else shared tags."""
        both_link = self._shared(self._succ, self._succ_set, u, v, hub_limit)
        links_both = self._shared(self._pred, self._pred_set, u, v, hub_limit)
        tags = sorted(set(self.tags.get(u, ())) & set(self.tags.get(v, ())))
        weigh = lambda ws: sum(self._weight(w) for w in ws)  # noqa: E731
        if both_link and weigh(both_link) >= weigh(links_both):
            return "both link to " + self._names(both_link)
        if links_both:
            return self._names(links_both) + (" links" if len(links_both) == 1 else " link") + " to both"
        if self.graph.has_edge(u, v) and self.graph.has_edge(v, u):
            return "they link to each other"
        if self.graph.has_edge(u, v):
            return "linked from this page"
        if self.graph.has_edge(v, u):
            return "links to this page"
        return "shared tag" + ("s " if len(tags) > 1 else " ") + ", ".join(sorted(tags)[:3])

    def _shared(self, lists: dict, sets: dict, u: str, v: str, hub_limit: int) -> list[str]:
        """Neighbours (of one direction) u and v share, leaving out hubs; walks the shorter list."""
        short, other = (u, v) if len(lists[u]) <= len(lists[v]) else (v, u)
        return [w for w in lists[short] if w in sets[other] and self._degree[w] <= hub_limit]

    def _names(self, slugs: list[str]) -> str:
        ordered = sorted(slugs, key=lambda w: (-self._weight(w), *self._order(w)))
        names = [self.titles[w] for w in ordered[:2]]
        more = len(ordered) - 2
        if more > 0:
            return f"{names[0]}, {names[1]} and {more} more"
        return " and ".join(names)
