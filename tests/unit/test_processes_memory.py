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
    marker = f"c360-marker-{time.monotonic_ns()}"
    # Started by a shell that exits at once: the holder is nobody's descendant here, as a daemonised store.
    subprocess.run(["sh", "-c", f'"{sys.executable}" -c "{HOLD}" 120 {marker} >/dev/null 2>&1 &'], check=True)
    time.sleep(1.0)
    with ProcessesMemory(marker=marker, interval=0.1) as marked:
        time.sleep(0.6)
    with ProcessesMemory(interval=0.1) as unmarked:
        time.sleep(0.6)
    assert marked.peak_mb >= 120
    assert unmarked.peak_mb < 120
