"""A batch run's golden records, derived in two other processes while this one writes the ones before.

After linking, a run derives one golden record per cluster (survivorship, the reasons of its links, the
digest of what it writes) and writes it: 105,667 customers of the 100,000-person demo took 12 s of
deriving and as long again of writing, one after the other on one core while the other stood idle.
Processes forked once the clusters are known hold the records, clusters and reasons as this one does, so
each takes every other range of clusters from the start and answers with what it derived (and what the
run's writes work out beside it: a first load's star levels); this process writes a range while the
next ones are derived. Two, not one: one alone left this process waiting on it. Small runs derive here:
a fork costs more than it saves.

An answer goes through a file, and only its number through a pipe: a process pool's answers came
through a thread of this process, which waited for the interpreter lock while this one built the
customers' writes, and the deriving processes waited on it at half their speed (the 100,000-person
demo's writing waited 0.1-0.2 s for each range of 2,000)."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import struct
import tempfile
import traceback
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import HelperProcessEnded
from app.golden.derive import GoldenDeriver
from app.helper_process import ended, started_by

# Clusters from which deriving goes to other processes, and how many one answer holds.
APART_FROM = 20_000
RANGE = 2000
# Processes deriving, and the ranges each may derive ahead of the one being written (their answers
# wait in files, some megabytes each).
PROCESSES = 2
AHEAD = 16
# A range's number, sent when its answer is in its file.
_READY = struct.Struct("<q")


@dataclass(frozen=True, slots=True)
class Derived:
    """One customer as a batch run writes it, before its id is known."""

    root: int
    members: list[int]
    props: dict[str, Any]
    manager: str | None
    links: list[dict[str, str]]
    digest: str
    # What the run's writes work out beside the golden record (CustomerWrites.worked_out).
    worked_out: Any


# A Derived without its cluster: what the deriving process sends back.
Answer = tuple[dict[str, Any], str | None, list[dict[str, str]], str, Any]


@dataclass(frozen=True, slots=True)
class Clusters:
    """What deriving reads: each cluster's root and member positions in the linker's table, the
    table's record ids, a record's stored row by id, and why each record is on its customer."""

    members: list[tuple[int, list[int]]]
    ids: Sequence[str]
    row: Callable[[str], dict[str, Any]]
    reasons: Mapping[str, str]
    deriver: GoldenDeriver
    digest: Callable[[dict[str, Any], str | None, list[dict[str, Any]]], str]
    worked_out: Callable[[list[str], dict[str, Any]], Any]

    def derive(self, start: int, end: int) -> list[Derived]:
        ids, reasons, out = self.ids, self.reasons, []
        for root, members in self.members[start:end]:
            records = [ids[i] for i in members]
            props, manager = self.deriver.derive([self.row(record) for record in records])
            links = [{"id": record, "why": reasons.get(record, "")} for record in records]
            digest = self.digest(props, manager, links)
            out.append(Derived(root, members, props, manager, links, digest, self.worked_out(records, props)))
        return out

    def answer(self, start: int, end: int) -> list[Answer]:
        """Without the cluster itself, which the asking process has."""
        return [(d.props, d.manager, d.links, d.digest, d.worked_out) for d in self.derive(start, end)]


def _cores() -> int:
    """The cores this process may run on (an affinity or a container's set), not the machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _derive_apart(
    clusters: Clusters,
    ranges: list[tuple[int, int]],
    mine: range,
    folder: str,
    ready: int,
    budget: Any,
    parent: int,
) -> None:
    """A forked process's work: its ranges in order, each answer in a file of its number, at most
    AHEAD ahead of the one being written. A failure is answered as the exception, pickled."""
    started_by(parent)
    for index in mine:
        budget.acquire()
        try:
            answer: Any = clusters.answer(*ranges[index])
        except Exception as exc:  # noqa: BLE001 (sent back whole, raised in the run)
            answer = _Failed(exc, traceback.format_exc())
        try:
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
            if isinstance(answer, _Failed):
                pickle.loads(data)  # an exception whose class does not unpickle from its arguments
        except Exception:  # noqa: BLE001 (an exception that does not go through pickle: its text does)
            trace = answer.trace if isinstance(answer, _Failed) else traceback.format_exc()
            answer = _Failed(RuntimeError(trace), trace)
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        path = Path(folder, str(index))
        path.with_suffix(".part").write_bytes(data)
        path.with_suffix(".part").rename(path)
        os.write(ready, _READY.pack(index))
        if isinstance(answer, _Failed):
            return


@dataclass(frozen=True, slots=True)
class _Failed:
    """A range that failed where it was derived: raised in the run as its own error, with the deriving
    process's traceback as a note (a process pool attached it the same way)."""

    error: BaseException
    trace: str


class _Deriving:
    """One forked process and the pipe on which it says which answers are ready."""

    def __init__(self, clusters: Clusters, ranges: list[tuple[int, int]], first: int, folder: str) -> None:
        context = multiprocessing.get_context("fork")
        self.folder = folder
        self.budget = context.Semaphore(AHEAD)
        self.ready: set[int] = set()
        self.ended = False
        self._changed = asyncio.Event()
        self._unread = b""
        read, write = os.pipe()
        self._read = read
        mine = range(first, len(ranges), PROCESSES)
        self.process = context.Process(
            target=_derive_apart,
            args=(clusters, ranges, mine, folder, write, self.budget, os.getpid()),
            daemon=True,
        )
        try:
            self.process.start()
        except OSError as exc:  # the fork itself (no memory, no processes left)
            os.close(read)
            raise HelperProcessEnded(f"no process could be forked to derive the customers: {exc}") from None
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        asyncio.get_running_loop().add_reader(read, self._readable)

    def _readable(self) -> None:
        data = os.read(self._read, 4096)
        if not data:
            self.ended = True
            asyncio.get_running_loop().remove_reader(self._read)
        self._unread += data
        whole = len(self._unread) - len(self._unread) % _READY.size
        self.ready.update(number for (number,) in _READY.iter_unpack(self._unread[:whole]))
        self._unread = self._unread[whole:]
        self._changed.set()

    async def answer(self, index: int) -> Any:
        while index not in self.ready:
            if self.ended:
                raise ended("deriving the customers")
            self._changed.clear()
            await self._changed.wait()
        self.ready.discard(index)
        answer = _read_answer(Path(self.folder, str(index)))
        self.budget.release()
        if isinstance(answer, _Failed):
            answer.error.add_note(f"in the process deriving customers:\n{answer.trace}")
            raise answer.error
        return answer

    def end(self) -> None:
        """Ended whether or not it is done (a failed or cancelled run does not wait for it); not yet
        joined (:func:`_joined`)."""
        if not self.ended:
            asyncio.get_running_loop().remove_reader(self._read)
            self.ended = True
        if self.process.is_alive():
            self.process.kill()
        with contextlib.suppress(OSError):
            os.close(self._read)


def _joined(deriving: list[_Deriving]) -> None:
    for process in deriving:
        process.process.join()


def _read_answer(path: Path) -> Any:
    try:
        return pickle.loads(path.read_bytes())
    finally:
        path.unlink()


async def derived(clusters: Clusters) -> AsyncGenerator[Derived, None]:
    """Every cluster's customer, in cluster order. A process that dies (or cannot be forked) fails the
    run (HelperProcessEnded); a run that fails or is cancelled ends them."""
    count = len(clusters.members)
    ranges = [(start, min(start + RANGE, count)) for start in range(0, count, RANGE)]
    if count < APART_FROM or _cores() < 2:
        for start, end in ranges:
            for one in clusters.derive(start, end):
                yield one
        return
    with tempfile.TemporaryDirectory(prefix="c360-derive-") as folder:
        deriving: list[_Deriving] = []
        try:
            for first in range(min(PROCESSES, len(ranges))):
                deriving.append(_Deriving(clusters, ranges, first, folder))
            for index, (start, end) in enumerate(ranges):
                answers = await deriving[index % PROCESSES].answer(index)
                for (root, members), answer in zip(clusters.members[start:end], answers, strict=True):
                    yield Derived(root, members, *answer)
        finally:
            for process in deriving:
                process.end()
            # Shielded: a second cancellation does not leave a process writing into the folder removed next.
            await asyncio.shield(asyncio.to_thread(_joined, deriving))
