"""Wall time and peak memory of a benchmark step, the way docs/benchmarks.md reports them."""

from __future__ import annotations

import os
import platform
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Measured:
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    child_peak_rss_mb: float = 0.0


@contextmanager
def measured() -> Iterator[Measured]:
    """Peak RSS is the process's high-water mark so far (Linux reports it in KiB); the child figure
    is the largest finished child process's own high-water mark, for steps that fork workers."""
    result = Measured()
    started = time.perf_counter()
    yield result
    result.seconds = round(time.perf_counter() - started, 2)
    result.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result.child_peak_rss_mb = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a running process has used (from /proc), to apportion a served
    request's time between the API process and its store's server."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared by forked workers count once across them, not once each."""
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:
        pass
    return found


class ProcessesMemory:
    """The peak of the summed memory of every process of a run, sampled twice a second from a thread:
    this process's descendants (a command and the workers it forks, a server the run started) and
    processes whose command line names ``marker`` (a store daemonised out of the tree). Issue 22's
    budget is for all processes together, which no single process's high-water mark shows."""

    def __init__(self, marker: str | None = None, interval: float = 0.5) -> None:
        import threading

        self.marker = marker
        self.interval = interval
        self.peak_mb = 0.0
        # The largest single process of each command (forked workers share their parent's command line).
        self.by_process_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessesMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = round(self.peak_mb, 1)

    def _pids(self) -> set[int]:
        me = os.getpid()
        pids: set[int] = set()
        stack = _children(me)
        while stack:
            pid = stack.pop()
            if pid not in pids:
                pids.add(pid)
                stack.extend(_children(pid))
        if self.marker:
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) != me:
                    try:
                        with open(f"/proc/{entry}/cmdline", "rb") as handle:
                            if self.marker.encode() in handle.read():
                                pids.add(int(entry))
                    except OSError:
                        continue
        return pids

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0.0
            for pid in self._pids():
                mb = _pss_kb(pid) / 1024
                total += mb
                try:
                    command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")
                    words = command.decode(errors="replace").split()
                except OSError:
                    continue
                if not words:
                    continue
                key = " ".join([words[0].rsplit("/", 1)[-1], *words[1:4]])[:80]
                self.by_process_mb[key] = max(self.by_process_mb.get(key, 0.0), round(mb, 1))
            self.peak_mb = max(self.peak_mb, total)
