"""Where parsing's CPU goes, component by component: parse_source over a sample of pages in this process.

    python benchmarks/parse_components.py --content DIR [--every N] [--repeat R] [--profile FILE]

Each page is parsed as a parse worker parses it (parse_source, then pickled as parse_many pickles it),
then unpickled and keyed as the parent does before the parse cache takes it. Named functions of the parse
stage and each of Python-Markdown's processors are wrapped in timers of this process's CPU time
(time.process_time: robust to other processes sharing the machine); each component's time is its own,
less the wrapped components it calls. A component missing from a version of the code is left out.
Prints ms of CPU per page for each component (with --repeat, its least over the passes), and the total. --profile writes cProfile's statistics of
one unwrapped pass instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import pickle
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.config import load_config  # noqa: E402
from generator.parse.sources import read_pages  # noqa: E402

_clock = time.process_time
_spent: dict[str, float] = defaultdict(float)
_stack: list[list] = []  # [name, start, time of wrapped calls inside]


def timed(name: str, function):
    """`function`, its CPU time less that of the timed calls inside it added to _spent[name]."""
    def wrapper(*args, **kwargs):
        frame = [name, _clock(), 0.0]
        _stack.append(frame)
        try:
            return function(*args, **kwargs)
        finally:
            _stack.pop()
            elapsed = _clock() - frame[1]
            _spent[name] += elapsed - frame[2]
            if _stack:
                _stack[-1][2] += elapsed
    wrapper.__wrapped__ = function
    return wrapper


def wrap(module, attribute: str, name: str) -> None:
    if hasattr(module, attribute):
        setattr(module, attribute, timed(name, getattr(module, attribute)))


# (module, attribute, component): module-level names as the parse stage calls them
_FUNCTIONS = (
    ("generator.parse.page", "decode_source", "decode"),
    ("generator.parse.page", "too_costly", "limits: too_costly"),
    ("generator.parse.page", "time_limit", "limits: time_limit"),
    ("generator.parse.page", "parse_page", "front matter: fields"),
    ("generator.parse.content", "split_front_matter", "front matter: split"),
    ("generator.parse.content", "front_keys", "front matter: front_keys"),
    ("generator.parse.content", "_first_h1", "front matter: title"),
    ("generator.parse.page", "render_body", "markdown: render_body rest"),
    ("generator.parse.markdown", "packed_html", "zlib packing"),
    ("generator.parse.page", "packed_html", "zlib packing"),
    ("generator.parse.page", "extract_links", "links: extract"),
    ("generator.parse.links", "drop_comments", "links: extract"),
    ("generator.parse.page", "front_matter_links", "links: front matter"),
    ("generator.parse.page", "agree_with_rendering", "links: agree"),
    ("generator.parse.page", "link_contexts", "links: contexts"),
    ("generator.parse.page", "pack_contexts", "links: contexts packing"),
    ("generator.parse.page", "sanitize", "sanitize"),
    ("generator.parse.page", "source_digest", "digest"),
    ("generator.parse.page", "search_text", "search text"),
    ("generator.parse.page", "unsafe_url_problems", "problem scans"),
    ("generator.parse.page", "math_problems", "problem scans"),
    ("generator.parse.page", "unsafe_html_problems", "problem scans"),
    ("generator.parse.page", "problem_scans", "problem scans"),
)


def instrument(md) -> None:
    """Timers around the functions above and each of `md`'s processors, its block parser and serializer."""
    import importlib
    import yaml
    for module_name, attribute, name in _FUNCTIONS:
        wrap(importlib.import_module(module_name), attribute, name)
    content = importlib.import_module("generator.parse.content")
    content_yaml = getattr(content, "yaml", None)
    if content_yaml is not None:
        wrap(yaml, "load", "front matter: yaml")
    for kind, registry in (("pre", md.preprocessors), ("tree", md.treeprocessors), ("post", md.postprocessors)):
        for name in [registry._priority[i].name for i in range(len(registry))]:  # noqa: SLF001
            processor = registry[name]
            processor.run = timed(f"markdown {kind}: {name}", processor.run)
    md.parser.parseDocument = timed("markdown: block parser", md.parser.parseDocument)
    md.serializer = timed("markdown: serializer", md.serializer)
    md.convert = timed("markdown: convert rest", md.convert)
    md.reset = timed("markdown: reset", md.reset)


def parse_pass(sources, config, md, parse_source, key) -> None:
    """parse_source over every file, pickled as a worker does; unpickled and keyed as the parent does."""
    for source in sources:
        start = _clock()
        result = parse_source(source, config, md)
        middle = _clock()
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        after_dumps = _clock()
        pickle.loads(data)
        key(config, source.src_path, source.raw)
        end = _clock()
        _spent["(parse_source)"] += middle - start
        _spent["pickle: dumps (worker)"] += after_dumps - middle
        _spent["pickle: loads + parse_key (parent)"] += end - after_dumps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--content", type=Path, required=True)
    parser.add_argument("--every", type=int, default=1, help="parse every Nth page (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the sample; each component's least time is shown")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of one unwrapped pass here")
    args = parser.parse_args(argv)

    from generator.build.cache import parse_key
    from generator.parse.markdown import make_markdown
    from generator.parse import page as page_module

    config = load_config(None, content_dir=args.content)
    sources, _ = read_pages(args.content)
    sources = sources[::args.every]
    md = make_markdown()
    for source in sources[:200]:  # warm: imports, lexers, regex caches
        page_module.parse_source(source, config, md)
    gc.collect()
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        parse_pass(sources, config, md, page_module.parse_source, parse_key)
        profile.disable()
        profile.dump_stats(args.profile)
        print(f"{len(sources)} pages profiled into {args.profile}")
        return 0
    instrument(md)
    best: dict[str, float] = {}
    for _ in range(args.repeat):  # each component's least time over the passes: the noise of a shared machine is added time
        _spent.clear()
        start = _clock()
        parse_pass(sources, config, md, page_module.parse_source, parse_key)
        _spent["(total)"] = _clock() - start
        _spent["parse_source rest (dataclasses, lists)"] = _spent.pop("(parse_source)") - sum(
            v for k, v in _spent.items() if not k.startswith(("pickle", "(total")))
        best = {k: min(v, best.get(k, v)) for k, v in _spent.items()}
    total = best.pop("(total)")
    _spent.clear()
    _spent.update(best)
    pages = len(sources)
    digest = hashlib.sha256(repr(sorted(s.src_path for s in sources)).encode()).hexdigest()[:8]
    print(f"{pages} pages of {args.content} (every {args.every}, sample {digest}); ms of CPU per page, timers included")
    print(f"{'component':48} {'ms/page':>8} {'share':>6}")
    for name, spent in sorted(_spent.items(), key=lambda item: -item[1]):
        print(f"{name:48} {spent / pages * 1000:8.3f} {spent / total:6.1%}")
    print(f"{'total':48} {total / pages * 1000:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
