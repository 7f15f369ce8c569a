"""build/cluster.py: `kbwiki build --cluster` on real Dask processes. A distributed.LocalCluster (processes, 2 workers,
1 thread each) shared by the module, and one CLI build on `dask scheduler` and two `dask worker` processes, one of
which kills itself mid-build."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import corpus as corpus_mod
from generator.build.session import Session, run_build
from generator.config import CLUSTER_ENV, Config, ConfigError
from tests.conftest import DEMO, ROOT
from tests.serving import wait_for

try:
    import distributed
except ImportError:  # the `test` extra installs it: CI must run these
    if os.environ.get("CI"):
        raise
    pytest.skip("Dask's distributed is not installed (pip install '.[test]')", allow_module_level=True)

TIMEOUT = 120  # per command; they take seconds


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KBWIKI_JOBS", CLUSTER_ENV)}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def kbwiki(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m generator ARGS` in `cwd` (a folder with no kbwiki.yaml or templates/ of its own)."""
    return subprocess.run([sys.executable, "-m", "generator", *args], env=env or environment(), cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Finished(distributed.diagnostics.plugin.SchedulerPlugin):
    """Counts the kbwiki tasks the scheduler saw finish, by kind (parse, render)."""

    def __init__(self):
        self.counts: dict[str, int] = {}

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory" and str(key).startswith("kbwiki-"):
            kind = str(key).split("-")[1]
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def take(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes with 1 thread each, and the count of kbwiki tasks it finished."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as running:
        running.finished = Finished()
        running.scheduler.add_plugin(running.finished)
        yield running


@pytest.fixture(scope="module")
def wikis(tmp_path_factory) -> dict[str, Path]:
    """The demo, and a generated wiki of 120 pages (8 parse and 8 render tasks on this cluster)."""
    root = tmp_path_factory.mktemp("wikis")
    return {"demo": DEMO, "generated": corpus_mod.write_kbwiki(corpus_mod.generate(120, seed=20), root / "generated")}


@pytest.fixture(scope="module")
def local_sites(wikis, tmp_path_factory) -> dict[tuple[str, str], dict[str, bytes]]:
    """Each wiki built on this machine's cores and in one process (KBWIKI_JOBS=1), by the CLI."""
    root = tmp_path_factory.mktemp("local")
    sites = {}
    for name, content in wikis.items():
        for jobs in ("", "1"):
            out = root / f"{name}-{jobs or 'all'}"
            env = environment(KBWIKI_JOBS=jobs) if jobs else environment()
            done = kbwiki("build", "--content", str(content), "--out", str(out), "--no-cache", env=env, cwd=root)
            assert done.returncode == 0, done.stderr
            sites[name, jobs] = tree(out)
    return sites


@pytest.mark.parametrize("name", ["demo", "generated"])
def test_a_cluster_build_a_local_build_and_a_one_process_build_are_byte_identical(cluster, wikis, local_sites, tmp_path, name):
    cluster.finished.take()
    done = kbwiki("build", "--content", str(wikis[name]), "--out", str(tmp_path / "site"), "--no-cache",
                  "--cluster", cluster.scheduler_address, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert tree(tmp_path / "site") == local_sites[name, ""] == local_sites[name, "1"]
    finished = cluster.finished.take()
    assert finished.get("parse", 0) >= 1 and finished.get("render", 0) >= 1  # the work went to the cluster
    if name == "generated":
        assert finished["parse"] >= 8 and finished["render"] >= 8  # in chunks, spread over both workers


def test_the_driver_keeps_the_parse_cache_and_a_one_page_edit_stays_local(cluster, wikis, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(wikis["generated"], content)
    args = ("build", "--content", str(content), "--out", str(tmp_path / "site"), "--cache-dir", str(tmp_path / "cache"))
    env = environment(**{CLUSTER_ENV: cluster.scheduler_address})  # the environment's setting, this time
    cluster.finished.take()
    assert kbwiki(*args, env=env, cwd=tmp_path).returncode == 0
    assert cluster.finished.take().get("parse", 0) >= 8
    shutil.rmtree(tmp_path / "site")
    again = kbwiki(*args, env=env, cwd=tmp_path)
    assert "parsed 0, from cache 120; rendered 120" in again.stdout, again.stderr  # the workers' pickles, from the cache
    assert set(cluster.finished.take()) == {"render"}
    page = sorted(content.rglob("*.md"))[40]
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    edit = kbwiki(*args, env=env, cwd=tmp_path)
    assert "parsed 1, from cache 119; rendered 1, unchanged 119" in edit.stdout, edit.stderr
    assert cluster.finished.take() == {}  # the incremental body edit is built here
    run_build(Config(content_dir=content, out_dir=tmp_path / "cold"), use_cache=False)  # here, from scratch
    assert tree(tmp_path / "site") == tree(tmp_path / "cold")


def test_a_page_the_theme_cannot_render_is_named_as_a_local_build_names_it(cluster, make_vault, tmp_path):
    content = make_vault({"a.md": "# A\n\nSee [[B]].\n", "b.md": "# B\n\nSee [[A]].\n"})
    theme = tmp_path / "theme"
    theme.mkdir()
    page = (ROOT / "templates" / "page.html").read_text()
    (theme / "page.html").write_text(page.replace("{% block content %}", "{% block content %}{% if page.title == 'B' %}"
                                                  "{{ page.no_such_field }}{% endif %}", 1))
    assert "no_such_field" in (theme / "page.html").read_text()
    local = run_build(Config(content_dir=content, out_dir=tmp_path / "local", templates_dir=theme), use_cache=False)
    remote = run_build(Config(content_dir=content, out_dir=tmp_path / "remote", templates_dir=theme,
                              cluster=cluster.scheduler_address), use_cache=False)
    failed = [d for d in remote.diagnostics if d.code == "page-failed"]
    assert [d.src_path for d in failed] == ["b.md"] and "no_such_field" in failed[0].message
    assert [d.as_fields() for d in remote.diagnostics] == [d.as_fields() for d in local.diagnostics]
    assert tree(tmp_path / "remote") == tree(tmp_path / "local")


def set_environment(name: str, value: str | None) -> None:
    """Run on each worker (client.run): this module is imported there, so it is its os.environ that changes."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def test_a_page_too_slow_to_parse_is_stopped_on_a_worker_as_here(cluster, make_vault, tmp_path, monkeypatch):
    """Dask runs tasks in threads, where no timer signal reaches: the page's time limit stops it all the same."""
    content = make_vault({"a.md": "# A\n\nSee [[Slow]].\n", "slow.md": "# Slow\n\n" + "[" * 2500 + "x" + "]" * 2500 + "\n"})
    monkeypatch.setenv("KBWIKI_PAGE_SECONDS", "0.2")  # read where the page is parsed: here, and on the workers below
    client = distributed.Client(cluster, set_as_default=False)
    try:
        client.run(set_environment, "KBWIKI_PAGE_SECONDS", "0.2")
        local = run_build(Config(content_dir=content, out_dir=tmp_path / "local"), use_cache=False)
        remote = run_build(Config(content_dir=content, out_dir=tmp_path / "remote", cluster=cluster.scheduler_address),
                           use_cache=False)
    finally:
        client.run(set_environment, "KBWIKI_PAGE_SECONDS", None)
        client.close()
    assert [d.message for d in remote.diagnostics if d.code == "page-failed"] == ["page could not be rendered: parsing took longer than 0.2 s"]
    assert [d.as_fields() for d in remote.diagnostics] == [d.as_fields() for d in local.diagnostics]
    assert tree(tmp_path / "remote") == tree(tmp_path / "local")


def test_a_task_that_raises_names_the_page_and_leaves_the_old_site_whole(cluster, make_vault, tmp_path):
    content = make_vault({"a.md": "# A\n\nSee [[B]].\n", "b.md": "# B\n\nSee [[A]].\n"})
    out = tmp_path / "site"
    assert kbwiki("build", "--content", str(content), "--out", str(out), cwd=tmp_path).returncode == 0
    before = tree(out)
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "page.html").write_text("{% if %}broken{% endif %}\n")  # a theme error: every page's task raises
    done = kbwiki("build", "--content", str(content), "--out", str(out), "--templates", str(theme),
                  "--cluster", cluster.scheduler_address, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("kbwiki: a.md: rendering raised TemplateSyntaxError"), done.stderr
    assert tree(out) == before


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("phase", ["Parsing", "Rendering"])
def test_ctrl_c_cancels_the_tasks_and_leaves_the_old_site_whole(cluster, wikis, local_sites, tmp_path, phase):
    content = tmp_path / "content"
    shutil.copytree(wikis["generated"], content)
    write_tree(tmp_path / "site", local_sites["generated", ""])  # the site of these pages before the edits below
    before = tree(tmp_path / "site")
    for page in sorted(content.rglob("*.md"))[::10]:
        page.write_text(page.read_text() + "\nAn edit.\n")

    def progress(name: str, total: int):
        def tick(count: int) -> None:
            if name == phase:
                raise KeyboardInterrupt  # as Ctrl-C comes: in the main thread, mid-phase
        return tick
    session = Session(Config(content_dir=content, out_dir=tmp_path / "site", cluster=cluster.scheduler_address),
                      use_cache=False, progress=progress)
    with pytest.raises(KeyboardInterrupt):
        session.build()
    assert tree(tmp_path / "site") == before
    wait_for(lambda: not [k for k in list(cluster.scheduler.tasks) if str(k).startswith("kbwiki-")],
             "the scheduler to forget every kbwiki task")


def test_an_unreachable_scheduler_is_one_line_before_anything_is_written(make_vault, tmp_path):
    content = make_vault({"a.md": "# A\n"})
    for address, message in [(f"tcp://127.0.0.1:{free_port()}", "cannot reach the Dask scheduler at tcp://127.0.0.1:"),
                             ("tcp://127.0.0.1", "is not of the form tcp://HOST:PORT")]:
        done = kbwiki("build", "--content", str(content), "--out", str(tmp_path / "site"), "--cluster", address, cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
        assert not (tmp_path / "site").exists()
        assert not list((tmp_path / ".kbwiki-cache").glob("parse.sqlite*")) and not list((tmp_path / ".kbwiki-cache").glob("state-*"))


def test_a_scheduler_without_workers_is_a_clear_error(monkeypatch):
    from generator.build import cluster as cluster_mod
    monkeypatch.setattr(cluster_mod, "WORKER_SECONDS", 0.2)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0", silence_logs=logging.ERROR) as empty:
        with pytest.raises(cluster_mod.ClusterError, match="has no workers"):
            cluster_mod.connect(empty.scheduler_address)


def test_a_worker_running_other_code_is_refused(cluster, monkeypatch):
    from generator.build import cluster as cluster_mod
    from generator.parse.sources import SourceFile
    monkeypatch.setattr(cluster_mod, "_digest", "another kbwiki")  # this process's code, as the driver sees it
    with pytest.raises(cluster_mod.ClusterError, match="runs other code than this kbwiki"):
        cluster_mod.connect(cluster.scheduler_address)
    monkeypatch.undo()
    engine = cluster_mod.connect(cluster.scheduler_address)  # a worker that joins later: its first task refuses
    engine.code = "another kbwiki"
    try:
        with pytest.raises(cluster_mod.ClusterError, match="this worker runs other code"):
            list(engine.parse_many([SourceFile("a.md", b"# A\n")], Config()))
    finally:
        engine.close()


def test_without_the_extra_asking_for_a_cluster_is_one_line_naming_it(make_vault, tmp_path):
    content = make_vault({"a.md": "# A\n"})
    blocker = tmp_path / "no-dask" / "distributed"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError(\"No module named 'distributed'\")\n")
    env = environment(PYTHONPATH=f"{blocker.parent}{os.pathsep}{ROOT}", **{CLUSTER_ENV: "tcp://127.0.0.1:8786"})
    done = kbwiki("build", "--content", str(content), "--out", str(tmp_path / "site"), env=env, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "pip install 'kbwiki[cluster]'" in done.stderr and not (tmp_path / "site").exists()


def test_a_build_without_a_cluster_never_imports_dask(make_vault, tmp_path):
    content = make_vault({"a.md": "# A\n\nSee [[B]].\n", "b.md": "# B\n"})
    probe = ("import sys\nfrom generator.cli import main\n"
             f"assert main(['build', '--content', {str(content)!r}, '--out', {str(tmp_path / 'site')!r}]) == 0\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n")
    done = subprocess.run([sys.executable, "-c", probe], env=environment(), cwd=tmp_path, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("argv, env, expected", [
    ([], {}, "tcp://from-the-file:1"),
    ([], {CLUSTER_ENV: "tcp://from-the-environment:2"}, "tcp://from-the-environment:2"),
    (["--cluster", "tcp://from-the-command-line:3"], {CLUSTER_ENV: "tcp://from-the-environment:2"}, "tcp://from-the-command-line:3"),
])
def test_the_command_line_wins_over_the_environment_over_kbwiki_yaml(tmp_path, monkeypatch, argv, env, expected):
    from generator.cli import make_config, make_parser
    config_file = tmp_path / "kbwiki.yaml"
    config_file.write_text("cluster: tcp://from-the-file:1\n")
    monkeypatch.delenv(CLUSTER_ENV, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    args = make_parser().parse_args(["build", "--config", str(config_file), *argv])
    assert make_config(args).cluster == expected
    for command in (["serve"], ["check"]):  # only `kbwiki build` sends work to a cluster
        assert make_config(make_parser().parse_args([*command, "--config", str(config_file)])).cluster == ""
    assert Config().cluster == ""


def test_the_cluster_setting_is_text_and_shapes_nothing(tmp_path):
    from generator.config import load_config
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster: 8786\n")
    with pytest.raises(ConfigError, match="'cluster' must be text"):
        load_config(bad)
    assert Config(cluster="tcp://x:1").fingerprint() == Config().fingerprint()  # a cluster build is the same site


def test_real_scheduler_and_workers_one_killed_mid_build(wikis, local_sites, tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1; one worker kills itself once it has finished its
    first kbwiki task (tests/cluster_victim.py). The builds still succeed, byte for byte. Every process is stopped at
    the end whatever happens, and would stop by itself too (idle and death timeouts)."""
    scheduler_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    logs = []
    processes: list[subprocess.Popen] = []

    def start(*args: str, name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "w")
        logs.append(log)
        process = subprocess.Popen([*dask, *args], env=environment(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        return process
    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--idle-timeout", "120",
              "--scheduler-file", str(scheduler_file), name="scheduler")
        wait_for(lambda: scheduler_file.exists() and scheduler_file.stat().st_size, "the scheduler file")
        address = json.loads(scheduler_file.read_text())["address"]
        worker = ("worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1", "--nthreads", "1",
                  "--no-nanny", "--no-dashboard", "--death-timeout", "20")
        start(*worker, "--name", "steady", name="steady")
        victim = start(*worker, "--name", "victim", "--preload", str(ROOT / "tests" / "cluster_victim.py"), name="victim")
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        for name in ("generated", "demo"):  # the victim dies in the first
            out = tmp_path / name
            done = kbwiki("build", "--content", str(wikis[name]), "--out", str(out), "--no-cache", "--cluster", address,
                          cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            assert tree(out) == local_sites[name, ""], name
            if name == "generated":
                assert victim.poll() == -signal.SIGKILL  # it did die, during this build
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait(timeout=30)
        for log in logs:
            log.close()
