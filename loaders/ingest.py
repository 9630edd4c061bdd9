"""Ingest one source file: validate every row, keep rejects with reasons, upsert the rest in batches.

Idempotent on (source, kind, source id) + content hash: a re-run writes nothing new,
a changed row replaces its source record. Each batch is one Cypher statement, so a
run killed half-way leaves whole batches behind and the next run completes the rest.

The rejects file lists both what was refused and what was set aside: its ``issue`` column says
``row`` for a row refused whole (every reason it has, one line each) and ``field`` for a field
set aside from a row that was loaded (app/record_kinds.py says which is which).
"""

from __future__ import annotations

import asyncio
import csv
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from app.cyclic_gc import cyclic_gc_paused
from app.errors import C360Error
from app.ids import record_id
from app.record_kinds import KINDS, ROW, Checked, check_row
from app.services.source_records import Prepared, Problems, RecordWriter, Written, prepare
from app.store import Store
from loaders.accepted_ids import FileIds
from loaders.formats import RawRow, SourceFileError, read_header, read_rows

REJECT_COLUMNS = ["line", "source_id", "issue", "field", "reason", "row"]
WARNING_COLUMNS = ["line", "source_id", "field", "reason", "row"]
# The rejects file's issue column: the row was refused whole, or loaded with the field set aside.
ROW_ISSUE, FIELD_ISSUE = "row", "field"
# `c360 ingest` fails when a file refuses more than this share of its rows whole.
MAX_REJECTED_SHARE = 0.05
log = logging.getLogger(__name__)


class TooManyRejected(C360Error):
    """A file refused more of its rows than the allowed share: the delivery is likely broken (a
    changed layout, a wrong export), whatever landed of it."""

    code = "TOO_MANY_REJECTED"


def required_columns(kind: str) -> list[str]:
    """The columns a CSV file of this kind must have in its header (docs/source-formats.md)."""
    return [name for name, f in KINDS[kind].fields.items() if f.required]


def check_header(path: Path, kind: str, encoding: str = "utf-8") -> None:
    """Refuse a CSV file whose header lacks a required column before anything of it is written:
    every row would lack the field. JSON Lines rows name their fields one by one."""
    header = read_header(path, encoding)
    if header is None:
        return
    missing = [name for name in required_columns(kind) if name not in header]
    if missing:
        raise SourceFileError(
            f"{path}: the header lacks the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} of {kind} (it has {', '.join(header) or 'none'})"
        )


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
    # Rows refused whole.
    rejected: int = 0
    rejects_file: str | None = None
    # Fields set aside from rows that were loaded, and how many rows had one or more.
    quarantined: int = 0
    quarantined_rows: int = 0
    warned: int = 0
    warnings_file: str | None = None
    seconds: float = 0.0

    def note_rejects(self, reject: RejectWriter, warned: RejectWriter) -> None:
        """What the file's rejects and warnings files took, once they are closed."""
        self.rejected = reject.count
        self.quarantined = reject.fields
        self.quarantined_rows = reject.field_rows
        self.rejects_file = str(reject.path) if reject.count or reject.fields else None
        self.warned = warned.count
        self.warnings_file = str(warned.path) if warned.count else None

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.read if self.read else 0.0


class RejectWriter:
    """Rows with line, field and reason (with the issue column, when ``issues``); the file exists only
    when something was written to it. ``count`` counts rows, ``fields`` the lines of field issues."""

    def __init__(self, path: Path, issues: bool = True) -> None:
        self.path = path
        self.issues = issues
        self.count = 0
        self.fields = 0
        self.field_rows = 0
        self._handle: Any = None
        self._writer: Any = None
        path.unlink(missing_ok=True)

    def _open(self) -> Any:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(REJECT_COLUMNS if self.issues else WARNING_COLUMNS)
        return self._writer

    def add(self, line: int, source_id: str, problems: list[tuple[str, str]], row: dict[str, Any] | None) -> None:
        """A row refused whole (or, in the warnings file, a row loaded with warnings)."""
        writer = self._open()
        shown = orjson.dumps(row).decode() if row is not None else ""
        for name, reason in problems:
            writer.writerow(
                [line, source_id, ROW_ISSUE, name, reason, shown]
                if self.issues
                else [line, source_id, name, reason, shown]
            )
        self.count += 1

    def add_fields(self, line: int, source_id: str, issues: list[tuple[str, str]], row: dict[str, Any]) -> None:
        """Fields set aside from a row that was loaded."""
        writer = self._open()
        shown = orjson.dumps(row).decode()
        for name, reason in issues:
            writer.writerow([line, source_id, FIELD_ISSUE, name, reason, shown])
        self.fields += len(issues)
        self.field_rows += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


# A file's first batches grow from this size to the full one, doubling. (Statements that give a customer
# a new version once per statement give it one per batch: a version counts changes seen, not rows.)
FIRST_BATCH = 500


def batches(rows: Iterator[RawRow], size: int, first: int | None = None) -> Iterator[list[RawRow]]:
    """Batches of ``size`` rows; from ``first`` rows up, doubling, when given: the first batch is made
    while the store waits, and a small one sets the store to work sooner."""
    step = min(first or size, size)
    while batch := list(islice(rows, step)):
        yield batch
        step = min(step * 2, size)


@contextmanager
def quick_thread_switches(interval: float = 0.0005) -> Iterator[None]:
    """While a helper thread runs (the one preparing rows here, the one taking a first load's checked rows
    off its pipe), the event loop waits for the interpreter lock up to the switch interval (5 ms by
    default) each time the store answers, and the store sits idle meanwhile: a tenth of that is a
    quarter less time per row."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


# A row refused before its references were checked: line, source id, every reason, the row as read.
Refused = tuple[int, str, Problems, dict[str, Any] | None]


def prepare_rows(
    source: str, kind: str, raw_batch: list[RawRow], seen_in_file: FileIds
) -> tuple[list[Prepared], list[Refused]]:
    """Valid rows with their parameters made ahead, as if every one were to be written: most are,
    and the write then only picks rows, so the store is not kept waiting for Python. The ids of the
    batch's rows that pass their checks are looked up in ``seen_in_file`` together."""
    rows: list[tuple[Checked, str]] = []
    for raw in raw_batch:
        if raw.fields is not None:
            checked = check_row(kind, raw.line, raw.fields)
            rows.append((checked, record_id(source, kind, checked.source_id)))
    used = iter(seen_in_file.use([rid for checked, rid in rows if not checked.problems]))
    checked_rows = iter(rows)
    prepared: list[Prepared] = []
    refused: list[Refused] = []
    for raw in raw_batch:
        if raw.fields is None:
            refused.append((raw.line, "", [(ROW, raw.error or "unreadable")], None))
            continue
        checked, rid = next(checked_rows)
        if not checked.problems and next(used):
            checked.problems.append(("source_id", f"{checked.source_id!r} appears twice in this file"))
        if checked.problems:
            refused.append((raw.line, checked.source_id, checked.faults, raw.fields))
            continue
        prepared.append(prepare(source, kind, checked, rid))
    return prepared, refused


def note_checked(
    accepted: list[Prepared], refused: list[tuple[Checked, Problems]], reject: RejectWriter, warned: RejectWriter
) -> None:
    """The rows a reference check refused, and the accepted rows' set-aside fields and warnings."""
    for checked, problems in refused:
        reject.add(checked.line, checked.source_id, checked.faults + problems, checked.original)
    for row in accepted:
        checked = row.checked
        if checked.quarantined:
            reject.add_fields(
                checked.line, checked.source_id, [(q.field, q.reason) for q in checked.quarantined], checked.original
            )
        if checked.warnings:
            warned.add(checked.line, checked.source_id, checked.warnings, checked.original)


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
        accepted, refused = await self.writer.check_references(batch, read_hashes=True)
        note_checked(accepted, refused, reject, warned)
        return accepted

    async def run(self, path: Path, encoding: str = "utf-8") -> IngestSummary:
        with cyclic_gc_paused(keep_young=self.store.leaves_reference_cycles), quick_thread_switches():
            return await self._run(path, encoding)

    async def _run(self, path: Path, encoding: str) -> IngestSummary:
        started = asyncio.get_running_loop().time()
        check_header(path, self.kind, encoding)
        summary = IngestSummary(source=self.source, kind=self.kind, path=str(path))
        reject = RejectWriter(rejects_path(path))
        warned = RejectWriter(warnings_path(path), issues=False)
        pending: asyncio.Task[None] | None = None
        seen_in_file = FileIds()
        batches_read = batches(read_rows(path, encoding), self.batch_size, FIRST_BATCH)
        try:
            while True:
                # The next batch is read, checked and turned into statement parameters in a thread
                # while the store writes the last one: Python works on one core, the store on the other.
                read, prepared = await asyncio.to_thread(self._prepare_next, batches_read, reject, seen_in_file)
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
            await self.writer.file_done()
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
            reject.close()
            warned.close()
        summary.note_rejects(reject, warned)
        summary.seconds = asyncio.get_running_loop().time() - started
        return summary

    def _prepare_next(
        self, rows: Iterator[list[RawRow]], reject: RejectWriter, seen_in_file: FileIds
    ) -> tuple[int, list[Prepared]]:
        raw_batch = next(rows, None)
        if raw_batch is None:
            return 0, []
        return len(raw_batch), self._prepare(raw_batch, reject, seen_in_file)

    def _prepare(self, raw_batch: list[RawRow], reject: RejectWriter, seen_in_file: FileIds) -> list[Prepared]:
        prepared, refused = prepare_rows(self.source, self.kind, raw_batch, seen_in_file)
        for line, source_id, problems, row in refused:
            reject.add(line, source_id, problems, row)
        if (encode := self.store.row_encoder()) is not None:
            for row in prepared:
                row.params = encode(row.params)
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
