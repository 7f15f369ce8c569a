"""Command line: arguments, printing and exit codes. The only module that prints or exits."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from generator import __version__
from generator.config import Config, ConfigError, load_config
from generator.diagnostics import Diagnostic
from generator.site import build_site
from generator.writer import OutputError, build_lock, check_out_dir, foreign_files, write_site

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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kbwiki` console script and `python -m generator`."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return {"build": cmd_build}[args.command](args)
    except (ConfigError, OutputError) as exc:
        print(f"kbwiki: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kbwiki: interrupted", file=sys.stderr)
        return 130


def make_config(args: argparse.Namespace) -> Config:
    """Config from the config file plus command-line options."""
    templates = getattr(args, "templates", None)
    if templates is None and Path("templates").is_dir():
        templates = Path("templates")
    if templates is not None and not templates.is_dir():
        raise ConfigError(f"templates folder {templates} does not exist")
    return load_config(args.config, content_dir=args.content, out_dir=getattr(args, "out", None),
                       templates_dir=templates, base_url=getattr(args, "base_url", None),
                       strict=getattr(args, "strict", False), verbose=getattr(args, "verbose", False))


def cmd_build(args: argparse.Namespace) -> int:
    """kbwiki build."""
    config = make_config(args)
    if not config.content_dir.is_dir():
        print(f"kbwiki: content folder {config.content_dir} does not exist", file=sys.stderr)
        return EXIT_USAGE
    check_out_dir(config.out_dir, config.content_dir, config.templates_dir, force=args.force)
    started = time.perf_counter()
    site = build_site(config)
    report(site.diagnostics, verbose=config.verbose)
    if config.strict and site.diagnostics:
        print(f"kbwiki: --strict: {len(site.diagnostics)} problem(s); the site was not written", file=sys.stderr)
        return EXIT_PROBLEMS
    with build_lock(config.out_dir):
        stray = foreign_files(config.out_dir, site.outputs)
        if stray:
            shown = ", ".join(stray[:5]) + (f" and {len(stray) - 5} more" if len(stray) > 5 else "")
            print(f"kbwiki: removing {len(stray)} file(s) from {config.out_dir} that this build does not write: {shown}", file=sys.stderr)
        count = write_site(site.outputs, config.out_dir)
    elapsed = time.perf_counter() - started
    pages = len(site.wiki.entries)
    print(f"Built {pages} page{'s' if pages != 1 else ''} ({count} files) into {config.out_dir} in {elapsed:.2f} s")
    return EXIT_OK


def report(diagnostics: list[Diagnostic], verbose: bool) -> None:
    """Print the count of problems and the first few (all with --verbose), to stderr."""
    if not diagnostics:
        return
    errors = sum(1 for d in diagnostics if d.level == "error")
    warnings = len(diagnostics) - errors
    print(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}:", file=sys.stderr)
    shown = diagnostics if verbose else diagnostics[:SHOWN_DIAGNOSTICS]
    for item in shown:
        print("  " + item.text(), file=sys.stderr)
    if len(shown) < len(diagnostics):
        print(f"  … and {len(diagnostics) - len(shown)} more (--verbose shows all; `kbwiki check` lists them by file)", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
