"""bench/measure.py's ProcessesMemory: the summed memory of a run's processes, its children and those
named by a marker, as the scale table reports it."""

import subprocess
import sys
import time

from bench.measure import ProcessesMemory

HOLD = "import sys, time; block = b'x' * (int(sys.argv[1]) * 2**20); time.sleep(3)"


def test_a_child_holding_memory_shows_in_the_peak_and_under_its_command() -> None:
    with ProcessesMemory(interval=0.1) as memory:
        subprocess.run([sys.executable, "-c", HOLD, "150"], check=True)
    assert memory.peak_mb >= 150
    assert max(memory.by_process_mb.values()) >= 150


def test_a_process_outside_the_tree_counts_only_when_its_command_names_the_marker() -> None:
    """Other children of this process (a test session's stores) count in both; the holder in one."""
    marker = f"c360-marker-{time.monotonic_ns()}"
    # Started by a shell that exits at once: the holder is nobody's descendant here, as a daemonised store.
    started = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -c "{HOLD}" 120 {marker} >/dev/null 2>&1 & echo $!'],
        check=True,
        capture_output=True,
        text=True,
    )
    holder = int(started.stdout)
    time.sleep(1.0)
    marked, unmarked = ProcessesMemory(marker=marker, interval=0.1), ProcessesMemory(interval=0.1)
    assert holder in marked._pids() and holder not in unmarked._pids()
    with marked:
        time.sleep(0.6)
    with unmarked:
        time.sleep(0.6)
    assert marked.peak_mb - unmarked.peak_mb >= 100
