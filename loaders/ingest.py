"""Ingest one source file: validate every row, keep rejects with reasons, upsert the rest in batches.

Idempotent on (source, kind, source id) + content hash: a re-run writes nothing new,
a changed row replaces its source record. Each batch is one Cypher statement, so a
run killed half-way leaves whole batches behind and the next run completes the rest.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import hashlib
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from app import clock
from app.errors import C360Error, StoreError, StoreUnavailable
from app.store import Store, cypher
from loaders.formats import RawRow, read_rows
from loaders.validation import KINDS, Checked, check_row

KNOWN_RECORDS = cypher("ingest/known_records")
KNOWN_SERVICE_NUMBERS = cypher("ingest/known_service_numbers")
LINK_BACKUPS = cypher("ingest/link_backups")
UPSERT = {kind: cypher(f"ingest/{kind}") for kind in KINDS}
CREATE_NEW = {"customers": cypher("ingest/customers_new")}
REJECT_COLUMNS = ["line", "source_id", "field", "reason", "row"]
log = logging.getLogger(__name__)


def record_id(source: str, kind: str, source_id: str) -> str:
    return f"{source}:{kind}:{source_id}"


def rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


@dataclass(slots=True)
class IngestSummary:
    source: str
    kind: str
    path: str
    read: int = 0
    written: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    seconds: float = 0.0
    changed_ids: list[str] = field(default_factory=list)

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


SHARDS = 64
SHARD_NUMBERS = range(1, SHARDS + 1)


def shard_of(rid: str) -> int:
    """A stable spread of records over shards 1-64, so that whole-graph reads can go page by page.
    Not 0: FalkorDB 4.16 drops the index entries of the value 0 when it loads a graph from a
    snapshot, and shard 0 read through the index came back empty (tested)."""
    return 1 + int.from_bytes(hashlib.blake2b(rid.encode(), digest_size=4).digest(), "big") % SHARDS


def content_hash(original: dict[str, Any]) -> str:
    return hashlib.blake2b(orjson.dumps(original, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def _batches(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _reference_ids(source: str, kind: str, checked: Checked) -> dict[str, str]:
    """Field -> record id of each same-source reference the row makes."""
    refs = {}
    for name, target in KINDS[kind].references.items():
        value = checked.values.get(name)
        if value and "." not in target:
            refs[name] = record_id(source, target, value)
    return refs


# The properties of a customer source record, in the order of the positional rows that
# cypher/ingest/customers*.cypher read (a test holds them together).
CUSTOMER_COLUMNS = ("id", "source", "kind", "source_id", "content_hash", "shard", "fields", "name", "cert_type",
                    "cert_no", "phones", "email", "address", "birth_date", "gender", "local_network", "segment",
                    "org_class", "account_manager_id", "vip_card", "updated_at", "manager_record")
_CUSTOMER_VALUES = CUSTOMER_COLUMNS[7:-1]


def _write_params(source: str, kind: str, checked: Checked, digest: str) -> dict[str, Any] | list[Any]:
    """The parameters of one row for the kind's upsert statement. Customer files are the big ones
    (a million rows): their rows are positional lists, which orjson writes in a couple of
    microseconds and the store parses faster than maps."""
    rid = record_id(source, kind, checked.source_id)
    values = checked.values
    if kind == "customers":
        manager = values.get("account_manager_id")
        return [rid, source, kind, checked.source_id, digest, shard_of(rid), orjson.dumps(checked.original).decode(),
                *[values.get(name) for name in _CUSTOMER_VALUES],
                record_id(source, "employees", manager) if manager else None]
    record = {k: val for k, val in values.items() if k != "source_id"}
    record.update(id=rid, source=source, kind=kind, source_id=checked.source_id, content_hash=digest,
                  shard=shard_of(rid),
                  fields=orjson.dumps(checked.original).decode())
    row: dict[str, Any] = {"id": rid}

    def ref(name: str, target: str) -> str | None:
        return record_id(source, target, values[name]) if values.get(name) else None

    owner = ref("customer_source_id", "customers")
    if kind == "accounts":
        row["node"] = {"id": rid, "source": source, "account_type": values["account_type"],
                       "status": values["status"], "opened_at": values.get("opened_at"), "owner_record": owner}
    elif kind == "subscriptions":
        row["node"] = {"id": rid, "source": source, "service_no": values["service_no"],
                       "product_type": values["product_type"], "status": values["status"],
                       "offering_code": values.get("offering_code"), "start_date": values.get("start_date"),
                       "end_date": values.get("end_date"), "owner_record": owner}
        row["account"] = ref("account_source_id", "accounts")
        row["offering"] = values.get("offering_code")
        row["offering_name"] = values.get("offering_name")
    elif kind == "bills":
        row["account"] = ref("account_source_id", "accounts")
        row["node"] = {"id": rid, "month": values["month"], "amount": values["amount"], "account": row["account"]}
    elif kind == "contacts":
        row["employee"] = ref("employee_id", "employees")
        row["node"] = {"id": rid, "source": source, "channel": values["channel"], "kind": values["kind"],
                       "at": values["at"], "summary": values.get("summary"), "outcome": values.get("outcome"),
                       "service_no": values.get("service_no"), "owner_record": owner,
                       "employee_record": row["employee"]}
    elif kind == "opportunities":
        row["employee"] = ref("employee_id", "employees")
        row["node"] = {"id": rid, "source": source, "kind": values["kind"], "need": values["need"],
                       "stage": values["stage"], "channel": values["channel"], "captured_at": values["captured_at"],
                       "product": values.get("product"), "contact_person": values.get("contact_person"),
                       "key_person": values.get("key_person"), "claimed_at": values.get("claimed_at"),
                       "owner_record": owner, "employee_record": row["employee"]}
    elif kind == "employees":
        row["node"] = {"id": rid, "source": source, "name": values["name"], "role": values["role"],
                       "local_network": values["local_network"], "phone": values.get("phone"),
                       "backup_record": ref("backup_id", "employees")}
    elif kind == "organisation_members":
        record["organisation_record"] = ref("organisation_source_id", "customers")
        record["member_record"] = ref("member_source_id", "customers")
    record["owner_record"] = owner
    row["record"] = {k: val for k, val in record.items() if val is not None}
    if "node" in row:
        row["node"] = {k: val for k, val in row["node"].items() if val is not None}
    return row


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


@dataclass(slots=True)
class Prepared:
    """A valid row ready to write: its record id, content hash, references and statement parameters."""

    checked: Checked
    rid: str
    digest: str
    refs: dict[str, str]
    params: dict[str, Any] | list[Any]


def _prepared(source: str, kind: str, checked: Checked) -> Prepared:
    rid = record_id(source, kind, checked.source_id)
    digest = content_hash(checked.original)
    return Prepared(checked, rid, digest, _reference_ids(source, kind, checked),
                    _write_params(source, kind, checked, digest))


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

    def __init__(self, store: Store, source: str, kind: str, *, batch_size: int = 5000,
                 known: set[str] | None = None, progress: Callable[[int], None] | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        self.store = store
        self.source = source
        self.kind = kind
        self.batch_size = batch_size
        self.known: set[str] = known if known is not None else set()
        self.known_service_numbers: set[str] = set()
        self.progress = progress

    async def _existing(self, ids: Iterable[str]) -> dict[str, str | None]:
        wanted = list(ids)
        if not wanted:
            return {}
        rows = await self.store.read(KNOWN_RECORDS, {"ids": wanted})
        return {r["id"]: r["hash"] for r in rows}

    async def _check_references(self, batch: list[Prepared], reject: RejectWriter) -> list[Prepared]:
        missing = {rid for row in batch for rid in row.refs.values()} - self.known
        if missing:
            self.known.update(await self._existing(missing))
        numbers = {row.checked.values["service_no"] for row in batch
                   if self.kind == "contacts" and row.checked.values.get("service_no")} - self.known_service_numbers
        if numbers:
            rows = await self.store.read(KNOWN_SERVICE_NUMBERS, {"numbers": sorted(numbers)})
            self.known_service_numbers.update(r["service_no"] for r in rows)
        accepted = []
        for row in batch:
            checked = row.checked
            problems = [(name, f"refers to {rid.split(':', 2)[1]} record {checked.values[name]!r} of source "
                               f"{self.source}, which does not exist") for name, rid in row.refs.items()
                        if rid not in self.known]
            number = checked.values.get("service_no")
            if self.kind == "contacts" and number and not checked.values.get("customer_source_id") \
                    and number not in self.known_service_numbers:
                problems.append(("service_no", f"no subscription has service number {number!r}"))
            if problems:
                reject.add(checked.line, checked.source_id, problems, checked.original)
            else:
                accepted.append(row)
        return accepted

    async def run(self, path: Path, encoding: str = "utf-8") -> IngestSummary:
        with _cyclic_gc_paused(), _quick_thread_switches():
            return await self._run(path, encoding)

    async def _run(self, path: Path, encoding: str) -> IngestSummary:
        started = asyncio.get_running_loop().time()
        summary = IngestSummary(self.source, self.kind, str(path))
        reject = RejectWriter(rejects_path(path))
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
                accepted = await self._check_references(prepared, reject)
                pending = asyncio.create_task(self._write(accepted, summary))
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
        summary.rejected = reject.count
        summary.rejects_file = str(reject.path) if reject.count else None
        summary.seconds = asyncio.get_running_loop().time() - started
        return summary

    def _prepare_next(self, batches: Iterator[list[RawRow]], reject: RejectWriter,
                      seen_in_file: set[str]) -> tuple[int, list[Prepared]]:
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
            prepared.append(_prepared(source, kind, checked))
        return prepared

    async def _write(self, accepted: list[Prepared], summary: IngestSummary) -> None:
        ids = [row.rid for row in accepted]
        existing = await self._existing(ids)
        new: list[Any] = []
        changed: list[Any] = []
        for row in accepted:
            before = existing.get(row.rid, ...)
            if before == row.digest:
                summary.unchanged += 1
                continue
            if before is ...:
                summary.created += 1
                new.append(row.params)
            else:
                summary.changed += 1
                changed.append(row.params)
            summary.changed_ids.append(row.rid)
        now = clock.now_iso()
        create = CREATE_NEW.get(self.kind)
        if create is not None and new:
            try:
                await self.store.write(create, {"rows": new, "now": now})
                summary.written += len(new)
                new = []
            except StoreUnavailable:
                raise
            except StoreError as exc:
                log.info("batch of %d new %s records met a concurrent writer, upserting instead: %s",
                         len(new), self.kind, exc)
        if rows := new + changed:
            await self.store.write(UPSERT[self.kind], {"rows": rows, "now": now})
            summary.written += len(rows)
        self.known.update(ids)


async def ingest_file(store: Store, source: str, kind: str, path: Path, *, encoding: str = "utf-8",
                      batch_size: int = 5000, known: set[str] | None = None,
                      progress: Callable[[int], None] | None = None) -> IngestSummary:
    return await Ingest(store, source, kind, batch_size=batch_size, known=known, progress=progress).run(path, encoding)


class RowRejected(C360Error):
    """One submitted row broke the format's rules; ``problems`` says which field and why."""

    code = "BAD_USER_INPUT"

    def __init__(self, record: str, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(f"record {record}: " + "; ".join(f"{f}: {why}" for f, why in problems))


async def ingest_row(store: Store, source: str, kind: str, fields: dict[str, Any]) -> IngestSummary:
    """A single row from the API, through the same validation and upsert as a file's rows."""
    checked = check_row(kind, 1, fields)
    if checked.problems:
        raise RowRejected(record_id(source, kind, checked.source_id or "?"), checked.problems)
    ingest = Ingest(store, source, kind)
    summary = IngestSummary(source, kind, "(api)", read=1)
    collected = RejectCollector()
    accepted = await ingest._check_references([_prepared(source, kind, checked)], collected)  # type: ignore[arg-type]
    if not accepted:
        raise RowRejected(record_id(source, kind, checked.source_id), collected.problems)
    await ingest._write(accepted, summary)
    return summary


class RejectCollector:
    """Stands in for the rejects file when a row comes from the API: problems go back to the caller."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, line: int, source_id: str, problems: list[tuple[str, str]], row: Any) -> None:
        self.problems.extend(problems)
