"""Batch resolution: read every customer source record, link them, write customers back.

The linker decides; this module only moves data between the graph and it, keeps
customer ids stable across runs (a cluster keeps the id most of its records already
had), and writes in batches of one statement each.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import numpy as np
import orjson

from app import clock
from app.customer import RECORD_COLUMNS
from app.cyclic_gc import cyclic_gc_paused
from app.golden.derive import for_update
from app.ids import candidate_id, new_customer_id, resolution_run_id
from app.resolution.constraints import InForce, identity_fingerprint, in_force
from app.resolution.linked import Linked, linked
from app.resolution.linker import Linker, PairDecision, PairFinder, find_pairs
from app.resolution.model import MatchModel
from app.resolution.prepare import match_records, name_pinyins
from app.resolution.records import id_order
from app.rules import Rules, get_rules
from app.services import steward_decisions
from app.services.customer_derivation import Clusters, Deriving, DerivingProcesses, derived
from app.services.in_flight import in_order
from app.services.late_decisions import LateDecisions
from app.store import Store, cypher
from app.store.shards import SHARD_NUMBERS

if TYPE_CHECKING:
    from app.resolution.constraints import StewardDecision
    from app.resolution.merge_rules import Refusal
    from app.services.linking_process import LinkingProcess
    from app.services.tier_history import Recorded

log = logging.getLogger(__name__)

CUSTOMER_RECORDS = cypher("resolve/customer_records")
RENUMBER_SHARD_ZERO = cypher("admin/renumber_shard_zero")
WRITE_CUSTOMERS = cypher("resolve/write_customers")
ATTACH_CONTACTS_BY_NUMBER = cypher("resolve/attach_contacts_by_number")
ATTACH_HOLDINGS = [
    cypher("resolve/attach_accounts"),
    cypher("resolve/attach_subscriptions"),
    cypher("resolve/attach_contacts"),
    ATTACH_CONTACTS_BY_NUMBER,
    cypher("resolve/attach_opportunities"),
    cypher("resolve/attach_cases"),
    cypher("resolve/attach_contact_plans"),
    cypher("resolve/attach_consents"),
]
HOLDINGS_ATTACHED = cypher("resolve/holdings_attached")
CUSTOMER_MARKS = cypher("resolve/customer_marks")
ATTACH_MANAGERS = cypher("resolve/attach_managers")
DETACH_MANAGERS = cypher("resolve/detach_managers")
WRITE_MEMBERSHIPS = cypher("resolve/write_memberships")
WRITE_CANDIDATES = cypher("resolve/write_candidates")
WRITE_RUN = cypher("resolve/write_run")
LATEST_RUN = cypher("resolve/latest_run")
RETIRE_EMPTY = cypher("resolve/retire_empty_customers")

WRITE_BATCH = 2000
# Shards read at once by a batch run: the store executes one while this process decodes another.
READS_AT_ONCE = 4


@dataclass(slots=True)
class ResolveReport:
    run_id: str
    summary: dict[str, Any]
    customers_written: int = 0
    # Customers the run left as they were: same records, and nothing it would write differs.
    customers_unchanged: int = 0
    candidates_written: int = 0
    memberships: int = 0
    decisions_obeyed: int = 0
    decisions_ended: int = 0
    # Records of customers a steward changed while the run was linking, which it did not rewrite.
    left_to_stewards: int = 0
    # Decisions recorded while the run was writing that one of its writes undid: placed again afterwards.
    overtaken: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # The star levels a first load in bulk wrote with its customers (loaders/first_levels.py), which the
    # recompute after it need not work out again.
    levels: Recorded | None = None


async def attach_holdings(store: Store, customers: list[dict[str, Any]]) -> None:
    """Accounts, subscriptions, contacts, opportunities, cases, contact plans, consents and managers follow
    the source records to their customer. A customer with ``attach: False`` (none of its records moved,
    and ingest hangs a holding on its record's customer at once) gets its manager only.
    Idempotent, so a batch interrupted between these statements is repaired by running again: its
    customers are marked attached only after the last of them."""
    moved = [c for c in customers if c.get("attach", True)]
    if moved:
        for query in ATTACH_HOLDINGS:
            await store.write(query, {"customers": moved})
    managed = [c for c in customers if c.get("manager")]
    if managed:
        await store.write(ATTACH_MANAGERS, {"customers": managed})
    unmanaged = [c["id"] for c in customers if not c.get("manager")]
    if unmanaged:
        await store.write(DETACH_MANAGERS, {"ids": unmanaged})
    if moved:
        await store.write(HOLDINGS_ATTACHED, {"ids": [c["id"] for c in moved], "now": clock.now_iso()})


class CustomerWrites(Protocol):
    """Where a batch run's customers go: by Cypher statements (:class:`StatementWrites`), or, in a first
    load, into the store's bulk load with the records (loaders.first_load)."""

    async def write(self, customers: list[dict[str, Any]], now: str) -> None:
        """Customers as resolve/write_customers takes them, with their holdings and managers after them."""

    async def finish(self) -> None:
        """Everything written is in the graph: memberships and review candidates are written next."""

    def worked_in(self, records: list[str]) -> Any:
        """What this way of writing needs of a customer's record ids from this process, to work out
        with ``work_out`` where the customer is derived (app/services/customer_derivation.py)."""

    @property
    def work_out(self) -> Callable[[Any, dict[str, Any]], Any] | None:
        """From a customer's ``worked_in`` and golden values, what :meth:`write` is handed as the
        customer's ``worked_out``: a first load's star level; nothing for statements. Run where the
        customer is derived, which may be a forked process."""

    def busy(self) -> bool:
        """Whether a write of this run still holds the store (a first load's bulk call in flight), so a
        read now would wait for it: statements are awaited, and hold nothing after them."""


@dataclass(slots=True)
class StatementWrites:
    store: Store

    def worked_in(self, records: list[str]) -> Any:
        return None

    @property
    def work_out(self) -> None:
        return None

    def busy(self) -> bool:
        return False

    async def write(self, customers: list[dict[str, Any]], now: str) -> None:
        await self.store.write(WRITE_CUSTOMERS, {"customers": [_for_statement(c) for c in customers], "now": now})
        await attach_holdings(self.store, [_holder(c) for c in customers])

    async def finish(self) -> None:
        return None


# A stored record's values as resolution holds them: resolve/customer_records' columns, then its customer.
STORED_COLUMNS = (*RECORD_COLUMNS, "customer_id")
# Records read back from the file in one read.
READ_AT_ONCE = 10_000


@dataclass(slots=True)
class StoredRecords:
    """Every customer source record as read for resolution. Ids, names and customers stay in memory (every
    record is looked up by them); each record's values, in ``columns`` order, are pickled into a temporary
    file and read back a record at a time: as tuples in memory, a million records were 850 MB of the run's
    process all through a first load, and pickled they are about 260 MB of a file the system caches.
    Deriving processes are handed the pickled values as they are (Clusters.values)."""

    columns: tuple[str, ...] = STORED_COLUMNS
    ids: list[str] = field(default_factory=list)
    names: list[Any] = field(default_factory=list)
    customers: list[str | None] = field(default_factory=list)

    _ends: array[int] = field(default_factory=lambda: array("q"))
    _file: BinaryIO | None = None
    _shared: dict[str, str] = field(default_factory=dict)

    def add(self, page: list[dict[str, Any]]) -> None:
        """Rows of resolve/customer_records (``values`` in RECORD_COLUMNS order, ``customer_id``)."""
        self.extend((*row["values"], row["customer_id"]) for row in page)

    def extend(self, values: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Records in ``columns`` order, given back as kept. The store's client (or a file's reader) makes
        a new string for every value; short ones (networks, segments, sources, genders, birth dates,
        common names) repeat across a million records and are kept once: records normalised from shared
        values link faster (the 100,000-person demo: 10.8 s of CPU instead of 14.5)."""
        shared = self._shared.setdefault
        kept = [tuple([shared(v, v) if type(v) is str and len(v) <= 12 else v for v in value]) for value in values]
        if not kept:
            return kept
        packed = [pickle.dumps(value, pickle.HIGHEST_PROTOCOL) for value in kept]
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="c360-records-")
        start = self._ends[-1] if self._ends else 0
        written, data = 0, memoryview(b"".join(packed))
        while written < len(data):  # a full disk raises here, before anything is counted as kept
            written += os.pwrite(self._file.fileno(), data[written:], start + written)
        for record in packed:
            start += len(record)
            self._ends.append(start)
        id_at, name_at, customer_at = (self.columns.index(c) for c in ("id", "name", "customer_id"))
        self.ids.extend(value[id_at] for value in kept)
        self.names.extend(value[name_at] for value in kept)
        self.customers.extend(value[customer_at] for value in kept)
        return kept

    def packed(self, position: int) -> bytes:
        """The record's values, pickled."""
        return self._read(self._ends[position - 1] if position else 0, self._ends[position])

    def _read(self, start: int, end: int) -> bytes:
        assert self._file is not None
        data = os.pread(self._file.fileno(), end - start, start)
        if len(data) != end - start:
            raise OSError(f"the records' temporary file ended at byte {start + len(data)}, not {end}")
        return data

    def values(self, position: int) -> tuple[Any, ...]:
        return pickle.loads(self.packed(position))

    def row(self, position: int) -> dict[str, Any]:
        return dict(zip(self.columns, self.values(position)))

    def rows(self) -> Iterator[dict[str, Any]]:
        for start in range(0, len(self), READ_AT_ONCE):
            end = min(start + READ_AT_ONCE, len(self))
            first = self._ends[start - 1] if start else 0
            data = memoryview(self._read(first, self._ends[end - 1]))
            at = 0
            for position in range(start, end):
                length = self._ends[position] - first - at
                yield dict(zip(self.columns, pickle.loads(data[at : at + length])))
                at += length

    def __len__(self) -> int:
        return len(self._ends)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> StoredRecords:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def renumber_shard_zero(store: Store) -> int:
    """Move records of earlier versions out of shard 0 before reading shard by shard."""
    rows = await store.write(RENUMBER_SHARD_ZERO)
    return int(rows[0]["renumbered"]) if rows else 0


async def read_customer_records(
    store: Store,
    records: StoredRecords,
    progress: Callable[[int], None] | None = None,
    at_once: int = READS_AT_ONCE,
) -> None:
    """Every customer record into ``records`` (whose file the caller closes), shard by shard, a few shards
    in flight: the store executes the next while this process decodes and keeps one."""
    await renumber_shard_zero(store)
    reads = (store.read(CUSTOMER_RECORDS, {"shard": shard, "columns": RECORD_COLUMNS}) for shard in SHARD_NUMBERS)
    async with aclosing(in_order(reads, at_once)) as pages:
        async for page in pages:
            records.add(page)
            if progress:
                progress(len(page))


def assign_customer_ids(
    linkage: Linked, record_id: Callable[[int], str], current: Callable[[int], str | None]
) -> dict[int, str]:
    """Cluster root -> customer id: the id most of its records had (each old id used once), else a new one.
    ``record_id`` and ``current``: a linked record's id and its customer now, by its index in ``linkage``."""
    members = linkage.cluster_members()
    claims: list[tuple[int, int, str, int]] = []
    for root, indices in members.items():
        counts = Counter(customer for customer in map(current, indices) if customer)
        for customer, votes in counts.items():
            claims.append((-votes, root, customer, root))
    claims.sort()
    taken: set[str] = set()
    assigned: dict[int, str] = {}
    for _, root, customer, _ in claims:
        if root in assigned or customer in taken:
            continue
        assigned[root] = customer
        taken.add(customer)
    held = {customer for _, _, customer, _ in claims}
    for root in members:
        if root not in assigned:
            assigned[root] = _fresh_customer_id(record_id(root), held, taken)
            taken.add(assigned[root])
    return assigned


def _fresh_customer_id(founder: str, *in_use: Collection[str]) -> str:
    """A new customer named after its first record, unless that name is held by another customer (the
    record founded one that a steward's merge or this run gave to other records). The sets are asked one
    by one, never joined: a first run names a million customers, and a union per name is quadratic."""
    customer, attempt = new_customer_id(founder), 0
    while any(customer in ids for ids in in_use):
        attempt += 1
        customer = new_customer_id(f"{founder}#{attempt}")
    return customer


def _candidate_row(review: PairDecision, customer_of: dict[str, str], now: str) -> dict[str, Any]:
    return {
        "id": candidate_id(review.left, review.right),
        "left": review.left,
        "right": review.right,
        "props": {
            "left_record": review.left,
            "right_record": review.right,
            "left_customer": customer_of[review.left],
            "right_customer": customer_of[review.right],
            "probability": review.probability,
            "match_weight": review.match_weight,
            "rule": review.rule,
            "blocking_rule": review.blocking_rule,
            "department": review.department or "data_stewards",
            "explanation": orjson.dumps(review.explanation()).decode(),
            "updated_at": now,
        },
    }


def written_digest(props: dict[str, Any], manager: str | None, records: list[dict[str, Any]]) -> str:
    """What a batch run writes of one customer, as a digest kept on it: a later run whose customer
    has the same records and the same digest would write nothing new, and leaves it (and the kept
    answers of its view) alone."""
    written = orjson.dumps([props, manager, records], option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(written, digest_size=16).hexdigest()


def _for_statement(customer: dict[str, Any]) -> dict[str, Any]:
    """A customer as resolve/write_customers takes it: golden values in props, the attributes without
    one in cleared (app.golden.derive.for_update); the digest stays the one of the whole golden record."""
    props, cleared = for_update(customer["props"])
    return {**customer, "props": props, "cleared": cleared}


def _holder(customer: dict[str, Any]) -> dict[str, Any]:
    """A written customer as attach_holdings takes it: without the golden record it need not carry."""
    records = [r["id"] for r in customer["records"]]
    return {"id": customer["id"], "manager": customer["manager"], "attach": customer["attach"], "records": records}


def link_ahead(linking: LinkingProcess, stored: StoredRecords, rules: Rules | None = None) -> Linked:
    """Link a first load's customer records once its last customers file is added, in the process that
    normalised them, while the accounts, bills and contacts after it are still checked and added. As a
    batch run over the load's records would: every customer record is in ``stored``, no steward
    decision stands, and the model is trained on them."""
    linkage = linking.link((rules or get_rules()).resolution)
    if len(linkage) != len(stored):
        raise RuntimeError(f"{len(linkage)} records linked for {len(stored)} read")
    return linkage


async def resolve_all(
    store: Store,
    rules: Rules | None = None,
    *,
    model: MatchModel | None = None,
    progress: Callable[[str, int], None] | None = None,
    pairs: PairFinder = find_pairs,
    records: StoredRecords | None = None,
    writes: CustomerWrites | None = None,
    no_decisions_before: str | None = None,
    ahead: Awaitable[Linked] | None = None,
    apart: DerivingProcesses | None = None,
) -> ResolveReport:
    """A batch run over every customer record (CLI and loads; the API never runs one). Not over what an
    interrupted bulk load left: that is part of its files. A first load in bulk hands its records in
    (``records``, every customer record, none on a customer yet) and takes the customers into its bulk
    load (``writes``).
    ``no_decisions_before``: an instant at which the graph held no steward decision (a first load's
    empty graph); the run then reads none before it links, which would wait behind the store's last
    call of the files, and every decision recorded since is a late one (services.late_decisions).
    ``ahead``: the records already linked (:func:`link_ahead`), with ``no_decisions_before``. ``apart``:
    the processes to derive the customers in, forked before the caller held its records (a first load's);
    without them the run forks its own before it reads any."""
    if ahead is not None and (
        records is None or no_decisions_before is None or model is not None or pairs is not find_pairs
    ):
        raise ValueError("records linked ahead are a first load's: no decisions read, a model trained in process")
    if records is None:
        await store.refuse_interrupted_bulk_load()
    async with contextlib.AsyncExitStack() as stack:
        if apart is None:
            apart = await stack.enter_async_context(DerivingProcesses())
        first_load = records is not None
        if records is None:
            records = stack.enter_context(StoredRecords())
        with cyclic_gc_paused(keep_young=store.leaves_reference_cycles):
            report = await _resolve_all(
                store,
                rules,
                model,
                progress,
                pairs,
                records,
                first_load,
                writes or StatementWrites(store),
                no_decisions_before,
                ahead,
                apart,
            )
    return report


async def _resolve_all(
    store: Store,
    rules: Rules | None,
    model: MatchModel | None,
    progress: Callable[[str, int], None] | None,
    pairs: PairFinder,
    stored: StoredRecords,
    first_load: bool,
    writes: CustomerWrites,
    no_decisions_before: str | None = None,
    ahead: Awaitable[Linked] | None = None,
    apart: DerivingProcesses | None = None,
) -> ResolveReport:
    rules = rules or get_rules()
    timer = clock.now()
    # A first load's records, none on a customer yet: the graph holds no customer to compare with.
    if not first_load:
        await read_customer_records(store, stored, (lambda n: progress("read", n)) if progress else None)
    elif progress:
        progress("read", len(stored))
    linked_ahead = await ahead if ahead is not None else None
    in_id_order = None if linked_ahead is not None else id_order(stored.ids)
    if no_decisions_before is not None:
        decisions_read_at, decisions = no_decisions_before, InForce()
    else:
        assert in_id_order is not None
        decisions_read_at = clock.now_iso()
        decisions = await _decisions_in_force(store, stored, in_id_order)
    late = LateDecisions(
        store, decisions_read_at, {d.id for d in (*decisions.must, *decisions.cannot, *decisions.lapsed)}
    )
    if linked_ahead is not None:
        linkage = linked_ahead
        read_done = clock.now()
    else:
        assert in_id_order is not None
        records = match_records(stored.rows())
        if len(records) != len(stored):
            raise RuntimeError(f"{len(records)} records normalised for {len(stored)} read")
        read_done = clock.now()
        pinyin = name_pinyins(stored.names, records)
        records = [records[at] for at in in_id_order.tolist()]  # the linker's order: it keeps it
        resolution = await asyncio.to_thread(Linker(rules.resolution, model, pairs).resolve, records, decisions)
        linkage = linked(resolution, pinyin, in_id_order)
        del records, resolution, pinyin
    del in_id_order
    linked_at = clock.now()
    now = clock.now_iso()
    # By the linker's index: the stored record's position (no index of a million ids by id).
    positions: list[int] = linkage.positions.tolist()

    def record_id(index: int) -> str:
        return stored.ids[positions[index]]

    def current(index: int) -> str | None:
        """The customer a record belongs to now, read from the stored records."""
        return stored.customers[positions[index]]

    customer_ids = assign_customer_ids(linkage, record_id, current)
    report = ResolveReport(run_id=resolution_run_id(now), summary=linkage.summary)
    report.decisions_obeyed = len(decisions.must) + len(decisions.cannot) - len(linkage.suspended)
    report.summary["steward_decisions"] = {
        "obeyed": report.decisions_obeyed,
        "suspended": len(linkage.suspended),
        "lapsed": len(decisions.lapsed),
    }
    in_review = {rid for review in linkage.reviews for rid in (review.left, review.right)}
    customer_of = {
        rid: customer_ids[root] for i, root in enumerate(linkage.roots.tolist()) if (rid := record_id(i)) in in_review
    }
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        await late.keep_up(store_busy=writes.busy())
        writing = [c for c in batch if not late.touches([r["id"] for r in c["records"]])] if late.held else batch
        if writing:
            await writes.write(writing, now)
        report.customers_written += len(writing)
        if progress:
            progress("write", sum(len(c["records"]) for c in batch))
        batch.clear()

    held = Counter(stored.customers)
    # Not read after a first load's files: it would wait behind their last call to the store.
    marks = (
        {} if first_load else {row["id"]: (row["digest"], row["attached"]) for row in await store.read(CUSTOMER_MARKS)}
    )

    def moved(customer_id: str, members: list[int]) -> bool:
        """Whether the customer's holdings must follow: a record joins or leaves it, or they have not
        followed since it was last written."""
        return (
            not marks.get(customer_id, (None, False))[1]
            or held[customer_id] != len(members)
            or any(current(i) != customer_id for i in members)
        )

    clusters = Clusters(
        list(linkage.cluster_members().items()),
        positions,
        stored.ids,
        stored.packed,
        stored.names,
        linkage.reasons,
        linkage.name_pinyin,
        writes.worked_in,
    )
    deriving = Deriving(rules, stored.columns, written_digest, writes.work_out)
    try:
        async with aclosing(derived(clusters, deriving, apart)) as customers:
            async for customer in customers:
                customer_id = customer_ids[customer.root]
                attach = moved(customer_id, customer.members)
                if not attach and marks[customer_id][0] == customer.digest:
                    report.customers_unchanged += 1
                    continue
                batch.append(
                    {
                        "id": customer_id,
                        "props": customer.props,
                        "manager": customer.manager,
                        "records": customer.links,
                        "attach": attach,
                        "digest": customer.digest,
                        **({"worked_out": customer.worked_out} if customer.worked_out is not None else {}),
                    }
                )
                if len(batch) >= WRITE_BATCH:
                    await flush()
        await flush()
        await writes.finish()
        await late.keep_up()  # everything written: the store is free, and candidates are written next
    except BaseException:
        await late.abandon()
        raise
    report.left_to_stewards = len(late.held)
    if marks:  # with no live customer before, each one now has the records it was written with
        await store.write(RETIRE_EMPTY, {"now": now})
    report.memberships = (await store.write(WRITE_MEMBERSHIPS))[0]["memberships"]
    candidates = [_candidate_row(r, customer_of, now) for r in linkage.reviews if not late.touches((r.left, r.right))]
    for start in range(0, len(candidates), WRITE_BATCH):
        await store.write(WRITE_CANDIDATES, {"candidates": candidates[start : start + WRITE_BATCH], "now": now})
    report.candidates_written = len(candidates)
    report.decisions_ended = await end_decisions(store, linkage.suspended, decisions)
    written = clock.now()
    report.timings = {
        "read_and_normalise": (read_done - timer).total_seconds(),
        "link": (linked_at - read_done).total_seconds(),
        "write": (written - linked_at).total_seconds(),
    }
    report.summary["timings_seconds"].update({k: round(v, 3) for k, v in report.timings.items()})
    report.summary["steward_decisions"]["left_to_stewards"] = report.left_to_stewards
    report.summary["customers_written"] = report.customers_written
    report.summary["customers_unchanged"] = report.customers_unchanged
    await store.write(
        WRITE_RUN,
        {
            "id": report.run_id,
            "now": now,
            "started_at": clock.instant(timer),
            "mode": "batch",
            "summary": orjson.dumps(report.summary).decode(),
            "model": orjson.dumps(linkage.model.to_dict()).decode(),
        },
    )
    overtaken = await late.overtaken()
    if overtaken:
        from app.services.incremental import resolve_records  # incremental resolution builds on this module

        report.overtaken = [row["decision"] for row in overtaken]
        report.summary["steward_decisions"]["overtaken_and_placed_again"] = report.overtaken
        log.warning("steward decisions overtaken by a write of the run, placed again: %s", report.overtaken)
        await resolve_records(store, sorted({row[side] for row in overtaken for side in ("left", "right")}))
    return report


async def _decisions_in_force(store: Store, stored: StoredRecords, in_id_order: np.ndarray) -> InForce:
    """The standing steward decisions, with rejections whose records changed found lapsed. A decision's
    records are found among the stored ones by their ids' order (``in_id_order``, records.id_order)."""
    fingerprints: dict[str, str] = {}
    ids = stored.ids

    def fingerprint(record_id: str) -> str | None:
        k = bisect.bisect_left(in_id_order, record_id, key=ids.__getitem__)
        if k == len(in_id_order) or ids[at := int(in_id_order[k])] != record_id:
            return None
        if record_id not in fingerprints:
            fingerprints[record_id] = identity_fingerprint(stored.row(at))
        return fingerprints[record_id]

    return in_force(await steward_decisions.standing(store), fingerprint)


async def end_decisions(store: Store, suspended: list[tuple[StewardDecision, Refusal]], decisions: InForce) -> int:
    """Approvals a hard rule now forbids are suspended and go back to the queue with the rule;
    rejections whose records changed lapse (their pair may be proposed again)."""
    ended = [steward_decisions.suspension(decision, refusal) for decision, refusal in suspended]
    ended += [steward_decisions.lapse(d) for d in decisions.lapsed]
    return await steward_decisions.end(store, ended)


async def latest_model(store: Store) -> MatchModel | None:
    rows = await store.read(LATEST_RUN)
    if not rows or not rows[0].get("model"):
        return None
    model = MatchModel.from_dict(orjson.loads(rows[0]["model"]))
    if not model.fits():
        log.warning(
            "the last resolution run's model was trained for other comparison levels "
            "(an earlier version); run `c360 resolve` to train one for these"
        )
        return None
    return model
