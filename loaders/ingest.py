"""Ingest one source file: validate every row, keep rejects with reasons, upsert the rest in batches.

Idempotent on (source, kind, source id) + content hash: a re-run writes nothing new,
a changed row replaces its source record. Each batch is one Cypher statement, so a
run killed half-way leaves whole batches behind and the next run completes the rest.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from app.ids import record_id
from app.record_kinds import check_row
from app.services.source_records import Prepared, RecordWriter, Written, prepare
from app.store import Store, cypher
from loaders.formats import RawRow, read_rows

LINK_BACKUPS = cypher("ingest/link_backups")
REJECT_COLUMNS = ["line", "source_id", "field", "reason", "row"]
log = logging.getLogger(__name__)


def rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def warnings_path(path: Path) -> Path:
    """Rows that were loaded but deserve a look (an id whose region code no table lists)."""
    return path.with_name(path.name + ".warnings.csv")


@dataclass(slots=True)
class IngestSummary(Written):
    source: str = ""
    kind: str = ""
    path: str = ""
    read: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    warned: int = 0
    warnings_file: str | None = None
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0


class RejectWriter:
    """Rejected rows with line, field and reason; the file exists only when something was rejected."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._handle: Any = None
        self._writer: Any = None
        path.unlink(missing_ok=True)

    def add(self, line: int, source_id: str, problems: list[tuple[str, str]], row: dict[str, Any] | None) -> None:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(REJECT_COLUMNS)
        shown = orjson.dumps(row).decode() if row is not None else ""
        for name, reason in problems:
            self._writer.writerow([line, source_id, name, reason, shown])
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _batches(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while batch := list(islice(rows, size)):
        yield batch


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A file's rows are millions of short-lived objects without cycles; the cyclic collector's
    passes over them (and over the growing sets of known ids) cost a fifth of ingest time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _quick_thread_switches(interval: float = 0.0005) -> Iterator[None]:
    """While the preparing thread runs, the event loop waits for the interpreter lock up to the switch
    interval (5 ms by default) each time the store answers, and the store sits idle meanwhile: a
    tenth of that is a quarter less time per row."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


class Ingest:
    """One file's ingest; `known` carries ids confirmed to exist across batches and files."""

    def __init__(
        self,
        store: Store,
        source: str,
        kind: str,
        *,
        batch_size: int = 5000,
        known: set[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.writer = RecordWriter(store, source, kind, known)
        self.store = store
        self.source = source
        self.kind = kind
        self.batch_size = batch_size
        self.progress = progress

    async def _check_references(
        self, batch: list[Prepared], reject: RejectWriter, warned: RejectWriter
    ) -> list[Prepared]:
        accepted, refused = await self.writer.check_references(batch)
        for checked, problems in refused:
            reject.add(checked.line, checked.source_id, problems, checked.original)
        for row in accepted:
            if row.checked.warnings:
                warned.add(row.checked.line, row.checked.source_id, row.checked.warnings, row.checked.original)
        return accepted

    async def run(self, path: Path, encoding: str = "utf-8") -> IngestSummary:
        with _cyclic_gc_paused(), _quick_thread_switches():
            return await self._run(path, encoding)

    async def _run(self, path: Path, encoding: str) -> IngestSummary:
        started = asyncio.get_running_loop().time()
        summary = IngestSummary(source=self.source, kind=self.kind, path=str(path))
        reject = RejectWriter(rejects_path(path))
        warned = RejectWriter(warnings_path(path))
        pending: asyncio.Task[None] | None = None
        seen_in_file: set[str] = set()
        batches = _batches(read_rows(path, encoding), self.batch_size)
        try:
            while True:
                # The next batch is read, checked and turned into statement parameters in a thread
                # while the store writes the last one: Python works on one core, the store on the other.
                read, prepared = await asyncio.to_thread(self._prepare_next, batches, reject, seen_in_file)
                if not read:
                    break
                summary.read += read
                if pending is not None:
                    await pending
                accepted = await self._check_references(prepared, reject, warned)
                pending = asyncio.create_task(self.writer.write(accepted, summary))
                if self.progress:
                    self.progress(read)
            if pending is not None:
                await pending
            if self.kind == "employees":
                await self.store.write(LINK_BACKUPS, {"source": self.source})
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
            reject.close()
            warned.close()
        summary.rejected = reject.count
        summary.rejects_file = str(reject.path) if reject.count else None
        summary.warned = warned.count
        summary.warnings_file = str(warned.path) if warned.count else None
        summary.seconds = asyncio.get_running_loop().time() - started
        return summary

    def _prepare_next(
        self, batches: Iterator[list[RawRow]], reject: RejectWriter, seen_in_file: set[str]
    ) -> tuple[int, list[Prepared]]:
        raw_batch = next(batches, None)
        if raw_batch is None:
            return 0, []
        return len(raw_batch), self._prepare(raw_batch, reject, seen_in_file)

    def _prepare(self, raw_batch: list[RawRow], reject: RejectWriter, seen_in_file: set[str]) -> list[Prepared]:
        """Valid rows with their parameters made ahead, as if every one were to be written: most are,
        and the write then only picks rows, so the store is not kept waiting for Python."""
        prepared: list[Prepared] = []
        source, kind = self.source, self.kind
        for raw in raw_batch:
            if raw.fields is None:
                reject.add(raw.line, "", [("(row)", raw.error or "unreadable")], None)
                continue
            checked = check_row(kind, raw.line, raw.fields)
            rid = record_id(source, kind, checked.source_id)
            if not checked.problems and rid in seen_in_file:
                checked.problems.append(("source_id", f"{checked.source_id!r} appears twice in this file"))
            if checked.problems:
                reject.add(raw.line, checked.source_id, checked.problems, raw.fields)
                continue
            seen_in_file.add(rid)
            prepared.append(prepare(source, kind, checked))
        return prepared


async def ingest_file(
    store: Store,
    source: str,
    kind: str,
    path: Path,
    *,
    encoding: str = "utf-8",
    batch_size: int = 5000,
    known: set[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    return await Ingest(store, source, kind, batch_size=batch_size, known=known, progress=progress).run(path, encoding)
