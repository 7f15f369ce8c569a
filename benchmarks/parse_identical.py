"""Whether two versions of kbwiki parse a content folder to the same bytes: every page's pickled
(ParsedPage, diagnostics), as a parse worker pickles them, compared byte for byte.

    python benchmarks/parse_identical.py record --code OLD_CHECKOUT --content DIR --out old.pickle
    python benchmarks/parse_identical.py record --code . --content DIR --out new.pickle
    python benchmarks/parse_identical.py compare old.pickle new.pickle

`record` parses every page in this one process, in order, with one Markdown instance (as a worker does),
using the `generator` package found in --code (a checkout of the version to record, e.g. `git worktree
add` or `git archive` of the commit to compare with). `compare` names every page whose bytes differ, and
what differs in the first few; it exits 1 when any page does.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path


def record(code: Path, content: Path, out: Path) -> int:
    """Parse every page of `content` with the kbwiki in `code`; write {src_path: pickled result} to `out`."""
    sys.path.insert(0, str(code.resolve()))
    import generator
    from generator.config import load_config
    from generator.parse.markdown import make_markdown
    from generator.parse.page import parse_source
    from generator.parse.sources import read_pages

    if Path(generator.__file__).resolve().parent.parent != code.resolve():
        raise SystemExit(f"generator was imported from {generator.__file__}, not from {code}")
    config = load_config(None, content_dir=content)
    sources, _ = read_pages(content)
    md = make_markdown()
    results = {source.src_path: pickle.dumps(parse_source(source, config, md), protocol=pickle.HIGHEST_PROTOCOL)
               for source in sources}
    out.write_bytes(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    print(f"{len(results)} pages of {content} parsed by {code} into {out}")
    return 0


def compare(old: Path, new: Path, shown: int = 5) -> int:
    """0 when both records hold the same pages with the same bytes; else 1, after saying what differs."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # to show a page that differs
    a, b = pickle.loads(old.read_bytes()), pickle.loads(new.read_bytes())
    if a.keys() != b.keys():
        print(f"different pages: only in {old}: {sorted(a.keys() - b.keys())[:shown]}, "
              f"only in {new}: {sorted(b.keys() - a.keys())[:shown]}")
        return 1
    differ = [path for path in a if a[path] != b[path]]
    for path in differ[:shown]:
        print(f"{path}: {len(a[path])} bytes -> {len(b[path])} bytes")
        try:
            before, after = pickle.loads(a[path]), pickle.loads(b[path])
            print(f"  equal when unpickled: {before == after}")
            if before != after:
                print(f"  old: {before!r:.600}\n  new: {after!r:.600}")
        except Exception as exc:  # noqa: BLE001 - classes of one version may not load in the other
            print(f"  not comparable unpickled: {exc}")
    print(f"{len(a)} pages, {len(differ)} differ")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record")
    rec.add_argument("--code", type=Path, required=True, help="the checkout whose generator/ parses")
    rec.add_argument("--content", type=Path, required=True)
    rec.add_argument("--out", type=Path, required=True)
    cmp = commands.add_parser("compare")
    cmp.add_argument("old", type=Path)
    cmp.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    if args.command == "record":
        return record(args.code, args.content, args.out)
    return compare(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
