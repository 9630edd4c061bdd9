"""A first load's records normalised while its files are read and linked in the process that normalised
them: the same customers, reasons and review candidates as linking them in the load's own process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.errors import HelperProcessEnded
from app.resolution.constraints import InForce
from app.resolution.linked import linked
from app.resolution.linker import Linker
from app.resolution.prepare import match_record, name_pinyins
from app.resolution.records import id_order
from app.rules import get_rules
from app.services.linking_process import LinkingProcess
from app.services.resolve import STORED_COLUMNS
from bench.demo_records import customer_rows
from demo import generate


@pytest.mark.parametrize("block_cap", [None, 2])
def test_records_linked_in_the_process_are_linked_as_in_the_load_s_own(tmp_path: Path, block_cap: int | None) -> None:
    """Block cap 2: every block of three or more is split by the records' birth years and districts, so
    the linking process, which keeps only the text the linker reads, reads all of it."""
    generate(tmp_path, 150, seed=5)
    values = [tuple(row.get(name) or None for name in STORED_COLUMNS) for row in customer_rows(tmp_path)]
    assert len(values) > 200
    rules = get_rules().resolution
    if block_cap is not None:
        rules = rules.model_copy(update={"max_block_size": block_cap})
    linking = LinkingProcess(STORED_COLUMNS, chunk=50)
    for start, end in ((0, 7), (7, 137), (137, 138), (138, len(values))):
        linking.add(values[start:end])
    linkage = linking.link(rules)
    assert not multiprocessing.active_children()

    records = [match_record(dict(zip(STORED_COLUMNS, value))) for value in values]
    names = [value[STORED_COLUMNS.index("name")] for value in values]
    ids = [value[STORED_COLUMNS.index("id")] for value in values]
    expected = linked(Linker(rules).resolve(records, InForce()), name_pinyins(names, records), id_order(ids))
    assert len(expected.cluster_members()) < len(values)  # some records are one customer
    assert len(set(expected.reasons)) > 2
    assert [ids[at] for at in linkage.positions.tolist()] == sorted(ids)
    assert linkage.positions.tolist() == expected.positions.tolist()
    assert linkage.roots.tolist() == expected.roots.tolist()
    assert linkage.reasons == expected.reasons
    assert linkage.name_pinyin == expected.name_pinyin
    assert [r.explanation() for r in linkage.reviews] == [r.explanation() for r in expected.reviews]
    assert linkage.model.to_dict() == expected.model.to_dict()
    del linkage.summary["timings_seconds"], expected.summary["timings_seconds"]
    assert linkage.summary == expected.summary
    if block_cap is not None:
        assert sum(linkage.summary["capped_blocks"].values()) > 0


def test_a_load_that_fails_leaves_no_worker_behind() -> None:
    linking = LinkingProcess(STORED_COLUMNS, chunk=2)
    linking.add([tuple(None for _ in STORED_COLUMNS)] * 5)
    linking.close()
    assert not multiprocessing.active_children()


def test_a_worker_that_dies_fails_the_link_instead_of_waiting_for_it() -> None:
    linking = LinkingProcess(STORED_COLUMNS, chunk=2)
    (worker,) = multiprocessing.active_children()
    os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
    with pytest.raises(HelperProcessEnded, match="linking"):
        linking.add([tuple(None for _ in STORED_COLUMNS)] * 3)
        linking.link(get_rules().resolution)
    assert not multiprocessing.active_children()


def test_a_worker_dies_with_the_process_that_forked_it() -> None:
    """The out-of-memory killer ends the load's process, the largest: its worker must not wait on for
    ever holding a copy of the load's memory."""
    code = (
        "import multiprocessing, time\n"
        "from app.services.linking_process import LinkingProcess\n"
        "from app.services.resolve import STORED_COLUMNS\n"
        "linking = LinkingProcess(STORED_COLUMNS)\n"
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


def _cached_entries() -> int:
    from app.resolution import normalise

    return sum(v.cache_info().currsize for v in vars(normalise).values() if callable(getattr(v, "cache_info", None)))


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_the_linking_process_keeps_no_normaliser_cache_and_its_normaliser_dies_with_it() -> None:
    """The caches fill in the normaliser; emptied in the linking process, they left its heap fragmented."""
    values = [tuple("張三丰" if n == "name" else "13800000000" if n == "phone" else None for n in STORED_COLUMNS)]
    linking = LinkingProcess(STORED_COLUMNS, chunk=2)
    try:
        forked_with = _cached_entries()
        linking.add(values * 3)
        linking._all_normalised()
        assert linking._pool.submit(_cached_entries).result() == forked_with
        assert _cached_entries() == forked_with
        (worker,) = multiprocessing.active_children()
        assert worker.pid is not None
        (normaliser,) = _children(worker.pid)
        os.kill(worker.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(normaliser) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(normaliser)
        with pytest.raises(HelperProcessEnded, match="linking"):
            linking.link(get_rules().resolution)
    finally:
        linking.close()


def test_a_normaliser_that_dies_fails_the_link() -> None:
    linking = LinkingProcess(STORED_COLUMNS, chunk=2)
    try:
        (worker,) = multiprocessing.active_children()
        assert worker.pid is not None
        (normaliser,) = _children(worker.pid)
        os.kill(normaliser, signal.SIGKILL)
        with pytest.raises(HelperProcessEnded, match="linking"):
            linking.add([tuple(None for _ in STORED_COLUMNS)] * 3)
            linking.link(get_rules().resolution)
    finally:
        linking.close()
    assert not multiprocessing.active_children()


def test_a_failed_load_ends_a_link_in_progress_without_waiting_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The load closes the process from its own thread while the link's thread waits for the answer."""
    resolve = Linker.resolve_table

    def slow(self: Linker, *args: Any, **kwargs: Any) -> Any:
        time.sleep(30)
        return resolve(self, *args, **kwargs)

    monkeypatch.setattr(Linker, "resolve_table", slow)  # before the fork: the linking process links slowly
    linking = LinkingProcess(STORED_COLUMNS, chunk=2)
    linking.add([tuple(None for _ in STORED_COLUMNS)] * 5)
    with ThreadPoolExecutor(1) as beside:
        link = beside.submit(linking.link, get_rules().resolution)
        time.sleep(1.0)
        started = time.monotonic()
        linking.close()
        with pytest.raises(HelperProcessEnded):
            link.result(timeout=10)
    assert time.monotonic() - started < 10
    assert not multiprocessing.active_children()
