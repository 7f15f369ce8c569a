"""The graph views: graph-data.js and the global graph page, and the small local graph drawn on every page.

The global graph is laid out in the browser (d3-force, deterministic from its phyllotaxis start),
so the build only lists nodes and links; the local graph is a radial layout computed here and
drawn as SVG links, so it needs no script at all.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from generator import paths
from generator.emit import Output, html_output
from generator.wiki.model import Wiki
from generator.paths import OutPath, relative_url
from generator.emit.render import Renderer, ranked_types, type_colour, type_label
from generator.emit.safejson import script_json
from generator.parse.text import truncate

LOCAL_LIMIT = 14  # neighbours drawn around a page; the rest are counted ("and 12 more")
LABEL_CHARS = 28
CENTER_LABEL_CHARS = 44
# The local graph's drawing box (SVG user units): nodes sit on an ellipse, labels outside it.
RX, RY = 200.0, 112.0
WIDTH, HEIGHT = 820, 320  # room for a LABEL_CHARS label left and right of the ellipse


def graph_data_bytes(types: list[str], nodes: list[tuple[str, int, str]], links: list[tuple[int, int]],
                     colours: list[str] | None = None) -> bytes:
    """graph-data.js from plain data: type names (and their colour classes), (title, type index, url from the root)
    per node, links by index."""
    data = {"types": types, "type_labels": [type_label(t) for t in types], "type_colours": colours or ["type-t1"] * len(types),
            "nodes": [list(node) for node in nodes], "links": [i for pair in links for i in pair]}
    text = script_json(data)  # page text cannot end the script or break a string literal
    return f"window.KBWIKI_GRAPH={text};\n".encode("utf-8")


def graph_data(wiki: Wiki) -> Output:
    """graph-data.js: every page (by slug) and every link, for the global graph page."""
    slugs = sorted(wiki.entries)
    index = {slug: i for i, slug in enumerate(slugs)}
    types = sorted({wiki.entries[s].page.type for s in slugs})
    type_index = {name: i for i, name in enumerate(types)}
    nodes = [(wiki.entries[s].page.title, type_index[wiki.entries[s].page.type], wiki.entries[s].out_path) for s in slugs]
    links = [(index[a], index[b]) for a, b in wiki.graph.edges()]
    return Output(paths.GRAPH_DATA, graph_data_bytes(types, nodes, links, [type_colour(wiki, t) for t in types]))


def graph_page(wiki: Wiki, renderer: Renderer) -> Output:
    """special/graph.html: the whole wiki as a zoomable canvas graph."""
    out = paths.GRAPH_PAGE
    html = renderer.render("graph.html", out, title="Graph of all pages", data_url=relative_url(out, paths.GRAPH_DATA),
                           page_count=len(wiki.entries), link_count=len(wiki.graph.edges()),
                           types=[(type_label(t), t, type_colour(wiki, t)) for t in ranked_types(wiki)])
    return html_output(out, html)


@dataclass(frozen=True, slots=True)
class LocalNode:
    """One page in a local graph: where it sits and where its label goes (anchor: start|middle|end)."""

    title: str
    label: str
    type: str
    type_label: str
    url: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str
    relation: str  # "center", "links here", "linked from here", "linked both ways"
    colour: str = "type-t1"  # the type's colour classes (render.type_colour)


@dataclass(frozen=True, slots=True)
class LocalEdge:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str  # "out", "in", "both", "between"


@dataclass(frozen=True, slots=True)
class LocalGraph:
    """What the page template draws: the page in the middle, its neighbours around it.

    `drawing` is the SVG inside <svg> (edges, then nodes), written here rather than by a template
    loop: it is on every page, and Python writes it several times faster than Jinja."""

    nodes: tuple[LocalNode, ...]
    edges: tuple[LocalEdge, ...]
    more: int
    view_box: str
    full_graph_url: str
    drawing: Markup = Markup()


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """Which neighbours a page's local graph shows (in drawing order), how it links with each
    ("both", "out", "in"), the links among them, and how many were left out: all the drawing depends on
    besides titles, types and URLs (so part of a page's render key)."""

    shown: tuple[str, ...]
    kinds: tuple[str, ...]
    between: tuple[tuple[int, int], ...]  # indexes into shown, linked either way
    more: int


def neighbourhood(wiki: Wiki, slug: str) -> Neighbourhood:
    """The neighbours to draw (two-way links first, then the most linked), and how many were left out."""
    graph = wiki.graph
    out, into = graph.outlinks_set(slug), graph.backlinks_set(slug)
    entries = wiki.entries
    every = out | into
    if len(every) > LOCAL_LIMIT:
        order = sorted(every, key=lambda s: (not (s in out and s in into), -graph.in_degree(s),
                                             entries[s].page.title.casefold(), s))
        chosen = order[:LOCAL_LIMIT]
    else:
        chosen = list(every)
    # Around the circle, group by type so colours cluster, then by title.
    chosen.sort(key=lambda s: (entries[s].page.type, entries[s].page.title.casefold(), s))
    kinds = tuple("both" if s in out and s in into else "out" if s in out else "in" for s in chosen)
    linked = [graph.outlinks_set(s) for s in chosen]  # graph.links(a, b) is `b in linked[i]`: asked ~160 times a page
    between = tuple((i, j) for i, a in enumerate(chosen) for j, b in enumerate(chosen)
                    if a < b and (b in linked[i] or a in linked[j]))
    return Neighbourhood(tuple(chosen), kinds, between, len(every) - len(chosen))


def _point(i: int, count: int) -> tuple[float, float, float]:
    angle = -math.pi / 2 + (2 * math.pi * i / count) + (math.pi / count if count > 2 else 0)
    return round(RX * math.cos(angle), 1), round(RY * math.sin(angle), 1), angle


def _label_place(x: float, y: float, angle: float) -> tuple[float, float, str]:
    cos, sin = math.cos(angle), math.sin(angle)
    anchor = "start" if cos > 0.1 else "end" if cos < -0.1 else "middle"
    dx = 11 if anchor == "start" else -11 if anchor == "end" else 0
    dy = 4 if anchor != "middle" else (20 if sin > 0 else -12)
    return round(x + dx, 1), round(y + dy, 1), anchor


_RELATION = {"both": "linked both ways", "out": "linked from here", "in": "links here"}


def local_graph(wiki: Wiki, slug: str, out: OutPath, around: Neighbourhood | None = None) -> LocalGraph | None:
    """The local graph of one page (None when it has no links either way)."""
    around = around or neighbourhood(wiki, slug)
    shown = around.shown
    if not shown:
        return None
    entry = wiki.entries[slug]
    nodes = [LocalNode(entry.page.title, truncate(entry.page.title, CENTER_LABEL_CHARS), entry.page.type, type_label(entry.page.type),
                       "", 0.0, 0.0, 0.0, 30.0, "middle", "center", type_colour(wiki, entry.page.type))]
    edges: list[LocalEdge] = []
    where: list[tuple[float, float]] = []
    for i, (other, kind) in enumerate(zip(shown, around.kinds)):
        x, y, angle = _point(i, len(shown))
        lx, ly, anchor = _label_place(x, y, angle)
        page = wiki.entries[other].page
        nodes.append(LocalNode(page.title, truncate(page.title, LABEL_CHARS), page.type, type_label(page.type),
                               relative_url(out, wiki.entries[other].out_path), x, y, lx, ly, anchor, _RELATION[kind],
                               type_colour(wiki, page.type)))
        edges.append(LocalEdge(0.0, 0.0, x, y, kind))
        where.append((x, y))
    between = [LocalEdge(*where[i], *where[j], "between") for i, j in around.between]
    every_edge = tuple(between + edges)
    return LocalGraph(tuple(nodes), every_edge, around.more, f"{-WIDTH // 2} {-HEIGHT // 2} {WIDTH} {HEIGHT}",
                      relative_url(out, paths.GRAPH_PAGE, entry.out_path),  # the fragment names the page to show
                      drawing(nodes, every_edge))


@functools.lru_cache(maxsize=1 << 16)
def _escaped(text: str) -> str:
    """markupsafe's escaping, memoised: the same titles and types are drawn on many pages."""
    return str(escape(text))


def drawing(nodes: list[LocalNode], edges: tuple[LocalEdge, ...]) -> Markup:
    """The SVG of a local graph: a line per edge (arrows by direction), then a group per node (the page's own
    first, not a link), each line indented four spaces."""
    lines = []
    for edge in edges:
        ends = ((' marker-end="url(#local-graph-arrow)"' if edge.kind in ("out", "both") else "")
                + (' marker-start="url(#local-graph-arrow)"' if edge.kind in ("in", "both") else ""))
        lines.append(f'    <line class="edge edge-{edge.kind}" x1="{edge.x1}" y1="{edge.y1}" x2="{edge.x2}" y2="{edge.y2}"{ends}/>\n')
    for node in nodes:
        kind = _escaped(node.type.replace(" ", "-"))
        title = f"<title>{_escaped(node.title)} ({_escaped(node.type_label)}): "
        if node.relation == "center":
            lines.append(f'    <g class="graph-node graph-center type-{kind} {node.colour}" aria-current="page">{title}this page</title>'
                         f'<circle cx="0" cy="0" r="11"/><text x="{node.label_x}" y="{node.label_y}" text-anchor="middle">'
                         f'{_escaped(node.label)}</text></g>\n')
        else:
            lines.append(f'    <a class="graph-node type-{kind} {node.colour}" href="{_escaped(node.url)}">{title}{node.relation}</title>'
                         f'<circle cx="{node.x}" cy="{node.y}" r="7"/><text x="{node.label_x}" y="{node.label_y}" '
                         f'text-anchor="{node.anchor}">{_escaped(node.label)}</text></a>\n')
    return Markup("".join(lines))


def graph_outputs(wiki: Wiki, renderer: Renderer) -> list[Output]:
    """graph-data.js and the global graph page."""
    return [graph_data(wiki), graph_page(wiki, renderer)]
