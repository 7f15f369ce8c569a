"""One benchmark run: kbwiki (cold, no-change, one-page edit from the CLI and in serve), Hugo, MkDocs and the floor.

    python benchmarks/run.py [--sizes 1000,10000] [--large] [--huge] [--mkdocs-10k] [--repeat 3] [--no-doc]

Prints a table and rewrites docs/benchmarks.md (usage kept, figures replaced). docs/benchmarks.md says more.
A tool that is missing or fails is reported in the table; the run goes on.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus as corpus_mod  # noqa: E402  (benchmarks/ is not a package on the command line)
import measure  # noqa: E402
from full_wiki import ARCHIVE, full_wiki  # noqa: E402
import report  # noqa: E402
from report import CHECK_WARM, COLD, EDIT_CLI, EDIT_SERVE, FLOOR, MD_FLOOR, NO_CHANGE, SERVE_START, Result  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent  # this checkout: the one measured unless --repo names another
PY = sys.executable
DEFAULT_SAMPLE = REPO.parent / "shared" / "corpora" / "llm-wiki-sample"


def label_of(pages: int) -> str:
    return f"{pages // 1000}k" if pages % 1000 == 0 else str(pages)


# Where the run puts the folders it is done with (set by main(), emptied when the run ends): see _rm().
TRASH: list[Path] = []


def _rm(path: Path) -> None:
    """Put `path` out of the way before a measured command: renamed into the trash folder, deleted when the run ends
    (deleted at once when it cannot be renamed there). Right after a tree of many files is deleted, ext4 spends far
    more kernel time making new files for a minute or more (measured 2026-12-03 on this machine: 23,000 empty files
    made in 10.9 s of system time right after 46,000 files were deleted, in 1.2 s a hundred seconds later), so each
    cold build would pay for the deletion of the site before it, as would Hugo's and the floor's."""
    if not (path.exists() or path.is_symlink()):
        return
    if TRASH:
        try:
            os.rename(path, TRASH[0] / f"{len(list(TRASH[0].iterdir()))}-{path.name}")
            return
        except OSError:
            pass
    _delete(path)


def _delete(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (OSError, ValueError):
        return 0, ""


def _stop(proc: subprocess.Popen) -> None:
    """End a served process group: politely, then not."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
            break
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue


class Bench:
    """Runs the measurements of one invocation and collects Results."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.repo: Path = args.repo
        self.work: Path = args.work
        self.log = self.work / "run.log"
        self.log.write_text("")  # every command's output, this run only
        self.results: list[Result] = []
        self.corpora: dict[str, dict] = {}
        code, text = measure.command_output([PY, "-m", "generator", "build", "--help"], cwd=self.repo)
        self.build_help = text if code == 0 else ""
        code, text = measure.command_output([PY, "-m", "generator", "serve", "--help"], cwd=self.repo)
        self.serve_help = text if code == 0 else ""

    # -- running and recording ------------------------------------------------------------
    def say(self, text: str) -> None:
        print(text, flush=True)

    def run(self, cmd: list[str]) -> measure.Run:
        return measure.run_command(cmd, self.log, cwd=self.repo, timeout=self.args.timeout)

    def record(self, result: Result, run: measure.Run, i: int) -> bool:
        """Add one run to a result; a failed run marks the result failed. True when the run was fine."""
        self.say(f"  {result.corpus:>6} {result.tool:<7} {result.measure:<22} {i + 1}: "
                 + (f"{run.seconds:.2f} s, {run.peak_rss / report.MB:.0f} MB" if run.ok else run.problem()))
        if not run.ok:
            result.status = f"failed: {run.problem()}"
            return False
        result.runs.append(run.seconds)
        if run.cpu_seconds:
            result.cpu.append(run.cpu_seconds)
        result.peak_rss = max(result.peak_rss, run.peak_rss)
        result.largest_rss = max(result.largest_rss, run.largest_rss)
        result.tree_pss = max(result.tree_pss, run.tree_pss)
        return True

    def new(self, corpus: str, tool: str, what: str) -> Result:
        result = Result(corpus, tool, what)
        self.results.append(result)
        return result

    def guarded(self, result: Result, body) -> None:
        """Run body(); an unexpected exception becomes the result's status (and the log gets the traceback)."""
        try:
            body()
        except Exception as exc:  # the runner reports a broken tool instead of crashing
            result.status = f"error: {type(exc).__name__}: {exc}"
            with open(self.log, "a", encoding="utf-8") as log:
                log.write(traceback.format_exc())
            self.say(f"  {result.corpus} {result.tool} {result.measure}: {result.status}")

    # -- kbwiki ---------------------------------------------------------------------------
    def kbwiki_cmd(self, content: Path, out: Path, cache: Path) -> list[str]:
        cmd = [PY, "-m", "generator", "build", "--content", str(content), "--out", str(out)]
        if "--cache-dir" in self.build_help:
            cmd += ["--cache-dir", str(cache)]
        return cmd

    def kbwiki_builds(self, label: str, what: str, content: Path, out: Path, cache: Path, repeat: int,
                      before=None) -> Result:
        """`repeat` builds of content into out; before(i) runs first each time (fresh folders, an edit)."""
        result = self.new(label, "kbwiki", what)

        def body() -> None:
            for i in range(repeat):
                if before:
                    before(i)
                if not self.record(result, self.run(self.kbwiki_cmd(content, out, cache)), i):
                    return
        self.guarded(result, body)
        return result

    def kbwiki_cold(self, label, content, out, cache, repeat) -> Result:
        def fresh(_):
            _rm(out)
            _rm(cache)
        return self.kbwiki_builds(label, COLD, content, out, cache, repeat, fresh)

    def kbwiki_edit(self, label, content, out, cache, page: Path, repeat) -> Result:
        def edit(i):
            with open(page, "a", encoding="utf-8") as handle:
                handle.write(f"\nA benchmark edit, number {i + 1}, appended this sentence.\n")
        return self.kbwiki_builds(label, EDIT_CLI, content, out, cache, repeat, edit)

    def kbwiki_serve_edit(self, label: str, content: Path, root: Path, page: Path, url_path: str, repeat: int,
                          site: Path | None = None) -> None:
        """Time from writing `page` until `kbwiki serve` serves the edit at url_path, polled over HTTP. `site`: an
        output folder kbwiki built (its cache beside it), served at once; the edits start once serve has caught
        up with it. Else serve builds root/serve-site itself first."""
        result = self.new(label, "kbwiki", EDIT_SERVE)
        if not self.serve_help:
            result.status = "n/a (serve not available)"
            self.say(f"  {label:>6} kbwiki {EDIT_SERVE}: {result.status}")
            return
        if "--port" not in self.serve_help:
            result.status = "n/a (serve has no --port option)"
            return
        self.guarded(result, lambda: self._serve_edit(result, content, root, page, url_path, repeat, site))

    def _serve_edit(self, result: Result, content: Path, root: Path, page: Path, url_path: str, repeat: int,
                    site: Path | None) -> None:
        port = _free_port()
        cmd = [PY, "-m", "generator", "serve", "--content", str(content), "--port", str(port)]
        for flag, value in (("--host", "127.0.0.1"), ("--bind", "127.0.0.1"), ("--out", str(site or root / "serve-site")),
                            ("--cache-dir", str(root / ".kbwiki-serve-cache"))):
            if flag in self.serve_help and not (flag == "--bind" and "--host" in self.serve_help):
                cmd += [flag, value]
        for flag in ("--no-open", "--no-browser"):
            if flag in self.serve_help:
                cmd.append(flag)
        if site is not None:
            cmd = [part for part in cmd if part not in ("--cache-dir", str(root / ".kbwiki-serve-cache"))]  # the site's own
        url = f"http://127.0.0.1:{port}/{url_path}"
        with open(self.log, "ab") as log:
            log.write(f"\n$ {shlex.join(cmd)}\n".encode())
            log.flush()
            started_at = log.tell()
            proc = subprocess.Popen(cmd, cwd=self.repo, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        try:
            deadline = time.monotonic() + self.args.timeout
            status = 0
            while time.monotonic() < deadline and proc.poll() is None:
                status, _ = _fetch(url)
                if status == 200:
                    break
                time.sleep(0.2)
            if status != 200:
                result.status = (f"failed: serve exited ({proc.returncode})" if proc.poll() is not None
                                 else f"failed: {url_path} not served (HTTP {status})")
                return
            while site is not None and time.monotonic() < deadline and proc.poll() is None:
                with open(self.log, "rb") as log:  # serve says when its first build has caught up with the site
                    log.seek(started_at)
                    if b"Caught up" in log.read():
                        break
                time.sleep(0.2)
            for i in range(repeat):
                marker = f"kbwikiservemarker{i + 1}x{port}"
                with open(page, "a", encoding="utf-8") as handle:
                    handle.write(f"\nThe served page shows {marker} now.\n")
                started = time.perf_counter()
                seen = False
                limit = time.monotonic() + 120
                while time.monotonic() < limit and proc.poll() is None:
                    if marker in _fetch(url)[1]:
                        seen = True
                        break
                    time.sleep(0.02)
                run = measure.Run(time.perf_counter() - started, measure.tree_pss(proc.pid),
                                  0 if seen else 1, "" if seen else "the edit never showed (120 s)")
                if not self.record(result, run, i):
                    return
        finally:
            _stop(proc)

    # -- other tools ----------------------------------------------------------------------
    def floor(self, label: str, content: Path, out: Path, repeat: int) -> None:
        result = self.new(label, "floor", FLOOR)

        def body():
            for i in range(repeat):
                _rm(out)
                if not self.record(result, self.run([PY, str(HERE / "floor.py"), "--content", str(content),
                                                     "--out", str(out)]), i):
                    return
        self.guarded(result, body)

    def md_floor(self, label: str, content: Path, repeat: int) -> None:
        """Stock Python-Markdown alone over the same pages, on as many processes as the build uses."""
        result = self.new(label, "floor", MD_FLOOR)

        def body():
            for i in range(repeat):
                if not self.record(result, self.run([PY, str(HERE / "md_floor.py"), "--content", str(content),
                                                     "--jobs", str(os.cpu_count() or 1)]), i):
                    return
        self.guarded(result, body)

    def kbwiki_check_edit(self, label: str, content: Path, out: Path, cache: Path, page: Path, repeat: int) -> None:
        """`kbwiki check` right after a one-page edit (no build between), from the build's saved state."""
        result = self.new(label, "kbwiki", CHECK_WARM)
        cmd = [PY, "-m", "generator", "check", "--content", str(content), "--out", str(out), "--cache-dir", str(cache)]

        def body():
            for i in range(repeat):
                with open(page, "a", encoding="utf-8") as handle:
                    handle.write(f"\nA benchmark check edit, number {i + 1}.\n")
                run = self.run(cmd)
                if run.returncode == 1:  # findings with errors: still a finished check
                    run = measure.Run(run.seconds, run.peak_rss, 0, run.tail, run.timed_out, run.cpu_seconds,
                                      run.largest_rss, run.tree_pss)
                if not self.record(result, run, i):
                    return
        self.guarded(result, body)

    def kbwiki_serve_start(self, label: str, content: Path, out: Path, repeat: int) -> None:
        """Time from starting `kbwiki serve` on an up-to-date site (and cache) until it answers 200 for index.html."""
        result = self.new(label, "kbwiki", SERVE_START)
        if "--port" not in self.serve_help:
            result.status = "n/a (serve has no --port option)"
            return

        def body():
            for i in range(repeat):
                port = _free_port()
                cmd = [PY, "-m", "generator", "serve", "--content", str(content), "--out", str(out), "--port", str(port)]
                with open(self.log, "ab") as log:
                    log.write(f"\n$ {shlex.join(cmd)}\n".encode())
                    log.flush()
                    started = time.perf_counter()
                    proc = subprocess.Popen(cmd, cwd=self.repo, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
                try:
                    status, limit = 0, time.monotonic() + self.args.timeout
                    while status != 200 and time.monotonic() < limit and proc.poll() is None:
                        status = _fetch(f"http://127.0.0.1:{port}/index.html")[0]
                        if status != 200:
                            time.sleep(0.05)
                    seconds = time.perf_counter() - started
                    run = measure.Run(seconds, 0, 0 if status == 200 else 1, "" if status == 200 else f"HTTP {status}")
                finally:
                    _stop(proc)
                if not self.record(result, run, i):
                    return
        self.guarded(result, body)

    def hugo(self, label: str, corpus: corpus_mod.Corpus, root: Path, repeat: int) -> None:
        result = self.new(label, "Hugo", COLD)
        hugo = shutil.which("hugo")
        if hugo is None:
            result.status = "missing (hugo not found)"
            return
        site, out = root / "hugo", root / "hugo-site"

        def body():
            corpus_mod.write_hugo(corpus, site)
            for i in range(repeat):
                _rm(out)
                _rm(site / "resources")
                if not self.record(result, self.run([hugo, "--source", str(site), "--destination", str(out), "--quiet"]), i):
                    return
        self.guarded(result, body)

    def mkdocs(self, label: str, corpus: corpus_mod.Corpus, root: Path, repeat: int) -> None:
        result = self.new(label, "MkDocs", COLD)
        if measure.command_output([PY, "-m", "mkdocs", "--version"])[0] != 0:
            result.status = "missing (pip install mkdocs)"
            return
        project, out = root / "mkdocs", root / "mkdocs-site"

        def body():
            corpus_mod.write_mkdocs(corpus, project)
            for i in range(repeat):
                _rm(out)
                if not self.record(result, self.run([PY, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml"),
                                                     "-d", str(out)]), i):
                    return
        self.guarded(result, body)

    # -- corpora --------------------------------------------------------------------------
    def cache_for(self, content: Path) -> Path:
        return self.args.kbwiki_cache_dir or content.parent / ".kbwiki-cache"

    def synthetic(self, pages: int, repeat: int, full: bool = True) -> None:
        """Generate a corpus of `pages` pages and measure everything on it `repeat` times (full=False: cold build and floor)."""
        label = label_of(pages)
        root = self.work / label
        self.say(f"{label}: generating {pages} pages (seed {self.args.seed})")
        corpus = corpus_mod.generate(pages, self.args.seed)
        self.corpora[label] = corpus_mod.stats(corpus)
        content = root / "content"
        root.mkdir(parents=True, exist_ok=True)
        corpus_mod.write_kbwiki(corpus, content)
        out, cache = root / "site", self.cache_for(content)
        self.floor(label, content, root / "floor-site", repeat)
        self.md_floor(label, content, repeat)
        cold = self.kbwiki_cold(label, content, out, cache, repeat)
        if full:
            if cold.status == "ok":
                mid = corpus.mid_ranked()
                self.kbwiki_builds(label, NO_CHANGE, content, out, cache, repeat)
                self.kbwiki_edit(label, content, out, cache, content / mid.src_path, repeat)
                if self.serve_help:  # the edit's build left the site and the cache up to date
                    self.kbwiki_serve_start(label, content, out, repeat)
                self.kbwiki_check_edit(label, content, out, cache, content / mid.src_path, repeat)
                self.kbwiki_serve_edit(label, content, root, content / mid.src_path, mid.src_path[:-3].lower() + ".html", repeat)
            else:
                for what in (NO_CHANGE, EDIT_CLI, EDIT_SERVE):
                    self.new(label, "kbwiki", what).status = "skipped (cold build failed)"
            self.hugo(label, corpus, root, repeat)
            if pages <= 1000 or (pages <= 10000 and self.args.mkdocs_10k):
                self.mkdocs(label, corpus, root, repeat)
        if not self.args.keep:
            _rm(root)
            _rm(cache)

    def sample(self, vault: Path, repeat: int = 0) -> None:
        """The real vault: cold and no-change read in place; edits on a temporary copy."""
        label = vault.name
        if not vault.is_dir():
            self.new(label, "kbwiki", COLD).status = f"missing ({vault})"
            return
        pages = sorted(p for p in vault.rglob("*.md") if not any(part.startswith(".") for part in p.relative_to(vault).parts))
        self.corpora[label] = {"pages": len(pages), "total_bytes": sum(p.stat().st_size for p in pages), "path": str(vault)}
        tmp_path = Path(tempfile.mkdtemp(prefix="kbwiki-bench-", dir=self.args.work))  # into the trash when done
        try:
            self._sample_in(label, vault, pages, tmp_path, repeat)
        finally:
            _rm(tmp_path)

    def _sample_in(self, label: str, vault: Path, pages: list[Path], tmp_path: Path, repeat: int) -> None:
        out = tmp_path / "site"
        # In place, an explicit --cache-dir keeps kbwiki's cache out of shared/ when kbwiki has the option.
        cache = tmp_path / ".kbwiki-cache" if "--cache-dir" in self.build_help else self.cache_for(vault)
        self.say(f"{label}: {len(pages)} pages, read in place")
        repeat = repeat or self.args.sample_repeat or self.args.repeat
        self.md_floor(label, vault, repeat)
        cold = self.kbwiki_cold(label, vault, out, cache, repeat)
        if cold.status != "ok":
            for what in (NO_CHANGE, EDIT_CLI):
                self.new(label, "kbwiki", what).status = "skipped (cold build failed)"
            return
        self.kbwiki_builds(label, NO_CHANGE, vault, out, cache, repeat)
        copy = tmp_path / "vault"
        shutil.copytree(vault, copy, symlinks=True)
        copy_out, copy_cache = tmp_path / "copy-site", self.args.kbwiki_cache_dir or tmp_path / ".kbwiki-cache"
        self.say(f"{label}: copied to {copy} for the edit runs; one cold build first (not timed)")
        prime = self.run(self.kbwiki_cmd(copy, copy_out, copy_cache))
        if not prime.ok:
            self.new(label, "kbwiki", EDIT_CLI).status = f"failed: {prime.problem()}"
            return
        page = copy / pages[len(pages) // 2].relative_to(vault)
        self.kbwiki_edit(label, copy, copy_out, copy_cache, page, repeat)
        if self.serve_help and copy_cache == tmp_path / ".kbwiki-cache":  # serve's cache: beside its output folder
            self.kbwiki_serve_start(label, copy, copy_out, repeat)
        self.kbwiki_check_edit(label, copy, copy_out, copy_cache, page, repeat)
        if self.serve_help and copy_cache == tmp_path / ".kbwiki-cache":  # serving the copy's site, caught up first
            url_path = page.relative_to(copy).as_posix()[:-3].lower() + ".html"
            if (copy_out / url_path).is_file():
                self.kbwiki_serve_edit(label, copy, tmp_path, page, url_path, repeat, site=copy_out)
            else:
                self.new(label, "kbwiki", EDIT_SERVE).status = f"n/a (no {url_path} in the site)"


def versions(bench: Bench) -> dict[str, str]:
    """Python, kbwiki (version and git commit), Hugo and MkDocs."""
    _, kb = measure.command_output([PY, "-m", "generator", "--version"], cwd=bench.repo)
    _, commit = measure.command_output(["git", "-C", str(bench.repo), "rev-parse", "--short", "HEAD"])
    # only what the build runs counts: uncommitted changes to benchmarks/ or docs/ do not change the figures
    _, dirty = measure.command_output(["git", "-C", str(bench.repo), "status", "--porcelain", "--", "generator", "templates"])
    dirty_files = dirty.splitlines()
    hugo_code, hugo = measure.command_output(["hugo", "version"]) if shutil.which("hugo") else (1, "")
    mk_code, mk = measure.command_output([PY, "-m", "mkdocs", "--version"])
    return {"Python": platform.python_version(),
            "kbwiki": f"{kb} (commit {commit}{', with uncommitted changes' if dirty_files else ''})",
            "kbwiki serve": "available" if bench.serve_help else "not available",
            "Hugo": hugo.splitlines()[0] if hugo_code == 0 and hugo else "not installed",
            "MkDocs": mk.split(" from ")[0] if mk_code == 0 else "not installed"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark kbwiki against Hugo, MkDocs and the read+write floor.")
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated page counts, each optionally N:R for R runs instead of --repeat (default 1000,10000)")
    parser.add_argument("--large", action="store_true", help="also 50,000 pages")
    parser.add_argument("--huge", action="store_true", help="also 100,000 pages (one cold build and the floor)")
    parser.add_argument("--mkdocs-10k", action="store_true", help="also MkDocs at 10,000 pages (slow)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported (default 3)")
    parser.add_argument("--sample-repeat", type=int, default=0, help="runs per measurement on the real vault (default --repeat)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "work", help="work folder (default benchmarks/work)")
    parser.add_argument("--keep", action="store_true", help="keep each corpus and its outputs in the work folder")
    parser.add_argument("--kbwiki-cache-dir", type=Path, default=None,
                        help="kbwiki's cache folder, deleted before each cold build (default <content parent>/.kbwiki-cache)")
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE, help="a real vault, measured in place")
    parser.add_argument("--no-sample", action="store_true", help="skip the real vault")
    parser.add_argument("--no-full", action="store_true", help="skip the whole real LLM wiki (llm-wiki-full, 32,480 pages)")
    parser.add_argument("--full-repeat", type=int, default=1, help="runs per measurement on llm-wiki-full (default 1)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before one command is killed (default 3600)")
    parser.add_argument("--repo", type=Path, default=None, help="the kbwiki checkout to measure (default: this one)")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md", help="the doc to rewrite")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    try:
        args.size_list = [(int(n), int(r or args.repeat)) for n, _, r in (s.strip().partition(":") for s in args.sizes.split(",") if s.strip())]
    except ValueError:
        parser.error("--sizes takes comma-separated page counts, each optionally N:RUNS, e.g. 1000,10000:1")
    if args.repeat < 1 or args.sample_repeat < 0 or any(n < 2 or r < 1 for n, r in args.size_list):
        parser.error("--repeat must be at least 1 and every size at least 2")
    if args.large and 50000 not in [n for n, _ in args.size_list]:
        args.size_list.append((50000, args.repeat))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.repo = (args.repo or REPO).resolve()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    trash = args.work / "trash"
    _delete(trash)
    trash.mkdir()
    TRASH[:] = [trash]
    try:
        return _run(args, argv)
    finally:
        TRASH.clear()
        _delete(trash)


def _run(args: argparse.Namespace, argv: list[str] | None) -> int:
    command = "python benchmarks/run.py" + ("" if not sys.argv[1:] else " " + shlex.join(sys.argv[1:] if argv is None else argv))
    started = dt.datetime.now(dt.timezone.utc)
    host = measure.machine()
    bench = Bench(args)
    tools = versions(bench)  # before the runs: the commit measured, not one made meanwhile
    # kbwiki as pip installs it: its modules' bytecode compiled (an environment with PYTHONDONTWRITEBYTECODE set,
    # as this project's sandbox has, would otherwise compile every module again in every command measured)
    compileall.compile_dir(str(args.repo / "generator"), quiet=1)
    bench.say(f"kbwiki benchmarks: {command}\nwork folder {args.work}, log {bench.log}")
    load_at_start = host.pop("load")

    def write(done: bool) -> None:
        """Rewrite the doc: after each corpus (marked unfinished, so an interrupted run leaves its figures) and at the end."""
        host["load average (start → now)"] = f"{load_at_start} → " + " / ".join(f"{x:.2f}" for x in os.getloadavg())
        minutes = (dt.datetime.now(dt.timezone.utc) - started).total_seconds() / 60
        target_rows = report.targets(bench.results, "100k" if args.huge else None)
        measured = report.results_table(bench.results)
        if done:
            print("\n" + measured + "\n\n" + report.targets_table(target_rows))
        if args.no_doc:
            return
        corpora = {label: ", ".join(f"{k} {v}" for k, v in stats.items()) for label, stats in bench.corpora.items()}
        state = f"{minutes:.0f} min" if done else f"UNFINISHED: {minutes:.0f} min so far, the run is going on or was interrupted"
        report.write_doc(args.doc, [
            f"## Results\n\nRun on {started:%Y-%m-%d %H:%M} UTC ({state}), with:\n\n```bash\n{command}\n```",
            report.key_value_table("machine", host),
            report.key_value_table("versions", tools),
            report.key_value_table("corpus", corpora),
            "### Targets\n\n" + report.targets_table(target_rows),
            "### Measurements\n\nMedian of the runs listed; wall seconds of the command. CPU: the median user + system "
            "seconds of the command and its children (steadier than wall time on a busy machine; a process pool's CPU "
            "exceeds its wall time). Peak RSS: the highest over the runs (for serve: the serving process tree after the "
            "edit).\n\n" + measured,
        ])
        if done:
            print(f"\nwrote {args.doc}")

    for pages, repeat in args.size_list:
        bench.synthetic(pages, repeat)
        write(done=False)
    if args.huge:
        bench.synthetic(100000, 1, full=False)
        write(done=False)
    if not args.no_sample:
        bench.sample(args.sample)
        write(done=False)
    if not args.no_full:
        wiki = full_wiki()  # unpacked once into ~/.cache/kbwiki/corpora (benchmarks/full_wiki.py)
        if wiki is None:
            bench.new("llm-wiki-full", "kbwiki", COLD).status = f"missing ({ARCHIVE})"
        else:
            bench.sample(wiki, args.full_repeat)
    write(done=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
