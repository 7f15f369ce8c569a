"""The read+write floor: read every .md file of a content folder and write as many files of the same size.

    python benchmarks/floor.py --content DIR --out DIR

No parsing, no rendering: the time a build cannot go below on this machine (plus Python's start).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def copy_all(content: Path, out: Path) -> int:
    """Write out/<rel>.html with the bytes of each content/<rel>.md; return the number of files."""
    count = 0
    for folder, dirs, files in os.walk(content):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(folder, content)
        target = out / rel
        target.mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            if name.startswith(".") or not name.endswith(".md"):
                continue
            with open(os.path.join(folder, name), "rb") as handle:
                data = handle.read()
            with open(target / (name[:-3] + ".html"), "wb") as handle:
                handle.write(data)
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(f"copied {copy_all(args.content, args.out)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
