"""A first load's records normalised while its files are read: the same records, in the same order,
as normalising them all at once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.errors import HelperProcessEnded
from app.resolution.prepare import MatchRecordsAhead, match_record
from app.services.resolve import STORED_COLUMNS
from bench.demo_records import customer_rows
from demo import generate


def test_records_normalised_ahead_are_those_of_one_pass_in_the_order_added(tmp_path: Path) -> None:
    generate(tmp_path, 150, seed=5)
    values = [tuple(row.get(name) or None for name in STORED_COLUMNS) for row in customer_rows(tmp_path)]
    assert len(values) > 200
    ahead = MatchRecordsAhead(STORED_COLUMNS, chunk=50, workers=2)
    for start, end in ((0, 7), (7, 137), (137, 138), (138, len(values))):
        ahead.add(values[start:end])
    expected = [match_record(dict(zip(STORED_COLUMNS, value))) for value in values]
    assert ahead.records() == expected
    assert not multiprocessing.active_children()


def test_a_load_that_fails_leaves_no_worker_behind() -> None:
    ahead = MatchRecordsAhead(STORED_COLUMNS, chunk=2)
    ahead.add([tuple(None for _ in STORED_COLUMNS)] * 5)
    ahead.close()
    assert not multiprocessing.active_children()


def test_a_worker_that_dies_fails_the_records_instead_of_waiting_for_them() -> None:
    ahead = MatchRecordsAhead(STORED_COLUMNS, chunk=2)
    (worker,) = multiprocessing.active_children()
    os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
    with pytest.raises(HelperProcessEnded, match="normalising"):
        ahead.add([tuple(None for _ in STORED_COLUMNS)] * 3)
        ahead.records()
    assert not multiprocessing.active_children()


def test_a_worker_dies_with_the_process_that_forked_it() -> None:
    """The out-of-memory killer ends the load's process, the largest: its worker must not wait on for
    ever holding a copy of the load's memory."""
    code = (
        "import multiprocessing, time\n"
        "from app.resolution.prepare import MatchRecordsAhead\n"
        "from app.services.resolve import STORED_COLUMNS\n"
        "ahead = MatchRecordsAhead(STORED_COLUMNS)\n"
        "print(multiprocessing.active_children()[0].pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    load = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert load.stdout is not None
    worker = int(load.stdout.readline())
    assert _alive(worker)
    load.kill()
    load.wait()
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status
