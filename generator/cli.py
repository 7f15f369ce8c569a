"""Command line: arguments, printing and exit codes. The only module that prints or exits."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from typing import TYPE_CHECKING

from generator import __version__
from generator.config import CONFIG_FILE, Config, ConfigError, cluster_setting, load_config, read_codes
from generator.serve import ServeError
from generator.diagnostics import Diagnostic, added, error_count
from generator.build.cache import default_cache_dir
from generator.build.fingerprint import read_inputs, up_to_date
from generator.build.progress import progress_factory
from generator.build.writer import OutputError, check_out_dir
from generator.build.cluster import ClusterError, require_dask

# The engine (Markdown, Jinja, networkx) is imported by the commands that use it: `kbwiki build` with
# nothing changed answers from the files and the manifest alone, in a fraction of the start-up time.
if TYPE_CHECKING:
    from generator.serve.rebuild import RebuildResult

GRAPH_FORMATS = ("json", "graphml", "gexf")  # graph_export.FORMATS (a test keeps the two the same)

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
SHOWN_DIAGNOSTICS = 5


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with one line, as argparse does, plus the hint
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", type=Path, default=Path("content"), help="the wiki's Markdown folder (default: ./content)")
    parser.add_argument("--config", type=Path, default=None, help="a kbwiki.yaml file (default: ./kbwiki.yaml when present)")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kbwiki", description="Build a static HTML wiki from a folder of Markdown pages.")
    parser.add_argument("--version", action="version", version=f"kbwiki {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    build = commands.add_parser("build", help="build the site", description="Build the content folder into a static site.")
    _common(build)
    build.add_argument("--out", type=Path, default=Path("site"), help="the output folder (default: ./site)")
    build.add_argument("--templates", type=Path, default=None, help="a theme folder overriding the default theme (default: ./templates when present)")
    build.add_argument("--base-url", default=None, help="absolute URL of the site root, for sitemap and feeds")
    build.add_argument("--strict", action="store_true", help="fail (exit 1) on any error or warning")
    build.add_argument("--verbose", "-v", action="store_true", help="print every diagnostic, not only the first few")
    build.add_argument("--force", action="store_true", help="replace a non-empty output folder kbwiki did not create")
    build.add_argument("--cache-dir", type=Path, default=None, help="the build cache folder (default: .kbwiki-cache beside the output folder)")
    build.add_argument("--no-cache", action="store_true", help="parse every page again and keep no cache")
    build.add_argument("--cluster", default=None, metavar="tcp://HOST:PORT",
                       help="parse and render on the Dask scheduler at this address (default: $KBWIKI_CLUSTER, else "
                            "`cluster:` in kbwiki.yaml, else this machine); needs pip install 'kbwiki[cluster]'")
    check = commands.add_parser("check", help="report broken links and other problems; writes nothing",
                                description="Check the wiki: errors (broken links, bad front matter, duplicates) and "
                                            "warnings (orphans, dead ends, no summary, unlinked mentions). Writes nothing.")
    _common(check)
    check.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1 on any)")
    check.add_argument("--select", default=None, metavar="CODE,...", help="report only these codes (replaces lint.select)")
    check.add_argument("--ignore", default=None, metavar="CODE,...", help="never report these codes (replaces lint.ignore)")
    check.add_argument("--verbose", "-v", action="store_true", help="show every finding, not only the first few of each code")
    check.add_argument("--out", type=Path, default=None,
                       help="the output folder of the build whose saved state check reuses (default: ./site)")
    check.add_argument("--cache-dir", type=Path, default=None, help="the cache folder, shared with build (default: .kbwiki-cache beside the output folder)")
    check.add_argument("--no-cache", action="store_true", help="parse every page again and keep no cache")
    new = commands.add_parser("new", help="create a page from its type's archetype",
                              description="Write <content>/<type folder>/<slug>.md from the type's archetype. Never overwrites.")
    new.add_argument("type", metavar="TYPE", help="the page type, e.g. concept or entity")
    new.add_argument("title", metavar="TITLE", help="the page title")
    _common(new)
    new.add_argument("--templates", type=Path, default=None, help="a theme folder whose archetypes/ override the defaults (default: ./templates when present)")
    new.add_argument("--link", action="append", default=[], metavar="PAGE", help="a page to list in the front-matter links (repeatable)")
    serve = commands.add_parser("serve", help="serve locally (a site already built at once), rebuild on every change",
                                description="Serve the site at http://127.0.0.1:8000/ (one already in --out at once, brought up to date behind it; "
                                            "else built first), rebuild and reload open pages on every change.")
    _common(serve)
    serve.add_argument("--out", type=Path, default=Path("site"), help="the output folder (default: ./site)")
    serve.add_argument("--templates", type=Path, default=None, help="a theme folder overriding the default theme (default: ./templates when present)")
    serve.add_argument("--port", type=_port, default=None, help="the port (default: 8000, else the next free one; 0 = any free port)")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--open", action="store_true", help="open the site in the web browser")
    serve.add_argument("--verbose", "-v", action="store_true", help="print every diagnostic and the traceback of a failed rebuild")
    serve.add_argument("--force", action="store_true", help="replace a non-empty output folder kbwiki did not create")
    graph = commands.add_parser("graph", help="write the link graph (JSON, GraphML or GEXF)",
                                description="Write the wiki's link graph for graph tools (Gephi, Cytoscape, networkx).")
    _common(graph)
    graph.add_argument("--format", choices=GRAPH_FORMATS, default="json", help="json (node-link), graphml or gexf (default: json)")
    graph.add_argument("--output", "-o", type=Path, default=None, help="the file to write (default: standard output)")
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: a number from 0 to 65535")
    return int(text)


def run() -> None:
    """The `kbwiki` console script and `python -m generator`: main(), then exit at once. A build leaves a
    wiki's worth of objects behind; freeing them one by one at exit took seconds, and nothing is left
    to flush but the standard streams (every file is written and closed by then)."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`kbwiki check | head`) or stream
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kbwiki` console script and `python -m generator`."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return {"build": cmd_build, "check": cmd_check, "new": cmd_new, "serve": cmd_serve,
                "graph": cmd_graph}[args.command](args)
    except (ConfigError, OutputError, ServeError, ClusterError) as exc:
        print(f"kbwiki: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kbwiki: interrupted", file=sys.stderr)
        return 130


def content_config(args: argparse.Namespace) -> Config:
    """make_config(), for commands that need an existing content folder (a usage error otherwise)."""
    config = make_config(args)
    if not config.content_dir.is_dir():
        raise ConfigError(f"content folder {config.content_dir} does not exist")
    return config


def make_config(args: argparse.Namespace) -> Config:
    """Config from the config file plus command-line options."""
    templates = getattr(args, "templates", None)
    if templates is None and Path("templates").is_dir():
        templates = Path("templates")
    if templates is not None and not templates.is_dir():
        raise ConfigError(f"templates folder {templates} does not exist")
    # Only `kbwiki build` sends work to a cluster: the other commands build here, whatever kbwiki.yaml says
    cluster = cluster_setting(args.cluster, os.environ) if getattr(args, "command", None) == "build" else ""
    return load_config(args.config, content_dir=args.content, out_dir=getattr(args, "out", None),
                       templates_dir=templates, base_url=getattr(args, "base_url", None),
                       strict=getattr(args, "strict", False), verbose=getattr(args, "verbose", False), cluster=cluster)


def cmd_build(args: argparse.Namespace) -> int:
    """kbwiki build."""
    config = content_config(args)
    check_out_dir(config.out_dir, config.content_dir, config.templates_dir, force=args.force)
    if config.cluster:
        require_dask()  # the extra missing is an error even when nothing changed; the scheduler is reached once work needs it

    def stray(paths: list[str]) -> None:
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        print(f"kbwiki: removing {len(paths)} file(s) from {config.out_dir} that this build does not write: {shown}", file=sys.stderr)

    started = time.perf_counter()
    inputs = read_inputs(config, None if args.no_cache else args.cache_dir or default_cache_dir(config))
    current = up_to_date(config.out_dir, inputs)
    if current is not None:
        report(current.diagnostics, verbose=config.verbose)
        if config.strict and current.diagnostics:
            print(f"kbwiki: --strict: {len(current.diagnostics)} problem(s); the site was not written", file=sys.stderr)
            return EXIT_PROBLEMS
        pages = f"{current.pages} page{'s' if current.pages != 1 else ''}"
        print(f"Nothing changed: {pages} ({current.files} files) in {config.out_dir} are up to date "
              f"({time.perf_counter() - started:.2f} s)")
        return EXIT_OK
    from generator.build.session import run_build
    result = run_build(config, cache_dir=args.cache_dir, use_cache=not args.no_cache,
                       progress=progress_factory(sys.stderr), on_stray=stray, inputs=inputs)
    for note in result.notes:
        print(f"kbwiki: {note}", file=sys.stderr)
    report(result.diagnostics, verbose=config.verbose)
    if config.strict and result.diagnostics:
        print(f"kbwiki: --strict: {len(result.diagnostics)} problem(s); the site was not written", file=sys.stderr)
        return EXIT_PROBLEMS
    pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
    if result.unchanged:
        print(f"Nothing changed: {pages} ({result.files} files) in {config.out_dir} are up to date ({result.seconds:.2f} s)")
    else:
        print(f"Built {pages} ({result.files} files) into {config.out_dir} in {result.seconds:.2f} s"
              f" — parsed {result.parsed}, from cache {result.cached}; rendered {result.rendered}, unchanged {result.kept}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """kbwiki check: analyse in memory, print the report to stdout; exit 1 on errors (any problem with --strict)."""
    config = content_config(args)
    lint = config.lint
    if args.select is not None:
        lint = dataclasses.replace(lint, select=read_codes("--select", args.select))
    if args.ignore is not None:
        lint = dataclasses.replace(lint, ignore=read_codes("--ignore", args.ignore))
    config = dataclasses.replace(config, lint=lint)
    from generator.commands import check as checking
    result = checking.run_check(config, args.cache_dir, use_cache=not args.no_cache)
    if args.format == "json":
        sys.stdout.write(checking.format_json(result, strict=args.strict))
    else:
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        per_code = 0 if config.verbose else config.lint.per_code
        sys.stdout.write(checking.format_text(result, colour=colour, strict=args.strict, per_code=per_code))
    return EXIT_PROBLEMS if result.errors(args.strict) else EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    """kbwiki new: write one page from its archetype; print its path, then pages that already mention it."""
    config = content_config(args)
    from generator.commands import new as new_page
    existing = new_page.read_existing(config)
    page, problem = new_page.plan_new_page(config, existing, args.type, args.title, args.link, dt.date.today().isoformat())
    if page is None:
        print(f"kbwiki: {problem}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        path = new_page.create_page(config.content_dir, page)
    except FileExistsError:
        print(f"kbwiki: {config.content_dir / page.src_path} already exists; nothing written", file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as exc:
        print(f"kbwiki: cannot write {config.content_dir / page.src_path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(path)
    linking = new_page.linking_pages(existing, args.title)
    if linking:
        print(f"{len(linking)} page(s) already link to it:", file=sys.stderr)
        for src_path in linking:
            print(f"  {src_path}", file=sys.stderr)
    mentioning = [p for p in new_page.mentioning_pages(existing, args.title) if p not in linking]
    if mentioning:
        print(f"{len(mentioning)} page(s) mention \"{args.title}\" without linking it (candidates to link):", file=sys.stderr)
        for src_path in mentioning:
            print(f"  {src_path}", file=sys.stderr)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """kbwiki serve: serve the site on disk at once (or build first when there is none), watch and rebuild until Ctrl-C."""
    config = content_config(args)
    check_out_dir(config.out_dir, config.content_dir, config.templates_dir, force=args.force)
    shown: list[Sequence[Diagnostic]] = [()]  # the last good build's diagnostics

    def on_result(result: RebuildResult) -> None:
        stamp = time.strftime("%H:%M:%S")
        for note in result.notes:
            print(f"kbwiki: {note}", file=sys.stderr)
        if result.ok:
            new = added(result.diagnostics, shown[0])  # only what this change brought
            shown[0] = result.diagnostics
            counts = f"{result.pages} pages ({result.files} files, {result.reparsed} parsed) in {result.seconds:.2f} s"
            if result.catch_up:
                then = "the site on disk was up to date" if result.unchanged else "the site is rebuilt; open pages reload"
                print(f"[{stamp}] Caught up: {counts}; {then}", flush=True)
            else:
                print(f"[{stamp}] {'Up to date:' if result.unchanged else 'Built'} {counts}", flush=True)
            report(new, verbose=config.verbose)
            return
        print(f"[{stamp}] Not rebuilt: the last good site is still served.", file=sys.stderr)
        if result.failure:
            print("  " + result.failure.replace("\n", "\n  "), file=sys.stderr)
            if config.verbose:
                print(result.detail, file=sys.stderr)
        for item in result.blocking:
            print("  " + item.text(), file=sys.stderr)
        sys.stderr.flush()

    def on_watch_error(exc: Exception) -> None:
        print(f"kbwiki: cannot watch for changes ({exc}); serving without rebuilds", file=sys.stderr, flush=True)

    config_file = args.config or Path(CONFIG_FILE)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    from generator.serve.rebuild import start_serving
    serving = start_serving(lambda: make_config(args), args.host, args.port, config_file, on_result, on_watch_error,
                            progress=progress_factory())
    try:  # from here on Ctrl-C stops serving cleanly (exit 0), so the URL is printed only now
        if serving.from_disk:
            print(f"Serving the site on disk ({config.out_dir}) at {serving.url} while it catches up with the content "
                  "(Ctrl-C to stop)", flush=True)
        else:
            print(f"Serving {config.out_dir} at {serving.url} (Ctrl-C to stop)", flush=True)
        serving.start_rebuilding()
        if args.open:
            import webbrowser  # here: every other command starts without it
            webbrowser.open(serving.url)
        serving.wait()
    except KeyboardInterrupt:
        pass
    finally:
        building = serving.stop()
        signal.signal(signal.SIGTERM, previous)
    if serving.save_problem:
        print(f"kbwiki: {serving.save_problem}", file=sys.stderr)
    print("Stopped.", flush=True)
    if building:  # abandoned (the catch-up of a large wiki, a long rebuild): its pool would hold up or hang a normal exit
        from generator.build.parallel import stop_workers
        stop_workers()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_OK)
    return EXIT_OK


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_graph(args: argparse.Namespace) -> int:
    """kbwiki graph: the link graph through networkx's writers, to a file or standard output."""
    config = content_config(args)
    from generator.commands.graph_export import export_graph
    from generator.wiki.gather import gather
    from generator.build.parallel import map_forked
    from generator.build.pipeline import load
    from generator.parse.sources import discover_attachments
    parsed, problems = load(config)
    wiki, _ = gather(config, parsed, tuple(discover_attachments(config.content_dir)), map_chunks=map_forked)
    data = export_graph(wiki, args.format)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return EXIT_OK
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(data)
    except OSError as exc:
        print(f"kbwiki: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    nodes, edges = len(wiki.entries), len(wiki.graph.edges())
    print(f"Wrote the link graph ({nodes} pages, {edges} links) as {args.format} to {args.output}", file=sys.stderr)
    return EXIT_OK


def report(diagnostics: Sequence[Diagnostic], verbose: bool) -> None:
    """Print the count of problems and the first few (all with --verbose), to stderr."""
    if not diagnostics:
        return
    errors = error_count(diagnostics)
    warnings = len(diagnostics) - errors
    print(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}:", file=sys.stderr)
    shown = diagnostics if verbose else diagnostics[:SHOWN_DIAGNOSTICS]
    for item in shown:
        print("  " + item.text(), file=sys.stderr)
    if len(shown) < len(diagnostics):
        print(f"  … and {len(diagnostics) - len(shown)} more (--verbose shows all; `kbwiki check` lists them by file)", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
