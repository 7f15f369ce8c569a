"""The Markdown floor: stock Python-Markdown alone over every page of a content folder, on N processes.

    python benchmarks/md_floor.py --content DIR [--jobs N]

Each page is read, its YAML front matter cut off (not parsed), and its body converted by a fresh stock
`markdown.Markdown` with the extensions a wiki uses (tables, fenced_code, footnotes, sane_lists, toc),
`reset()` between pages. Nothing is written. No wiki links are resolved, no page is rendered into a
theme: this is the time a build that keeps Python-Markdown cannot go below (issue 16's floor).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

EXTENSIONS = ["tables", "fenced_code", "footnotes", "sane_lists", "toc"]
CHUNK = 64


def markdown_files(content: Path) -> list[str]:
    """Every .md file under content (dot-folders skipped), sorted."""
    found = []
    for folder, dirs, files in os.walk(content):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(folder, name) for name in sorted(files) if name.endswith(".md") and not name.startswith(".")]
    return found


def body_of(text: str) -> str:
    """The text after a leading `---` front matter block (the whole text when there is none)."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[text.find("\n", end + 1) + 1:] if text.find("\n", end + 1) != -1 else ""
    return text


def convert(paths: list[str]) -> int:
    """Convert each file with stock Python-Markdown; return the number of characters of HTML made."""
    import markdown

    md = markdown.Markdown(extensions=EXTENSIONS)
    made = 0
    for path in paths:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
        made += len(md.reset().convert(body_of(text)))
    return made


def run(content: Path, jobs: int) -> tuple[int, int]:
    """(pages, characters of HTML) after converting every page on `jobs` processes."""
    paths = markdown_files(content)
    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    if jobs <= 1:
        return len(paths), sum(convert(chunk) for chunk in chunks)
    with ProcessPoolExecutor(jobs) as pool:
        return len(paths), sum(pool.map(convert, chunks))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes (default: every core, as kbwiki build uses)")
    args = parser.parse_args(argv)
    pages, made = run(args.content, args.jobs)
    print(f"converted {pages} pages ({made} characters of HTML) on {args.jobs} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
