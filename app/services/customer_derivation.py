"""A batch run's golden records, derived in two other processes while this one writes the ones before.

After linking, a run derives one golden record per cluster (survivorship, the reasons of its links, the
digest of what it writes) and writes it: 105,667 customers of the 100,000-person demo took 12 s of
deriving and as long again of writing, one after the other on one core while the other stood idle.
Two processes forked once the clusters are known each take every other range of clusters, and this
process writes a range while the next ones are derived. Two, not one: one alone left this process
waiting on it. Small runs derive here: a fork costs more than it saves.

The deriving processes are forked when a run begins (:class:`DerivingProcesses`), while this process
is small, and each range's inputs (its records' stored values, why each is on its customer, their
names' pinyin, what the run's writes need worked out beside it) are gathered here and handed over.
Forked once the clusters were known, reading this process's objects wrote their reference counts,
which copied their pages (each deriving process of a million-record first load held 1.7 GB of its
own), and even without reading them the processes kept this one's memory as it was at the fork, so
every page this process wrote afterwards was held twice (11.9 GB for all processes instead of 9.2).

Inputs and answers go through files, and only their numbers through pipes: a process pool's answers
came through a thread of this process, which waited for the interpreter lock while this one built the
customers' writes, and the deriving processes waited on it at half their speed (the 100,000-person
demo's writing waited 0.1-0.2 s for each range of 2,000)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import pickle
import struct
import tempfile
import traceback
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from app.errors import HelperProcessEnded
from app.golden.derive import GoldenDeriver
from app.helper_process import ended, started_by
from app.rules import Rules

# Clusters from which deriving goes to other processes, and how many one answer holds.
APART_FROM = 20_000
RANGE = 2000
# Processes deriving, and the ranges each may be given ahead of the one being written (their inputs
# and answers wait in files, some megabytes each).
PROCESSES = 2
AHEAD = 16
# A range's number, sent when its inputs or its answer are in their file; _HOW when how to derive is.
_READY = struct.Struct("<q")
_HOW = -2
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Derived:
    """One customer as a batch run writes it, before its id is known."""

    root: int
    members: list[int]
    props: dict[str, Any]
    manager: str | None
    links: list[dict[str, str]]
    digest: str
    # What the run's writes work out beside the golden record (CustomerWrites.work_out).
    worked_out: Any


# A Derived without its cluster: what the deriving process sends back.
Answer = tuple[dict[str, Any], str | None, list[dict[str, str]], str, Any]
# One cluster's inputs: its records' stored values (each pickled, as the run keeps them), why each is on
# the customer, and what the writes work out from (CustomerWrites.worked_in).
ClusterInputs = tuple[list[bytes], list[str], Any]


class RangeInputs(NamedTuple):
    """What deriving one range of clusters reads, gathered by the run: the names' pinyin of its records
    only (the run's table of them is as large as its records)."""

    start: int
    clusters: list[ClusterInputs]
    name_pinyin: dict[str, str]


@dataclass(slots=True)
class Deriving:
    """How a customer is derived from its cluster's inputs, the same here and in a deriving process:
    ``columns`` of the stored values, ``digest`` of what is written, ``work_out`` from a customer's
    ``worked_in`` and golden values (None: nothing to work out)."""

    rules: Rules
    columns: tuple[str, ...]
    digest: Callable[[dict[str, Any], str | None, list[dict[str, Any]]], str]
    work_out: Callable[[Any, dict[str, Any]], Any] | None = None
    _deriver: GoldenDeriver | None = None

    def answer(self, inputs: RangeInputs) -> list[Answer]:
        if self._deriver is None:
            self._deriver = GoldenDeriver(self.rules)
        deriver, columns, work_out, out = self._deriver, self.columns, self.work_out, []
        id_at = columns.index("id")
        for packed, reasons, worked_in in inputs.clusters:
            values = [pickle.loads(p) for p in packed]
            props, manager = deriver.derive([dict(zip(columns, v)) for v in values], inputs.name_pinyin)
            links = [{"id": v[id_at], "why": why} for v, why in zip(values, reasons, strict=True)]
            digest = self.digest(props, manager, links)
            out.append((props, manager, links, digest, None if work_out is None else work_out(worked_in, props)))
        return out


@dataclass(frozen=True, slots=True)
class Clusters:
    """What the run holds to derive its customers: each cluster's root and members by their index in the
    linker's order, each one's position among the stored records (``positions``), a stored record's id,
    values (pickled) and name by that position, why each record is on its customer (by the linker's
    index), each name's pinyin, and what the writes need from this process (``worked_in``)."""

    members: list[tuple[int, list[int]]]
    positions: Sequence[int]
    ids: Sequence[str]
    values: Callable[[int], bytes]
    names: Sequence[Any]
    reasons: Sequence[str]
    name_pinyin: Mapping[str, str]
    worked_in: Callable[[list[str]], Any]

    def inputs(self, start: int, end: int) -> RangeInputs:
        positions, ids, reasons, values, names = self.positions, self.ids, self.reasons, self.values, self.names
        clusters: list[ClusterInputs] = []
        seen: set[Any] = set()
        for _, members in self.members[start:end]:
            stored = [positions[i] for i in members]
            seen.update(names[at] for at in stored)
            clusters.append(
                (
                    [values(at) for at in stored],
                    [reasons[i] for i in members],
                    self.worked_in([ids[at] for at in stored]),
                )
            )
        known = self.name_pinyin
        pinyin = {name: p for name in seen if type(name) is str and (p := known.get(name)) is not None}
        return RangeInputs(start, clusters, pinyin)


def _cores() -> int:
    """The cores this process may run on (an affinity or a container's set), not the machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _derive_apart(folder: str, given: int, ready: int, parent: int) -> None:
    """A forked process's work: each range whose number comes on ``given``, its inputs read from the file
    of that number and its answer written to another, until the number -1. How to derive comes first,
    as the number _HOW. A failure is answered as the exception, pickled."""
    started_by(parent)
    deriving: Deriving | _Failed | None = None
    while (index := _number(given)) >= 0 or index == _HOW:
        if index == _HOW:
            try:
                deriving = _read(Path(folder, "how"), keep=True)
            except Exception as exc:  # noqa: BLE001 (the answer to the first range)
                deriving = _Failed(exc, traceback.format_exc())
            continue
        path = Path(folder, str(index))
        try:
            if isinstance(deriving, _Failed):
                answer: Any = deriving
            else:
                assert deriving is not None, "a range given before how to derive it"
                answer = deriving.answer(_read(path.with_suffix(".in")))
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
        _write(path, data)
        os.write(ready, _READY.pack(index))
        if isinstance(answer, _Failed):
            return


def _number(pipe: int) -> int:
    """The next number on ``pipe``; -1 when it is closed."""
    data = b""
    while len(data) < _READY.size:
        more = os.read(pipe, _READY.size - len(data))
        if not more:
            return -1
        data += more
    return int(_READY.unpack(data)[0])


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: the reader is told the number only after the rename."""
    path.with_suffix(".part").write_bytes(data)
    path.with_suffix(".part").rename(path)


def _read(path: Path, keep: bool = False) -> Any:
    try:
        return pickle.loads(path.read_bytes())
    finally:
        if not keep:
            path.unlink()


@dataclass(frozen=True, slots=True)
class _Failed:
    """A range that failed where it was derived: raised in the run as its own error, with the deriving
    process's traceback as a note (a process pool attached it the same way)."""

    error: BaseException
    trace: str


class _DerivingProcess:
    """One forked process, the pipe on which it is given ranges, and the one on which it says which
    answers are ready."""

    def __init__(self, folder: str) -> None:
        context = multiprocessing.get_context("fork")
        self.folder = folder
        self.ready: set[int] = set()
        self.ended = False
        self._changed = asyncio.Event()
        self._unread = b""
        read, write = os.pipe()
        given_read, given = os.pipe()
        self._read, self._given = read, given
        self.process = context.Process(target=_derive_apart, args=(folder, given_read, write, os.getpid()), daemon=True)
        try:
            self.process.start()
        except OSError as exc:  # the fork itself (no memory, no processes left)
            os.close(read)
            os.close(given)
            raise HelperProcessEnded(f"no process could be forked to derive the customers: {exc}") from None
        except BaseException:
            os.close(read)
            os.close(given)
            raise
        finally:
            os.close(write)
            os.close(given_read)
        asyncio.get_running_loop().add_reader(read, self._readable)

    def _tell(self, number: int) -> None:
        with contextlib.suppress(OSError):  # it ended: its answer says so
            os.write(self._given, _READY.pack(number))

    def how(self) -> None:
        self._tell(_HOW)

    def give(self, index: int, inputs: RangeInputs) -> None:
        _write(Path(self.folder, str(index)).with_suffix(".in"), pickle.dumps(inputs, pickle.HIGHEST_PROTOCOL))
        self._tell(index)

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
        for pipe in (self._read, self._given):
            with contextlib.suppress(OSError):
                os.close(pipe)


def _joined(deriving: list[_DerivingProcess]) -> None:
    for process in deriving:
        process.process.join()


def _read_answer(path: Path) -> Any:
    return _read(path)


class DerivingProcesses:
    """The processes a run derives its customers in, forked when made: a run makes them as it begins,
    before it holds its records (a first load before its files), and uses them only if it finds enough
    clusters (APART_FROM). One run's: :func:`derived` ends them, whether or not it used them."""

    def __init__(self) -> None:
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self.processes: list[_DerivingProcess] = []

    async def __aenter__(self) -> DerivingProcesses:
        if _cores() < 2:
            return self
        self._folder = tempfile.TemporaryDirectory(prefix="c360-derive-", ignore_cleanup_errors=True)
        try:
            for _ in range(PROCESSES):
                self.processes.append(_DerivingProcess(self._folder.name))
        except HelperProcessEnded as exc:  # most runs are small: a run derives in its own process instead
            log.warning("%s: the run derives its customers in its own process", exc)
            await self.end()
        except BaseException:
            await self.end()
            raise
        return self

    def ready(self) -> bool:
        """Every process is there to be given ranges: not one ended while the run read and linked (killed,
        say), which the run would otherwise hear of only at its first answer."""
        return bool(self.processes) and all(p.process.is_alive() and not p.ended for p in self.processes)

    async def __aexit__(self, *_: object) -> None:
        await self.end()

    def how(self, deriving: Deriving) -> None:
        assert self._folder is not None
        _write(Path(self._folder.name, "how"), pickle.dumps(deriving, pickle.HIGHEST_PROTOCOL))
        for process in self.processes:
            process.how()

    async def end(self) -> None:
        """Ended whether or not they are done (a failed or cancelled run does not wait for them), and
        joined. Shielded: a second cancellation does not leave a process writing into the folder
        removed next."""
        processes, self.processes = self.processes, []
        for process in processes:
            process.end()
        try:
            await asyncio.shield(asyncio.to_thread(_joined, processes))
        finally:
            if self._folder is not None:
                self._folder.cleanup()
                self._folder = None


async def derived(
    clusters: Clusters, deriving: Deriving, apart: DerivingProcesses | None = None
) -> AsyncGenerator[Derived, None]:
    """Every cluster's customer, in cluster order, in the processes ``apart`` when there are enough
    clusters (which it ends). A process that dies (or could not be forked) fails the run
    (HelperProcessEnded)."""
    count = len(clusters.members)
    ranges = [(start, min(start + RANGE, count)) for start in range(0, count, RANGE)]
    if count < APART_FROM or apart is None or not apart.ready():
        if apart is not None:
            if count >= APART_FROM and apart.processes:
                log.warning("a process forked to derive the customers ended before the run needed it: deriving here")
            await apart.end()
        for start, end in ranges:
            answers = deriving.answer(clusters.inputs(start, end))
            for (root, members), answer in zip(clusters.members[start:end], answers, strict=True):
                yield Derived(root, members, *answer)
        return
    processes = apart.processes
    given = 0

    def give(until: int) -> None:
        nonlocal given
        while given < min(until, len(ranges)):
            processes[given % len(processes)].give(given, clusters.inputs(*ranges[given]))
            given += 1

    try:
        apart.how(deriving)
        give(AHEAD * len(processes))
        for index, (start, end) in enumerate(ranges):
            answers = await processes[index % len(processes)].answer(index)
            give(index + 1 + AHEAD * len(processes))
            for (root, members), answer in zip(clusters.members[start:end], answers, strict=True):
                yield Derived(root, members, *answer)
    finally:
        await apart.end()
