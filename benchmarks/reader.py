"""The reader at scale (issue 18): a built site opened from file:// in headless Chromium, first preview and first search.

For each of several pages (a fresh browser context each, so nothing is cached): the bytes the page loaded
before its first hover preview showed, and the time from the end of the hover delay to the preview; for
each of several queries (a fresh context each): the bytes loaded before the first results, the time from
the keystroke to the results, and the JS heap after the search (CDP Runtime.getHeapUsage, after a
collection). Bytes are the sizes on disk of every file the page asked for (file:// reports no transfer
sizes), the page itself included; "data" is the part under search/. Medians are reported.

    python3 benchmarks/reader.py --site /tmp/full-site --label llm-wiki-full --write-docs

Writes its figures into docs/benchmarks.md (the section "The reader at scale") with --write-docs.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
HOVER_DELAY = 250  # kbwiki.js intent(link, 250)
TARGETS = {"preview_bytes": 200_000, "search_bytes": 2_000_000, "preview_ms": 300, "search_ms": 500, "heap": 50_000_000}

_WAIT_PREVIEW = """async (index) => {
  const link = document.querySelectorAll('.page-body a.wikilink')[index];
  const shown = () => { const p = document.querySelector('.preview'); return p && !p.hidden && p.querySelector('.preview-title'); };
  const t0 = performance.now();
  link.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
  await new Promise(resolve => {
    const seen = new MutationObserver(() => { if (shown()) { seen.disconnect(); resolve(); } });
    seen.observe(document.body, {subtree: true, childList: true, attributes: true});
  });
  return [performance.now() - t0 - %d, document.querySelector('.preview .preview-title').textContent];
}""" % HOVER_DELAY

_WAIT_RESULTS = """async (query) => {
  document.dispatchEvent(new KeyboardEvent('keydown', {key: '/', bubbles: true}));
  const input = document.querySelector('.search-input');
  const list = document.querySelector('.search-results');
  const t0 = performance.now();
  input.value = query;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise(resolve => {
    const done = () => list.children.length || /No pages match/.test(document.querySelector('.search-status').textContent);
    if (done()) { resolve(); return; }
    const seen = new MutationObserver(() => { if (done()) { seen.disconnect(); resolve(); } });
    seen.observe(document.querySelector('.search-dialog'), {subtree: true, childList: true, characterData: true});
  });
  return [performance.now() - t0, list.children.length];
}"""


def file_size(url: str) -> int:
    parts = urlsplit(url)
    if parts.scheme != "file":
        return 0
    path = Path(unquote(parts.path))
    return path.stat().st_size if path.is_file() else 0


def content_pages(site: Path, count: int, seed: int) -> list[Path]:
    """`count` content pages with links in their text, chosen by seed (not listings or special pages)."""
    skip = {"types", "tags", "links-here", "special", "search", "assets", "files"}
    pages = sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] not in skip and p.name != "404.html")
    rng = random.Random(seed)
    rng.shuffle(pages)
    chosen = []
    for page in pages:
        if 'class="wikilink"' in page.read_text(encoding="utf-8", errors="replace"):
            chosen.append(page)
            if len(chosen) == count:
                break
    return chosen


def queries_for(site: Path, count: int, seed: int) -> list[str]:
    """Queries like a reader's: a title's first word, a title's two first words cut short, one letter."""
    rows = []
    for docs in sorted((site / "search").glob("docs-*.js")):
        text = docs.read_text(encoding="utf-8")
        rows += json.loads(text[text.index(",", text.index(",") + 1) + 1:-3])
    rng = random.Random(seed)
    titles = [row[1] for row in rng.sample(rows, min(len(rows), count))]
    out = ["c", "th"]
    for i, title in enumerate(titles):
        words = re.findall(r"\w+", title)
        if not words:
            continue
        out.append(words[0] if i % 2 else " ".join(words[:2])[:-1] if len(words) > 1 else words[0][:4])
    return out[:count]


def measure(site: Path, pages: int, queries: int, seed: int) -> dict:
    from playwright.sync_api import sync_playwright

    previews, searches = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for path in content_pages(site, pages, seed):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            asked: list[str] = []
            page.on("request", lambda r: asked.append(r.url))
            page.goto(path.as_uri())
            ms, title = page.evaluate(_WAIT_PREVIEW, 0)
            previews.append({"page": path.relative_to(site).as_posix(), "ms": ms, "title": title,
                             "bytes": sum(map(file_size, asked)),
                             "data": sum(file_size(u) for u in asked if "/search/" in u)})
            context.close()
        start = content_pages(site, 1, seed)[0]
        for query in queries_for(site, queries, seed):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            asked = []
            page.on("request", lambda r: asked.append(r.url))
            page.goto(start.as_uri())
            ms, count = page.evaluate(_WAIT_RESULTS, query)
            cdp = context.new_cdp_session(page)
            cdp.send("HeapProfiler.collectGarbage")
            heap = cdp.send("Runtime.getHeapUsage")["usedSize"]
            searches.append({"query": query, "ms": ms, "results": count, "heap": heap,
                             "bytes": sum(map(file_size, asked)),
                             "data": sum(file_size(u) for u in asked if "/search/" in u)})
            context.close()
        browser.close()
    return {"previews": previews, "searches": searches}


def summary(found: dict) -> dict:
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    big = lambda rows, key: max(r[key] for r in rows)  # noqa: E731
    p, s = found["previews"], found["searches"]
    return {"preview_bytes": (med(p, "bytes"), big(p, "bytes")), "preview_data": (med(p, "data"), big(p, "data")),
            "preview_ms": (med(p, "ms"), big(p, "ms")), "search_bytes": (med(s, "bytes"), big(s, "bytes")),
            "search_data": (med(s, "data"), big(s, "data")), "search_ms": (med(s, "ms"), big(s, "ms")),
            "heap": (med(s, "heap"), big(s, "heap"))}


def report(label: str, pages: int, site: Path, found: dict, command: str) -> str:
    s = summary(found)
    kb = lambda n: f"{n / 1000:,.0f} KB"  # noqa: E731
    mb = lambda n: f"{n / 1e6:.1f} MB"  # noqa: E731
    ms = lambda n: f"{n:,.0f} ms"  # noqa: E731
    met = lambda key: "met" if s[key][0] <= TARGETS[key] else "**not met**"  # noqa: E731
    rows = [
        ("bytes before the first preview (all / search data)", f"{kb(s['preview_bytes'][0])} / {kb(s['preview_data'][0])}",
         f"{kb(s['preview_bytes'][1])} / {kb(s['preview_data'][1])}", "≤ 200 KB", met("preview_bytes")),
        ("bytes before the first results (all / search data)", f"{kb(s['search_bytes'][0])} / {kb(s['search_data'][0])}",
         f"{kb(s['search_bytes'][1])} / {kb(s['search_data'][1])}", "≤ 2 MB", met("search_bytes")),
        ("first preview, after the 250 ms hover delay", ms(s["preview_ms"][0]), ms(s["preview_ms"][1]), "≤ 300 ms", met("preview_ms")),
        ("first results, after the keystroke", ms(s["search_ms"][0]), ms(s["search_ms"][1]), "≤ 500 ms", met("search_ms")),
        ("JS heap after the search", mb(s["heap"][0]), mb(s["heap"][1]), "≤ 50 MB", met("heap")),
    ]
    lines = [f"{label}: {pages:,} pages, {len(found['previews'])} pages hovered, {len(found['searches'])} queries "
             f"({', '.join(repr(r['query']) for r in found['searches'])}); every try in a fresh browser context, from file://.",
             "", "```bash", command, "```", "",
             "| what | median | worst | target | |", "| --- | ---: | ---: | ---: | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    return "\n".join(lines) + "\n"


SECTION = "## The reader at scale (issue 18)"


def write_docs(text: str) -> None:
    """Replace (or add) the section's "Last run" part in docs/benchmarks.md."""
    docs = DOCS.read_text(encoding="utf-8")
    start_mark, end_mark = "<!-- reader.py: last run -->\n", "<!-- reader.py: end -->\n"
    block = start_mark + text + end_mark
    if start_mark in docs:
        before, rest = docs.split(start_mark, 1)
        docs = before + block + rest.split(end_mark, 1)[1]
    elif SECTION in docs:
        head, tail = docs.split(SECTION, 1)
        docs = head + SECTION + "\n\n" + block + tail
    else:
        docs = docs.rstrip("\n") + f"\n\n{SECTION}\n\n" + block
    DOCS.write_text(docs, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="a site kbwiki built")
    parser.add_argument("--label", default="", help="the wiki's name in the report")
    parser.add_argument("--pages", type=int, default=7, help="pages to hover a link on (default 7)")
    parser.add_argument("--queries", type=int, default=7, help="queries to type (default 7)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--write-docs", action="store_true", help="write the figures into docs/benchmarks.md")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    meta = (site / "search" / "meta.js").read_text(encoding="utf-8")
    pages = json.loads(meta[len('window.KBWIKI_SHARD("meta",0,'):-3])["pages"]
    found = measure(site, args.pages, args.queries, args.seed)
    command = "python3 benchmarks/reader.py " + " ".join(a if " " not in a else repr(a) for a in (argv or sys.argv[1:]))
    text = report(args.label or site.name, pages, site, found, command)
    print(text)
    for row in found["previews"] + found["searches"]:
        print(json.dumps(row, ensure_ascii=False))
    if args.write_docs:
        write_docs(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
