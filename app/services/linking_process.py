"""A first load's customer records normalised and linked in one process beside the load.

A first load reads its customer files long before it resolves them, and meanwhile its own process
mostly waits on the processes checking its rows. One process forked at the load's start (while the
load is small) keeps each chunk's normalised records as it fills; once the last customers file is in,
it links them and hands back only what the run writes from (:class:`Linked`). The load's process
never holds the normalised records, their columns or the candidate pairs (about 1.7 KB a customer
record at their peak), and linking does not share the load's interpreter while the accounts, bills
and contacts after the customers are added. A worker that dies fails the load (HelperProcessEnded)
rather than leaving it waiting.

The linking process normalises nothing itself: a process it forks as it starts does, with the
normaliser's caches of names, certificates, phones and addresses, and hands back each chunk as
columns. Emptied in the linking process, those caches left its heap too fragmented to give back: a
million records linked at 2.4 GB instead of 1.8 (docs/benchmarks.md, thirty-fifth session).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from app import allocator
from app.helper_process import ended, started_by
from app.resolution.constraints import InForce
from app.resolution.linked import Linked, linked
from app.resolution.linker import Linker, find_pairs
from app.resolution.prepare import prepare_values
from app.resolution.records import RecordColumns, RecordTable, in_id_order
from app.rules import ResolutionRules

LINKING = "normalising and linking the customer records"

# The linking process's own state: the chunks normalised so far (by number, in the order added), each
# name's pinyin, and the process normalising them. One process takes every task of a load, in order.
_kept: dict[int, RecordColumns] = {}
_name_pinyin: dict[str, str] = {}
_normaliser: ProcessPoolExecutor | None = None


def _started(parent: int) -> None:
    """The linking process's start: as any helper's, and its normaliser forked while it is small."""
    global _normaliser
    started_by(parent)
    _normaliser = ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("fork"), initializer=started_by, initargs=(os.getpid(),)
    )
    _normaliser.submit(int).result()


def _normalised(columns: tuple[str, ...], packed: bytes) -> tuple[RecordColumns, list[tuple[str, str]]]:
    """In the normaliser: the chunk's records (pickled) as columns, and each name as given with its pinyin."""
    values: list[tuple[Any, ...]] = pickle.loads(packed)
    records = prepare_values(columns, values)
    name_at = columns.index("name")
    names = [(v[name_at], r.name_pinyin) for v, r in zip(values, records) if type(v[name_at]) is str]
    return RecordColumns.of(records), names


def _normalise(columns: tuple[str, ...], number: int, packed: bytes) -> int:
    assert _normaliser is not None, "a chunk given after the link"
    kept, names = _normaliser.submit(_normalised, columns, packed).result()
    _kept[number] = kept
    _name_pinyin.update(names)
    return len(kept)


def _link(rules: ResolutionRules, answer: str) -> str:
    """As a batch run over the load's records would link them: no steward decision stands (the graph was
    empty; one recorded since is a late one), and the model is trained on them. The answer goes into the
    file ``answer`` (renamed into place once whole), and only its name back through the pool's pipe: a
    worker killed while it wrote tens of megabytes into that pipe would leave the load reading it for
    ever, since the load holds the pipe's other end too."""
    global _name_pinyin, _normaliser
    if _normaliser is not None:
        _normaliser.shutdown()
        _normaliser = None
    parts = [_kept[number] for number in sorted(_kept)]
    _kept.clear()
    name_pinyin, _name_pinyin = _name_pinyin, {}
    clock = time.perf_counter()
    columns, positions = in_id_order(parts)
    table = RecordTable.of_columns(columns)
    table.release_unread_text()
    del parts, columns
    allocator.trim()
    timings = {"columns": time.perf_counter() - clock}
    resolution = Linker(rules, None, find_pairs).resolve_table(table, InForce(), timings)
    linkage = linked(resolution, name_pinyin, positions)
    del resolution, table
    part = answer + ".part"
    with open(part, "wb") as handle:
        pickle.dump(linkage, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.rename(part, answer)
    return answer


class LinkingProcess:
    """Records added as tuples in ``columns`` order, normalised a chunk at a time as they arrive;
    :meth:`link` links every one added."""

    def __init__(self, columns: tuple[str, ...], chunk: int = 20_000) -> None:
        self.columns = columns
        self.chunk = chunk
        self.added = 0
        self._answered = False
        # A failed load closes it while the link's own thread may be closing it too.
        self._closing = threading.Lock()
        self._closed = False
        # Made for the answer only: a load killed before its link leaves nothing behind.
        self._folder: str | None = None
        self._pool = ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("fork"), initializer=_started, initargs=(os.getpid(),)
        )
        self._parts: list[Future[int]] = []
        self._waiting: list[tuple[Any, ...]] = []
        try:
            self._pool.submit(int).result()  # forked now, not when the first chunk is full
        except BrokenProcessPool:
            self.close()
            raise ended(LINKING) from None
        except BaseException:
            self.close()
            raise

    def add(self, values: Iterable[tuple[Any, ...]]) -> None:
        self._waiting.extend(values)
        while len(self._waiting) >= self.chunk:
            self._send(self._waiting[: self.chunk])
            del self._waiting[: self.chunk]

    def _send(self, values: list[tuple[Any, ...]]) -> None:
        """The chunk goes pickled: chunks wait here until the normaliser takes them (it lagged 420,000
        records behind a million-record load), and as tuples of strings they held up to 967 bytes a record
        where pickled they hold 234; the pool would pickle them anyway."""
        self.added += len(values)
        packed = pickle.dumps(values, pickle.HIGHEST_PROTOCOL)
        try:
            self._parts.append(self._pool.submit(_normalise, self.columns, len(self._parts), packed))
        except (BrokenProcessPool, RuntimeError):  # RuntimeError: closed by a failing load
            raise ended(LINKING) from None

    def _all_normalised(self) -> None:
        if self._waiting:
            self._send(self._waiting)
            self._waiting = []
        normalised = sum(part.result() for part in self._parts)
        if normalised != self.added:
            raise RuntimeError(f"{normalised} records normalised for {self.added} added")

    def link(self, rules: ResolutionRules) -> Linked:
        """Every record added, linked; the process ends with the answer."""
        try:
            self._all_normalised()
            try:
                self._folder = tempfile.mkdtemp(prefix="c360-linking-")
                answer = self._pool.submit(_link, rules, os.path.join(self._folder, "linked")).result()
            except RuntimeError:  # closed by a failing load before the link began
                raise ended(LINKING) from None
            with open(answer, "rb") as handle:
                linkage: Linked = pickle.load(handle)
            os.unlink(answer)
            self._answered = True
            return linkage
        except BrokenProcessPool:
            raise ended(LINKING) from None
        finally:
            self.close()

    def close(self) -> None:
        """Once it has answered, the process ends; before, it is killed: a failed load does not wait for
        a link of a million records (a minute) it will not use."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._parts = []
            if not self._answered:
                for process in list((self._pool._processes or {}).values()):
                    process.kill()
            self._pool.shutdown(wait=True, cancel_futures=True)
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
