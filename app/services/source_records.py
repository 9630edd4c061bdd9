"""Writing validated source rows: every path that adds or changes a source record comes here.

Files (loaders.ingest) write batches of thousands, channels (services.channel_writes) one row at a
time; both check references the same way and run the same upsert statements, so a record is the
same whichever way it came. Each batch is one Cypher statement.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, MutableSet
from dataclasses import dataclass, field
from typing import Any

import orjson

from app import clock
from app.customer import RECORD_COLUMNS, SOURCE_ATTRIBUTES, as_record
from app.errors import BadInput, StoreError, StoreUnavailable
from app.ids import content_hash, record_id, record_kind
from app.record_kinds import (
    INVALID_FIELDS,
    KINDS,
    Checked,
    check_row,
    invalid_fields_json,
    reference_sets_aside,
    shown_original,
)
from app.store import Store, cypher
from app.store.shards import shard_of

KNOWN_RECORDS = cypher("ingest/known_records")
KNOWN_SERVICE_NUMBERS = cypher("ingest/known_service_numbers")
LINK_BACKUPS = cypher("ingest/link_backups")
UPSERT = {kind: cypher(f"ingest/{kind}") for kind in KINDS}
# Kinds whose absent records a CREATE statement writes (no lookups for what cannot exist yet); the
# rest, and every changed record, go through the kind's upsert.
CREATE_NEW = {
    kind: cypher(f"ingest/{kind}_new")
    for kind in (
        "customers",
        "accounts",
        "subscriptions",
        "bills",
        "contacts",
        "opportunities",
        "points",
        "cases",
        "case_events",
    )
}
SOURCE_RECORDS_OF = cypher("merge/source_records_of")
_CUSTOMER_VALUES = tuple(a.key for a in SOURCE_ATTRIBUTES)
log = logging.getLogger(__name__)


def _reference_ids(source: str, kind: str, checked: Checked) -> dict[str, str]:
    """Field -> record id of each same-source reference the row makes."""
    refs = {}
    for name, target in KINDS[kind].references.items():
        value = checked.values.get(name)
        if value and "." not in target:
            refs[name] = record_id(source, target, value)
    return refs


def _write_params(
    source: str, kind: str, checked: Checked, digest: str, rid: str, refs: dict[str, str]
) -> dict[str, Any] | list[Any]:
    """The parameters of one row for the kind's upsert statement (``refs``: _reference_ids). Customer
    files are the big ones (a million rows): their rows are positional lists, which orjson writes in
    a couple of microseconds and the store parses faster than maps."""
    values = checked.values
    original = orjson.dumps(shown_original(checked)).decode()
    invalid = invalid_fields_json(checked.quarantined)
    if kind == "customers":
        manager = values.get("account_manager_id")
        return [
            rid,
            source,
            kind,
            checked.source_id,
            digest,
            shard_of(rid),
            original,
            *[values.get(name) for name in _CUSTOMER_VALUES],
            record_id(source, "employees", manager) if manager else None,
            invalid,
        ]
    # The record's properties without nulls, as written item by item: one pass over the values.
    record = {k: val for k, val in values.items() if val is not None and k != "source_id"}
    record["id"] = rid
    record["source"] = source
    record["kind"] = kind
    record["source_id"] = checked.source_id
    record["content_hash"] = digest
    record["shard"] = shard_of(rid)
    record["fields"] = original
    if invalid is not None:
        record[INVALID_FIELDS] = invalid
    row: dict[str, Any] = {"id": rid}

    def ref(name: str, target: str) -> str | None:
        if name in refs:
            return refs[name]
        return record_id(source, target, values[name]) if values.get(name) else None

    owner = ref("customer_source_id", "customers")
    if kind == "accounts":
        row["node"] = {
            "id": rid,
            "source": source,
            "account_type": values["account_type"],
            "status": values["status"],
            "opened_at": values.get("opened_at"),
            "owner_record": owner,
        }
    elif kind == "subscriptions":
        if values["product_type"] == "payphone" and values.get("custodian_source_id"):
            # A payphone hangs on its custodian organisation, whoever registered the line.
            owner = ref("custodian_source_id", "customers")
        row["node"] = {
            "id": rid,
            "source": source,
            "service_no": values["service_no"],
            "product_type": values["product_type"],
            "status": values["status"],
            "offering_code": values.get("offering_code"),
            "start_date": values.get("start_date"),
            "end_date": values.get("end_date"),
            "brand": values.get("brand"),
            "owner_record": owner,
        }
        row["account"] = ref("account_source_id", "accounts")
        row["offering"] = values.get("offering_code")
        row["offering_name"] = values.get("offering_name")
    elif kind == "bills":
        row["account"] = ref("account_source_id", "accounts")
        row["node"] = {"id": rid, "month": values["month"], "amount": values["amount"], "account": row["account"]}
    elif kind == "contacts":
        row["employee"] = ref("employee_id", "employees")
        row["node"] = {
            "id": rid,
            "source": source,
            "channel": values["channel"],
            "kind": values["kind"],
            "at": values["at"],
            "summary": values.get("summary"),
            "outcome": values.get("outcome"),
            "service_no": values.get("service_no"),
            "mode": values.get("mode"),
            "direction": values.get("direction"),
            "purpose": values.get("purpose"),
            "satisfaction": values.get("satisfaction"),
            "called_number": values.get("called_number"),
            "owner_record": owner,
            "employee_record": row["employee"],
        }
    elif kind == "points":
        row["account"] = ref("account_source_id", "accounts")
        row["node"] = {
            "id": rid,
            "source": source,
            "year": values["year"],
            "points": values["points"],
            "credit": values.get("credit"),
        }
    elif kind == "cases":
        row["employee"] = ref("employee_id", "employees")
        row["node"] = {
            "id": rid,
            "source": source,
            "kind": values["kind"],
            "channel": values.get("channel"),
            "opened_at": values["opened_at"],
            "summary": values.get("summary"),
            "owner_record": owner,
            "employee_record": row["employee"],
        }
    elif kind == "case_events":
        row["case"] = ref("case_source_id", "cases")
        row["node"] = {
            "id": rid,
            "source": source,
            "event": values["event"],
            "at": values["at"],
            "employee_record": ref("employee_id", "employees"),
            "reason": values.get("reason"),
        }
    elif kind == "opportunities":
        row["employee"] = ref("employee_id", "employees")
        row["node"] = {
            "id": rid,
            "source": source,
            "kind": values["kind"],
            "need": values["need"],
            "stage": values["stage"],
            "channel": values["channel"],
            "captured_at": values["captured_at"],
            "product": values.get("product"),
            "contact_person": values.get("contact_person"),
            "key_person": values.get("key_person"),
            "key_person_name": values.get("key_person_name"),
            "enterprise_facts": values.get("enterprise_facts"),
            "claimed_at": values.get("claimed_at"),
            "owner_record": owner,
            "employee_record": row["employee"],
        }
    elif kind == "employees":
        row["node"] = {
            "id": rid,
            "source": source,
            "name": values["name"],
            "role": values["role"],
            "local_network": values["local_network"],
            "phone": values.get("phone"),
            "core": values.get("core"),
            "backup_record": ref("backup_id", "employees"),
        }
    elif kind == "leaves":
        row["employee"] = ref("employee_id", "employees")
        row["node"] = {"id": rid, "source": source, "first_day": values["from"], "last_day": values["to"]}
    elif kind == "organisation_members":
        for name, given in (("organisation_record", "organisation_source_id"), ("member_record", "member_source_id")):
            if (found := ref(given, "customers")) is not None:
                record[name] = found
    if owner is not None:
        record["owner_record"] = owner
    row["record"] = record
    if "node" in row:
        row["node"] = {k: val for k, val in row["node"].items() if val is not None}
    return row


@dataclass(slots=True)
class Prepared:
    """A valid row ready to write: its record id, content hash, references and statement parameters
    (on a file's path, as the store's row encoder wrote them, app/store/base.Store.row_encoder, unless
    the row was prepared again after a reference was set aside)."""

    checked: Checked
    rid: str
    digest: str
    refs: dict[str, str]
    params: Any


def prepare(source: str, kind: str, checked: Checked, rid: str | None = None) -> Prepared:
    """The content hash is of the row as given, whole: a change past an over-long value's kept
    characters is still a change. ``rid``: the record's id, when the caller has it already."""
    rid = rid or record_id(source, kind, checked.source_id)
    digest = content_hash(checked.original)
    refs = _reference_ids(source, kind, checked)
    return Prepared(checked, rid, digest, refs, _write_params(source, kind, checked, digest, rid, refs))


@dataclass(slots=True)
class Written:
    written: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    # Of records created or changed by statements; a first load in bulk counts them only.
    changed_ids: list[str] = field(default_factory=list)


Problems = list[tuple[str, str]]


class RecordWriter:
    """Writes one source's rows of one kind; ``known`` carries record ids confirmed to exist across
    batches and files, so references are looked up once."""

    def __init__(self, store: Store, source: str, kind: str, known: MutableSet[str] | None = None) -> None:
        if kind not in KINDS:
            raise BadInput(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        self.store = store
        self.source = source
        self.kind = kind
        self.known: MutableSet[str] = known if known is not None else set()
        self.known_service_numbers: MutableSet[str] = set()
        # The content hashes of the batch whose references were checked last, read in the same call.
        self._hashes_read: dict[str, str | None] | None = None

    async def _existing(self, ids: Iterable[str]) -> dict[str, str | None]:
        wanted = list(ids)
        if not wanted:
            return {}
        rows = await self.store.read(KNOWN_RECORDS, {"ids": wanted})
        return {r["id"]: r["hash"] for r in rows}

    async def _existing_numbers(self, numbers: set[str]) -> list[str]:
        rows = await self.store.read(KNOWN_SERVICE_NUMBERS, {"numbers": sorted(numbers)})
        return [r["service_no"] for r in rows]

    async def check_references(
        self, batch: list[Prepared], *, read_hashes: bool = False
    ) -> tuple[list[Prepared], list[tuple[Checked, Problems]]]:
        """The rows whose references exist, and the others with what each one misses. With
        ``read_hashes`` the batch's own records are looked up in the same read, for the :meth:`write`
        of these rows that follows: one read of the store a batch instead of two."""
        self._hashes_read = None
        missing = {rid for row in batch for rid in row.refs.values()} - self.known
        own = {row.rid for row in batch} if read_hashes else set()
        if missing or own:
            found = await self._existing(missing | own)
            self.known |= set(found)
            if read_hashes:
                self._hashes_read = {rid: found[rid] for rid in own if rid in found}
        numbers = {
            row.checked.values["service_no"]
            for row in batch
            if self.kind == "contacts" and row.checked.values.get("service_no")
        } - self.known_service_numbers
        if numbers:
            self.known_service_numbers |= set(await self._existing_numbers(numbers))
        # Known only grows: a reference outside ``missing`` was known before, one inside is still unknown
        # if it is here (looked up together, not row by row: a first load's known ids are bytes).
        missing -= self.known
        numbers -= self.known_service_numbers
        if not (missing or numbers):
            return list(batch), []  # every reference found: nearly every batch of a file
        accepted: list[Prepared] = []
        refused: list[tuple[Checked, Problems]] = []
        for row in batch:
            checked = row.checked
            unknown = [
                (
                    name,
                    f"refers to {record_kind(rid)} record {checked.values[name]!r} of source "
                    f"{self.source}, which does not exist",
                )
                for name, rid in row.refs.items()
                if rid in missing
            ]
            problems = [(name, why) for name, why in unknown if not reference_sets_aside(self.kind, name)]
            number = checked.values.get("service_no")
            if (
                self.kind == "contacts"
                and number
                and not checked.values.get("customer_source_id")
                and number in numbers
            ):
                problems.append(("service_no", f"no subscription has service number {number!r}"))
            if problems:
                refused.append((checked, problems))
                continue
            if unknown:  # only references whose field is set aside are left
                for name, why in unknown:
                    checked.set_aside(name, why)
                row = prepare(self.source, self.kind, checked)
            accepted.append(row)
        return accepted, refused

    async def file_done(self) -> None:
        """After the file's last row: each employee is linked to a backup that came later in it."""
        if self.kind == "employees":
            await self.store.write(LINK_BACKUPS, {"source": self.source})

    async def write(self, accepted: list[Prepared], counts: Written) -> None:
        """Upsert the rows whose content changed; an unchanged row is not written again."""
        ids = [row.rid for row in accepted]
        existing, self._hashes_read = self._hashes_read, None
        if existing is None:
            existing = await self._existing(ids)
        new: list[Any] = []
        changed: list[Any] = []
        for row in accepted:
            before = existing.get(row.rid, ...)
            if before == row.digest:
                counts.unchanged += 1
                continue
            if before is ...:
                counts.created += 1
                new.append(row.params)
            else:
                counts.changed += 1
                changed.append(row.params)
            counts.changed_ids.append(row.rid)
        now = clock.now_iso()
        create = CREATE_NEW.get(self.kind)
        if create is not None and new:
            try:
                await self.store.write(create, {"rows": new, "now": now})
                counts.written += len(new)
                new = []
            except StoreUnavailable:
                raise
            except StoreError as exc:
                log.info(
                    "batch of %d new %s records met a concurrent writer, upserting instead: %s",
                    len(new),
                    self.kind,
                    exc,
                )
        if rows := new + changed:
            await self.store.write(UPSERT[self.kind], {"rows": rows, "now": now})
            counts.written += len(rows)
        self.known |= set(ids)


async def customer_records(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    """Customer source records by id, with the attributes resolution and survivorship read."""
    rows = await store.read(SOURCE_RECORDS_OF, {"ids": ids, "columns": RECORD_COLUMNS})
    return [as_record(row) for row in rows]


def _refused(source: str, kind: str, source_id: str, problems: Problems) -> BadInput:
    record = record_id(source, kind, source_id or "?")
    return BadInput(f"record {record}: " + "; ".join(f"{f}: {why}" for f, why in problems), problems)


async def upsert_row(
    store: Store, source: str, kind: str, fields: Mapping[str, Any]
) -> tuple[Written, list[tuple[str, str]]]:
    """One row (from a channel), through the same rules and statements as a file's rows. A value that
    fails its field's check (a mistyped certificate, a date that is not one, a phone, an e-mail, an
    unknown account manager) is set aside as a file's would be, and named in the answer, so a record
    typed at a desk is not lost for one field; a row that is no record, a required field left out and
    an over-long value are refused with every reason, and nothing is written."""
    checked = check_row(kind, 1, fields)
    refused_fields = [(q.field, q.reason) for q in checked.quarantined if q.length is not None or not q.value]
    if checked.problems or refused_fields:
        raise _refused(source, kind, checked.source_id, [*checked.problems, *refused_fields])
    writer = RecordWriter(store, source, kind)
    accepted, refused = await writer.check_references([prepare(source, kind, checked)])
    if refused:
        raise _refused(source, kind, checked.source_id, refused[0][1])
    counts = Written()
    await writer.write(accepted, counts)
    return counts, [(q.field, q.reason) for q in accepted[0].checked.quarantined]
