"""A batch run's golden records, derived in two other processes while this one writes the ones before.

After linking, a run derives one golden record per cluster (survivorship, the reasons of its links, the
digest of what it writes) and writes it: 105,667 customers of the 100,000-person demo took 12 s of
deriving and as long again of writing, one after the other on one core while the other stood idle.
Processes forked once the clusters are known hold the records, clusters and reasons as this one does, so
they are sent nothing but ranges of clusters and answer with what they derived (and what the run's writes
work out beside it: a first load's star levels); this process writes a range while the next ones are
derived. Two, not one: one alone left this process waiting on it. Small runs derive here: a fork costs
more than it saves."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from app.errors import HelperProcessEnded
from app.golden.derive import GoldenDeriver
from app.helper_process import ended, started_by

# Clusters from which deriving goes to other processes, and how many one answer holds.
APART_FROM = 20_000
RANGE = 2000
# Processes deriving, and ranges asked ahead of the one being written (their answers wait in this
# process's memory).
PROCESSES = 2
AHEAD = 3 * PROCESSES


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


# Set in this process just before the fork, so the forked ones find what they derive from.
_forked: Clusters | None = None


def _answer(start: int, end: int) -> list[Answer]:
    assert _forked is not None
    return _forked.answer(start, end)


def _cores() -> int:
    """The cores this process may run on (an affinity or a container's set), not the machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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
    global _forked
    pool: ProcessPoolExecutor | None = None
    try:
        _forked = clusters
        pool = ProcessPoolExecutor(
            PROCESSES,
            mp_context=multiprocessing.get_context("fork"),
            initializer=started_by,
            initargs=(os.getpid(),),
        )
        asked: deque[tuple[int, int, Future[list[Answer]]]] = deque()
        waiting = iter(ranges)
        try:
            for start, end in waiting:
                asked.append((start, end, pool.submit(_answer, start, end)))
                if len(asked) >= AHEAD:
                    break
        except OSError as exc:  # the fork itself (no memory, no processes left)
            raise HelperProcessEnded(f"no process could be forked to derive the customers: {exc}") from None
        _forked = None  # forked at the first ask; this process needs no second reference
        while asked:
            start, end, future = asked.popleft()
            answers = await asyncio.wrap_future(future)
            following = next(waiting, None)
            if following is not None:
                asked.append((*following, pool.submit(_answer, *following)))
            for (root, members), answer in zip(clusters.members[start:end], answers, strict=True):
                yield Derived(root, members, *answer)
    except BrokenProcessPool:
        raise ended("deriving the customers") from None
    finally:
        _forked = None
        if pool is not None:
            # Off the event loop: the ranges being derived are let finish (a fraction of a second).
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
