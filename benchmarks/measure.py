"""Running one command and measuring it: wall time, exit code, peak memory; and what machine this is."""

from __future__ import annotations

import os
import platform
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.1  # how often the process tree's memory is summed (a /proc scan costs a few ms)
SAMPLER_SHARE = 0.05  # at most this share of a core goes to summing it: a 100k build's scan takes ~30 ms


@dataclass(frozen=True, slots=True)
class Run:
    """One finished command: wall seconds, peak RSS in bytes, exit code, the end of its output."""

    seconds: float
    peak_rss: int
    returncode: int
    tail: str = ""
    timed_out: bool = False
    cpu_seconds: float = 0.0  # user + system time of the command and the children it waited for
    largest_rss: int = 0  # the largest single process's peak RSS (wait4's ru_maxrss: what /usr/bin/time reports)
    tree_pss: int = 0  # the peak of the process tree's summed PSS (sampled)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def problem(self) -> str:
        """Why the run failed, in one line (empty when it did not)."""
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s"
        if self.returncode != 0:
            last = self.tail.strip().splitlines()[-1:] or [""]
            return f"exit {self.returncode}: {last[0][:160]}"
        return ""


def _tree(root: int, include_root: bool) -> tuple[list[int], dict[int, int]]:
    """The pids of a process (unless include_root is False) and all its descendants now, and every RSS."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2:].split()  # fields 3.. of proc(5); the name may hold spaces
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * PAGE_SIZE
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root] if include_root else list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found, rss


def tree_rss(root: int, include_root: bool = True) -> int:
    """The summed resident memory of a process (unless include_root is False) and all its descendants now (bytes).

    Forked workers share most of their pages with their parent; RSS counts those pages once per process."""
    pids, rss = _tree(root, include_root)
    return sum(rss.get(pid, 0) for pid in pids)


def _pss(pid: int) -> int | None:
    """A process's proportional set size (shared pages divided among the processes sharing them), bytes."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def tree_pss(root: int, include_root: bool = True, attempts: int = 5) -> int:
    """The summed PSS of a process tree now (bytes): the memory the tree really uses, shared pages counted
    once. Falls back to summed RSS where no process's PSS can be read (a kernel without smaps_rollup).

    A process whose PSS cannot be read while others' can is exiting (its memory map is already gone, its
    pages on their way back) and counts 0: its RSS, read a moment before, would count every page it
    shared with its parent again, a phantom peak that came more often the more often workers are forked.
    A sum is kept only when the tree had the same processes before and after it was read."""
    total = 0
    for _ in range(attempts):
        pids, rss = _tree(root, include_root)
        found = {pid: _pss(pid) for pid in pids}
        if pids and all(pss is None for pss in found.values()):
            total = sum(rss.get(pid, 0) for pid in pids)
        else:
            total = sum(pss or 0 for pss in found.values())
        if sorted(_tree(root, include_root)[0]) == sorted(pids):
            return total
    return total  # the tree kept changing: the last sum


def sample_pause(read_seconds: float) -> float:
    """Seconds to wait before the next reading, after one that took `read_seconds` of CPU: SAMPLE_SECONDS,
    or longer when readings are costly (reading smaps_rollup of a 3 GB process takes a core's tens of
    milliseconds, which every 0.1 s would slow the build being measured by a third of a core)."""
    return max(SAMPLE_SECONDS, read_seconds / SAMPLER_SHARE)


class _Sampler(threading.Thread):
    """Polls tree_pss(pid) until stopped, taking at most SAMPLER_SHARE of a core; keeps the peak."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0
        self._halt = threading.Event()

    def run(self) -> None:
        pause = SAMPLE_SECONDS
        while not self._halt.wait(pause):
            started = time.thread_time()
            self.peak = max(self.peak, tree_pss(self.pid, include_root=False))
            pause = sample_pause(time.thread_time() - started)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# The wrapper forks and execs the command and reports its wall time and wait4 ru_maxrss. A child
# forked straight from the runner would inherit the runner's own high-water RSS (Linux keeps it
# across fork and exec), which holds a whole corpus; the wrapper is a small fresh process.
_WRAPPER = r"""
import os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    except OSError as exc:
        print(f"cannot run {cmd[0]}: {exc.strerror}", file=sys.stderr, flush=True)
    os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(report, "w") as handle:
    handle.write(f"{seconds} {usage.ru_maxrss * 1024} {usage.ru_utime + usage.ru_stime}")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_command(cmd: list[str], log: Path, cwd: Path | None = None, timeout: float = 3600.0,
                env: dict | None = None) -> Run:
    """Run `cmd` (output appended to `log`) and measure it.

    Seconds: the command's wall time, measured by the wrapper around fork/exec/wait. Peak memory:
    the larger of the biggest single process's peak RSS (wait4's ru_maxrss) and the sampled sum of
    PSS over the process tree (worker pools; shared pages counted once; every SAMPLE_SECONDS, or less
    often when a reading is costly: sample_pause()).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    report = log.with_name(log.name + ".last")
    report.unlink(missing_ok=True)
    with open(log, "ab") as out:
        out.write(f"\n$ {shlex.join(cmd)}\n".encode())
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(report), *cmd], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        sampler = _Sampler(proc.pid)
        sampler.start()
        timed_out = threading.Event()
        timer = threading.Timer(timeout, lambda: (timed_out.set(), _kill_group(proc.pid)))
        timer.start()
        proc.wait()
        seconds = time.perf_counter() - start
        timer.cancel()
        sampler.stop()
        _kill_group(proc.pid)  # leftovers of a killed or careless process tree
    peak, cpu, largest = sampler.peak, 0.0, 0
    try:
        measured, maxrss, cpu_text = report.read_text().split()
        seconds, largest, cpu = float(measured), int(maxrss), float(cpu_text)
    except (OSError, ValueError):
        pass  # killed before the command ended: the runner's own clock and the samples stand
    return Run(seconds, max(peak, largest), proc.returncode, _tail(log), timed_out.is_set(), cpu, largest, sampler.peak)


def _tail(log: Path, size: int = 2000) -> str:
    with open(log, "rb") as handle:
        handle.seek(max(0, log.stat().st_size - size))
        return handle.read().decode("utf-8", "replace")


def command_output(cmd: list[str], cwd: Path | None = None, timeout: float = 120.0) -> tuple[int, str]:
    """(exit code, stdout+stderr) of a quick command; (-1, reason) when it cannot run."""
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return -1, str(exc)
    return done.returncode, (done.stdout + done.stderr).strip()


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, OS, load average: what the figures were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ram = "unknown"
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    os_name = platform.system()
    try:
        os_name = next(line.split("=", 1)[1].strip('"') for line in Path("/etc/os-release").read_text().splitlines()
                       if line.startswith("PRETTY_NAME="))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": ram, "os": f"{os_name}, Linux {platform.release()}",
            "load": " / ".join(f"{x:.2f}" for x in os.getloadavg())}
