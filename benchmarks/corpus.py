"""A deterministic benchmark corpus: N wiki pages with power-law wiki links, written for kbwiki, Hugo and MkDocs.

    python benchmarks/corpus.py --pages 10000 --out DIR [--seed 1] [--format kbwiki|hugo|mkdocs|all]

`generate(n, seed)` plans the corpus in memory (pure, seeded `random.Random`); the `write_*`
functions put it on disk. Every page is ~5 KB of Markdown: YAML front matter (title, type,
summary, tags, sometimes aliases, created/updated), `##` sections, prose, a list, a table,
a fenced code block and `[[wiki links]]`. Link targets are drawn from a Zipf-like law over a
random popularity ranking, so a few hubs collect thousands of backlinks; ~2% of links name
pages that do not exist (dangling).

Hugo and MkDocs get the same pages with each wiki link turned into a plain Markdown link to
the target page (Hugo: the page's URL `/entities/x/`; MkDocs: the relative `.md` path, which
MkDocs checks); a dangling link points at the URL/file the missing page would have.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
import random

ZIPF_EXPONENT = 1.0  # weight of the page at popularity rank r is 1 / r**s
DANGLING_SHARE = 0.02
ENTITY_SHARE = 0.4
TARGET_BYTES = 5000

_SYLLABLES = ("ka", "lo", "mi", "ra", "ven", "tor", "sel", "qua", "dri", "nox", "bel", "cor", "tis", "fen",
              "mar", "zu", "pe", "lin", "dor", "vak", "sim", "tha", "ro", "gal", "ne", "sti", "hum", "or",
              "ex", "ly", "pra", "mo", "dal", "ki", "ster", "vo", "ran", "ju", "fal", "mer")
_CONCEPT_HEADS = ("Model", "Loop", "Bottleneck", "Pattern", "Protocol", "Index", "Split", "Fusion", "Window",
                  "Drift", "Gradient", "Cache", "Schema", "Quorum", "Benchmark", "Pipeline", "Heuristic", "Graph")
_ENTITY_HEADS = ("Labs", "Institute", "Systems", "Project", "Group", "Engine", "Foundation", "Collective",
                 "Press", "Works", "Network", "Studio")
_WORDS = ("the", "model", "system", "context", "a", "of", "to", "and", "in", "is", "that", "for", "with", "as",
          "latency", "throughput", "memory", "agent", "retrieval", "index", "page", "graph", "token", "window",
          "cache", "build", "evaluation", "benchmark", "signal", "noise", "policy", "training", "inference",
          "update", "summary", "structure", "pattern", "protocol", "session", "stream", "batch", "layer",
          "attention", "routing", "expert", "sparse", "dense", "early", "late", "fusion", "turn", "interface",
          "research", "release", "preview", "claim", "evidence", "result", "measured", "reported", "observed",
          "larger", "smaller", "faster", "slower", "stable", "robust", "brittle", "shared", "local", "global",
          "over", "under", "between", "across", "within", "without", "because", "while", "when", "where",
          "each", "every", "most", "some", "few", "many", "one", "two", "three", "first", "second", "final")
_TAGS = ("ml", "systems", "retrieval", "agents", "evaluation", "hardware", "lab", "paper", "dataset", "tooling",
         "interaction", "memory", "reasoning", "safety", "scaling", "benchmark", "open-source", "history")
_LANGS = (("python", "def step(state, batch):\n    loss = model(batch)\n    state = update(state, loss)\n    return state\n"),
          ("yaml", "model:\n  layers: 48\n  heads: 32\n  context: 131072\nserving:\n  batch: 16\n"),
          ("bash", "kbwiki build --content content --out site\nkbwiki check --strict\n"),
          ("json", '{"name": "run-17", "tokens": 2048, "latency_ms": 41.5, "ok": true}\n'))


@dataclass(frozen=True, slots=True)
class PlannedPage:
    """One page of the corpus: where it goes, its title and its Markdown text (links as [[Title]])."""

    folder: str  # "entities" or "concepts"
    stem: str
    title: str
    rank: int  # popularity rank, 1 = the biggest hub
    text: str

    @property
    def src_path(self) -> str:
        return f"{self.folder}/{self.stem}.md"


@dataclass(frozen=True, slots=True)
class Corpus:
    """A planned corpus and what it holds: pages (sorted by path), link counts, dangling link count."""

    pages: tuple[PlannedPage, ...]
    seed: int
    links: int  # wiki-link occurrences in all bodies
    dangling: int  # of which name no page
    in_degree: dict  # title -> number of links to it (dangling excluded)

    def by_rank(self) -> list[PlannedPage]:
        """Pages from the biggest hub to the least linked."""
        return sorted(self.pages, key=lambda p: p.rank)

    def mid_ranked(self) -> PlannedPage:
        """The page in the middle of the popularity ranking: the page the benchmarks edit."""
        return self.by_rank()[len(self.pages) // 2]


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by '-' (corpus titles are ASCII letters and spaces)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()


def _titles(rng: random.Random, n: int, taken: set[str], heads: tuple[str, ...]) -> list[str]:
    out = []
    while len(out) < n:
        title = f"{_word(rng)} {_word(rng)} {rng.choice(heads)}" if rng.random() < 0.5 else f"{_word(rng)} {rng.choice(heads)}"
        key = slugify(title)
        if key not in taken:
            taken.add(key)
            out.append(title)
    return out


def _sentence(rng: random.Random, link: str | None) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 20))]
    if link is not None:
        words.insert(rng.randint(1, len(words)), link)
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


class _Linker:
    """Draws link targets: Zipf over the popularity ranking, DANGLING_SHARE of them to missing pages."""

    def __init__(self, rng: random.Random, ranked_titles: list[str], dangling_titles: list[str]):
        self.rng = rng
        self.ranked = ranked_titles
        self.cum = list(itertools.accumulate(1.0 / (r ** ZIPF_EXPONENT) for r in range(1, len(ranked_titles) + 1)))
        self.dangling_titles = dangling_titles
        self.links = 0
        self.dangling = 0
        self.in_degree: dict[str, int] = {}

    def target(self, own_title: str) -> str:
        self.links += 1
        if self.rng.random() < DANGLING_SHARE:
            self.dangling += 1
            return self.rng.choice(self.dangling_titles)
        while True:
            index = bisect.bisect_left(self.cum, self.rng.random() * self.cum[-1])
            title = self.ranked[min(index, len(self.ranked) - 1)]
            if title != own_title:
                self.in_degree[title] = self.in_degree.get(title, 0) + 1
                return title

    def link(self, own_title: str, labels: bool = True) -> str:
        title = self.target(own_title)
        if labels and self.rng.random() < 0.1:
            return f"[[{title}|{title.split()[0].lower()}]]"
        return f"[[{title}]]"


def _page_text(rng: random.Random, title: str, kind: str, aliases: list[str], linker: _Linker) -> str:
    year = rng.choice((2024, 2025, 2026))
    created = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    updated = f"{year + rng.choice((0, 0, 1))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if updated < created:
        updated = created
    tags = sorted(set(rng.sample(_TAGS, rng.randint(1, 4))))
    summary = _sentence(rng, None).replace('"', "")
    front = ["---", f'title: "{title}"', f"type: {kind}", f'summary: "{summary}"', f"tags: [{', '.join(tags)}]"]
    if aliases:
        front.append("aliases: [" + ", ".join(f'"{a}"' for a in aliases) + "]")
    front += [f"created: {created}", f"updated: {updated}", "---", ""]
    body: list[str] = []

    def paragraph(sentences: int) -> str:
        return " ".join(_sentence(rng, linker.link(title) if rng.random() < 0.3 else None) for _ in range(sentences))

    body += [paragraph(rng.randint(3, 5)), ""]
    sections = ["Overview", "Details", "Evidence", "Open questions", "History", "Design", "Results", "Limits"]
    rng.shuffle(sections)
    for index, heading in enumerate(sections[: rng.randint(4, 6)]):
        body += [f"## {heading}", "", paragraph(rng.randint(2, 5)), ""]
        if index == 0:
            body += [f"- **{rng.choice(_WORDS).capitalize()}:** {_sentence(rng, linker.link(title) if rng.random() < 0.4 else None)}"
                     for _ in range(rng.randint(3, 6))] + [""]
        elif index == 1:
            body += ["| Name | Value | Note |", "| --- | ---: | --- |"]
            body += [f"| {linker.link(title, labels=False) if rng.random() < 0.3 else rng.choice(_WORDS)} | {rng.randint(1, 9999)} | "
                     f"{' '.join(rng.choice(_WORDS) for _ in range(rng.randint(2, 6)))} |" for _ in range(rng.randint(3, 5))]
            body += [""]
        elif index == 2:
            lang, code = rng.choice(_LANGS)
            body += [f"```{lang}", code.rstrip("\n"), "```", ""]
        else:
            body += [paragraph(rng.randint(2, 4)), ""]
    text = "\n".join(front + body)
    while len(text.encode()) < TARGET_BYTES - 600:  # top up short pages with prose
        text += paragraph(3) + "\n\n"
    text += "## Connections\n\n" + "\n".join(f"- {linker.link(title)} — {_sentence(rng, None)}" for _ in range(rng.randint(3, 8))) + "\n"
    return text


def generate(pages: int, seed: int = 1) -> Corpus:
    """Plan a corpus of `pages` pages; the same (pages, seed) gives the same corpus, byte for byte."""
    if pages < 2:
        raise ValueError("a corpus needs at least 2 pages")
    rng = random.Random(seed)
    taken: set[str] = set()
    entities = round(pages * ENTITY_SHARE)
    titles = [("entities", "entity", t) for t in _titles(rng, entities, taken, _ENTITY_HEADS)]
    titles += [("concepts", "concept", t) for t in _titles(rng, pages - entities, taken, _CONCEPT_HEADS)]
    dangling_titles = _titles(rng, max(5, pages // 20), taken, _CONCEPT_HEADS + _ENTITY_HEADS)
    ranked = [t for _, _, t in titles]
    rng.shuffle(ranked)
    rank_of = {t: i + 1 for i, t in enumerate(ranked)}
    aliases: dict[str, list[str]] = {}
    for _, _, title in titles:
        if rng.random() < 0.25:
            alias = "".join(w[0] for w in title.split()) + f" {rng.randint(1, 999)}"
            if slugify(alias) not in taken:
                taken.add(slugify(alias))
                aliases[title] = [alias]
    linker = _Linker(rng, ranked, dangling_titles)
    planned = [PlannedPage(folder, slugify(title), title, rank_of[title], _page_text(rng, title, kind, aliases.get(title, []), linker))
               for folder, kind, title in titles]
    planned.sort(key=lambda p: p.src_path)
    return Corpus(tuple(planned), seed, linker.links, linker.dangling, dict(sorted(linker.in_degree.items())))


_LINK = re.compile(r"\[\[([^\[\]|\n]+)(?:\|([^\[\]\n]+))?\]\]")


def _convert_links(text: str, href_for) -> str:
    """[[Title]] / [[Title|label]] -> [label](href), outside fenced code (corpus links never sit in code)."""
    return _LINK.sub(lambda m: f"[{m.group(2) or m.group(1)}]({href_for(m.group(1))})", text)


MARKER = ".benchmark-corpus"  # marks a folder this module wrote, so it may replace it


def _fresh(folder: Path) -> None:
    """An empty folder; an existing one is replaced only if empty or written by this module before."""
    if folder.exists():
        if any(folder.iterdir()) and not (folder / MARKER).exists():
            raise FileExistsError(f"{folder} is not empty and was not written by benchmarks/corpus.py; not replacing it")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("written by benchmarks/corpus.py; replaced on the next run\n")


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def write_kbwiki(corpus: Corpus, content_dir: Path) -> Path:
    """The pages as a kbwiki content folder (entities/, concepts/) with [[wiki links]]."""
    _fresh(content_dir)
    for page in corpus.pages:
        _write(content_dir, page.src_path, page.text)
    return content_dir


def _folder_of(corpus: Corpus) -> dict[str, str]:
    return {p.title: p.folder for p in corpus.pages}


def write_hugo(corpus: Corpus, site_dir: Path) -> Path:
    """The pages as a Hugo site: content/ with Markdown links to page URLs, minimal layouts, hugo.toml."""
    _fresh(site_dir)
    folders = _folder_of(corpus)

    def href(title: str) -> str:
        return f"/{folders.get(title, 'concepts')}/{slugify(title)}/"

    for page in corpus.pages:
        # Hugo reads `aliases` as redirect URLs; the wiki's name aliases go under another key.
        text = page.text.replace("\naliases: [", "\nnames: [", 1)
        _write(site_dir / "content", page.src_path, _convert_links(text, href))
    _write(site_dir, "hugo.toml", 'baseURL = "http://localhost/"\nlanguageCode = "en"\ntitle = "Benchmark wiki"\n'
           "disableKinds = []\n[taxonomies]\n  tag = \"tags\"\n")
    _write(site_dir, "layouts/_default/baseof.html",
           '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title></head>\n'
           '<body>\n<header><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a></header>\n'
           "<main>{{ block \"main\" . }}{{ end }}</main>\n</body>\n</html>\n")
    _write(site_dir, "layouts/_default/single.html",
           '{{ define "main" }}<article><h1>{{ .Title }}</h1>\n<p>{{ .Params.summary }}</p>\n{{ .Content }}\n'
           '<p>{{ range .Params.tags }}<a href="{{ "tags/" | relURL }}{{ . | urlize }}/">#{{ . }}</a> {{ end }}</p>\n'
           "</article>{{ end }}\n")
    _write(site_dir, "layouts/_default/list.html",
           '{{ define "main" }}<h1>{{ .Title }}</h1>\n<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n')
    return site_dir


def write_mkdocs(corpus: Corpus, project_dir: Path) -> Path:
    """The pages as an MkDocs project: mkdocs.yml (default theme, automatic nav) and docs/ with relative .md links."""
    _fresh(project_dir)
    folders = _folder_of(corpus)
    for page in corpus.pages:
        def href(title: str, own=page.folder) -> str:
            folder = folders.get(title, "concepts")
            return f"{slugify(title)}.md" if folder == own else f"../{folder}/{slugify(title)}.md"
        _write(project_dir / "docs", page.src_path, _convert_links(page.text, href))
    _write(project_dir / "docs", "index.md", "# Benchmark wiki\n\nA generated corpus.\n")
    _write(project_dir, "mkdocs.yml", "site_name: Benchmark wiki\ntheme:\n  name: mkdocs\n")
    return project_dir


def write(corpus: Corpus, out: Path, fmt: str = "kbwiki") -> Path:
    """Write one format to `out` (kbwiki: `out` is the content folder), or all three under out/{kbwiki,hugo,mkdocs}."""
    writers = {"kbwiki": write_kbwiki, "hugo": write_hugo, "mkdocs": write_mkdocs}
    if fmt == "all":
        for name, writer in writers.items():
            writer(corpus, out / name)
        return out
    return writers[fmt](corpus, out)


def stats(corpus: Corpus) -> dict:
    """Counts describing the corpus (what the CLI prints and the benchmark records)."""
    degrees = sorted(corpus.in_degree.values(), reverse=True)
    sizes = sorted(len(p.text.encode()) for p in corpus.pages)
    return {"pages": len(corpus.pages), "seed": corpus.seed, "links": corpus.links, "dangling_links": corpus.dangling,
            "entities": sum(p.folder == "entities" for p in corpus.pages),
            "median_page_bytes": sizes[len(sizes) // 2], "total_bytes": sum(sizes),
            "top_in_degree": degrees[:5], "median_in_degree": degrees[len(degrees) // 2] if degrees else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic benchmark corpus.")
    parser.add_argument("--pages", type=int, default=1000, help="number of pages (default 1000)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (replaced if it exists)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--format", choices=("kbwiki", "hugo", "mkdocs", "all"), default="kbwiki",
                        help="kbwiki: OUT is the content folder; hugo/mkdocs: OUT is the site/project; all: OUT/{kbwiki,hugo,mkdocs}")
    args = parser.parse_args(argv)
    if args.pages < 2:
        parser.error("--pages must be at least 2")
    corpus = generate(args.pages, args.seed)
    try:
        write(corpus, args.out, args.format)
    except FileExistsError as exc:
        parser.exit(2, f"corpus.py: {exc}\n")
    print(json.dumps(stats(corpus)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
