"""What highlighting fenced code adds to a cold build: every page's Markdown rendered with and without it.

    python benchmarks/highlight.py [--content DIR] [--repeat N]

One process, one core: each page's body is rendered by the same Markdown instance as a build uses, once with
the fence highlighter (parse/highlight.py) and once with it taken out, best of N rounds each; the first round
with it is shown too, as it pays for importing Pygments and making each language's lexer once (as every parse
process does). A rebuild pays none of it: the parse cache keeps the highlighted HTML.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.config import Config  # noqa: E402
from generator.parse.content import parse_page  # noqa: E402
from generator.parse.highlight import FENCE, lexer_for  # noqa: E402
from generator.parse.markdown import make_markdown, render_body  # noqa: E402

HELP_VAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "obsidian-help-en"


def bodies(content: Path) -> list[str]:
    """Every page's Markdown body, front matter left out."""
    return [parse_page(str(path.relative_to(content)), path.read_text(encoding="utf-8", errors="replace"), Config())[0].body
            for path in sorted(content.rglob("*.md"))]


def best(md, texts: list[str], repeat: int) -> float:
    """The fastest of `repeat` rounds of rendering every text, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            render_body(md, text)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--content", type=Path, default=HELP_VAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = bodies(args.content)
    with_it, without = make_markdown(), make_markdown()
    without.preprocessors.deregister("kb_code")
    off = best(without, texts, args.repeat)
    first = best(with_it, texts, 1)  # Pygments imported, each language's lexer made: what every parse process pays once
    on = best(with_it, texts, args.repeat)
    fences = [m for text in texts for m in FENCE.finditer(text) if m.group("lang")]
    coloured = sum(1 for m in fences if lexer_for(m.group("lang").lower()))
    print(f"{len(texts)} pages, {len(fences)} fences with a language ({coloured} highlighted)")
    print(f"Markdown without highlighting {off * 1000:.0f} ms; with it {on * 1000:.0f} ms "
          f"(+{(on - off) * 1000:.0f} ms, {(on - off) / off:+.0%}, {(on - off) / max(coloured, 1) * 1000:.2f} ms a fence); "
          f"the first round, Pygments' import and lexers included, {first * 1000:.0f} ms (+{(first - off) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
