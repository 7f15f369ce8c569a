"""What a build's driver holds per page, part by part: the numbers behind docs/cluster.md's plan for 1M pages.

    python benchmarks/wiki_memory.py [--pages 2000] [--seed 1]

Generates the benchmark corpus (benchmarks/corpus.py), parses it (every core), gathers and lints it as a build
does, then for each part measures the memory a fresh copy of it takes (tracemalloc over pickle.loads of its
pickle: Python objects as the driver holds them) and its pickled size (what a Dask scatter sends), per page.
Memory, not time: safe to run on a busy machine; ~1 minute at 2,000 pages.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import pickle
import sys
import tempfile
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus as corpus_mod
from generator.build.pipeline import analyse, parse_all
from generator.config import Config
from generator.parse.sources import read_pages
from generator.wiki.model import lean


def copy_size(value: object) -> tuple[int, int]:
    """(bytes a fresh copy of `value` holds in memory, bytes of its pickle)."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    copy = pickle.loads(data)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del copy
    return held, len(data)


def parts(config: Config) -> tuple[int, list[tuple[str, object]]]:
    """The page count, and (name, value) of each part a build holds, in the order the build makes them."""
    sources, _ = read_pages(config.content_dir)
    raw = [s.raw for s in sources]
    parsed, problems = parse_all(config, sources)
    del sources
    wiki, diagnostics = analyse(config, parsed, problems)
    full_entries = dict(wiki.entries)
    leaned = {slug: lean(entry) for slug, entry in wiki.entries.items()}
    render = dataclasses.replace(wiki, entries=leaned, memo={})
    html = [entry.parsed.body.html_z for entry in leaned.values()]
    shape = {slug: dataclasses.replace(entry, parsed=dataclasses.replace(
        entry.parsed, body=dataclasses.replace(entry.parsed.body, html_z=b""), search=("", "", "")))
        for slug, entry in leaned.items()}
    return len(parsed), [
        ("the files' bytes (read before parsing)", raw),
        ("parsed pages, as parsing returns them", parsed),
        ("  entries before lean() (parsed pages + slugs + resolved links)", full_entries),
        ("  entries after lean() (what rendering reads)", leaned),
        ("    of which the bodies' compressed HTML", html),
        ("    of which the rest: fields, links, headings (no HTML, no search text)", shape),
        ("  link graph (networkx DiGraph)", wiki.graph),
        ("  related lists", wiki.related),
        ("  resolver (names -> pages)", wiki.resolver),
        ("  wanted (red links)", wiki.wanted),
        ("  what lint memoised (mention index, types)", wiki.memo),
        ("diagnostics", diagnostics),
        ("the render context a cluster build scatters (lean wiki, no memo)", render),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        content = corpus_mod.write_kbwiki(corpus_mod.generate(args.pages, seed=args.seed), Path(work) / "content")
        pages, measured = parts(Config(content_dir=content, out_dir=Path(work) / "site"))
        print(f"{pages} pages of the benchmark corpus (seed {args.seed}); per page, and scaled to 1M pages:\n")
        print("| part | in memory, per page | pickled, per page | in memory at 1M pages |")
        print("| --- | ---: | ---: | ---: |")
        for name, value in measured:
            held, pickled = copy_size(value)
            print(f"| {name} | {held / pages / 1024:.1f} KB | {pickled / pages / 1024:.1f} KB | "
                  f"{held / pages * 1e6 / 1e9:.1f} GB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
