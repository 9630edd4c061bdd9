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
