"""A first load into an empty graph through the store's bulk path (FalkorDB's GRAPH.BULK; on Neo4j,
large UNWIND transactions, app/store/neo4j_backend.py).

Rows are read, checked, quarantined and refused exactly as on the Cypher path (loaders.ingest, with
the same statement parameters from services.source_records), in checking processes beside this one
(loaders.checking_process); only the writing differs. Into an
empty graph the ``cypher/ingest/*_new`` statements find no customers to hang holdings on, so what
they create is fixed by the rows alone: each source record, the node it describes, and the
relationships to accounts, offerings, channels, employees, cases and subscriptions already loaded.
:class:`FirstLoadGraph` builds those nodes and relationships here, with the store's internal ids,
and hands them to the store in large calls. A test loads the same files both ways and compares the
two graphs node by node and relationship by relationship, so the two descriptions stay one.

The employees and customers files are added ahead of the rest where no reference forbids it
(loaders.checking_process.adding_order): once the last customers file is in, the customer records are
linked in a thread while the accounts, bills and contacts are still checked and added, and only the
customers are derived and written at the end.

Taken when the store has a bulk path and holds nothing but its version stamp, and the manifest names
each (source, kind) once; otherwise, or when a value cannot go in bulk, the load is the ordinary one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from app import clock
from app.customer import INGEST_COLUMNS, RECORD_COLUMNS
from app.errors import NotBulkable
from app.rules import Rules, get_rules
from app.services.tier_history import Recorded, level_row
from app.store import CypherQuery, Store, cypher
from app.store.base import EdgeBlock, EncodedNodes, NewNodes, NodeBlock, encoded_ahead
from loaders.checking_process import Accepted, CheckingProcessFailed, LoadChecking, adding_order
from loaders.first_holdings import HeldByRecord
from loaders.first_levels import FileTierInputs, TierSums, tier_inputs
from loaders.ingest import IngestSummary, check_header, quick_thread_switches
from loaders.manifest import ManifestEntry
from loaders.node_index import NodeIndex, NodesByKey

if TYPE_CHECKING:
    from app.services.linking_process import LinkingProcess
    from app.services.resolve import ResolveReport

OFFERING_NAMES = cypher("ingest/offering_names.falkordb")
# The node each record kind describes (none for customers and organisation members: their source
# record is all there is).
DESCRIBED = {
    "employees": "Employee",
    "leaves": "Leave",
    "accounts": "Account",
    "subscriptions": "Subscription",
    "bills": "Bill",
    "contacts": "Contact",
    "points": "Points",
    "opportunities": "Opportunity",
    "cases": "Case",
    "case_events": "CaseEvent",
}
# The relationship by which each kind's node hangs on the customer of its owner record, as
# cypher/resolve/attach_* write it (a first resolution in bulk writes them itself).
HOLDINGS = {
    "accounts": "HAS_ACCOUNT",
    "subscriptions": "OWNS",
    "contacts": "HAD_CONTACT",
    "opportunities": "HAS_OPPORTUNITY",
    "cases": "HAS_CASE",
}
# Where each of app.customer.RECORD_COLUMNS is in a customers row (INGEST_COLUMNS); None: the
# batch's time (changed_at).
_RECORD_AT = tuple(None if c == "changed_at" else INGEST_COLUMNS.index(c) for c in RECORD_COLUMNS)
_ID_AT = INGEST_COLUMNS.index("id")
# Properties of the relationships a first resolution writes (resolve/write_customers, attach_managers).
RELATIONSHIP_PROPERTIES = {"RECORD_OF": ("why", "at"), "MANAGED_BY": ("role",)}
# A customer's first TierChange as tiers/record_levels creates it (its from_star is null).
TIER_CHANGE = ("id", "customer", "to_star", "reason", "as_of", "at")
# New nodes per store call: a call of this many is some tens of megabytes.
NODES_PER_CALL = 200_000
# Customers per store call: each comes with its records' and holdings' relationships, and the store
# writes one call while the next customers are derived, not all of them after the last.
CUSTOMERS_PER_CALL = 40_000
log = logging.getLogger(__name__)


def _stamp(now: str) -> dict[str, Any]:
    return {"loaded_at": now, "version": 1, "changed_at": now}


def source_records_block(records: list[dict[str, Any]], now: str) -> NodeBlock:
    """New source records as cypher/ingest/<kind>_new creates them, stamped ``now`` as that statement's
    batch is (a customers file's rows are positional: FirstLoadGraph.add). The checking processes
    encode this block ahead for a store that takes it so (loaders.checking_process)."""
    return NodeBlock.of_maps("SourceRecord", records, _stamp(now))


class FirstLoadGraph:
    """The nodes and relationships of a first load, with internal ids from ``first_id``, written to
    the store a call at a time. Nodes that Cypher's MERGE would find (accounts, offerings, channels,
    employees) are kept here by id; an offering renamed after its call is renamed at the end."""

    def __init__(
        self, store: Store, first_id: int, nodes_per_call: int | None = None, tier_inputs: FileTierInputs | None = None
    ) -> None:
        self.store = store
        # The star levels' inputs, kept as the rows pass for the first resolution to write the levels.
        self.tier_inputs = tier_inputs
        self.next_id = first_id
        self.nodes_per_call = nodes_per_call or NODES_PER_CALL
        self._nodes: list[NewNodes] = []
        self._edges: dict[str, EdgeBlock] = {}
        self._pending = 0
        self.accounts = NodeIndex()
        self.employees: dict[str, int] = {}
        self.channels: dict[str, int] = {}
        self.cases: dict[str, int] = {}
        self.offerings: dict[str, int] = {}
        self._offering_names: dict[str, str | None] = {}
        self._offering_names_sent: dict[str, str | None] = {}
        self.subscriptions_by_number = NodesByKey()
        self.calls = 0
        self._sending: asyncio.Task[None] | None = None
        # Statements to run once what was added is in, right after the call that sends it.
        self._after: list[tuple[CypherQuery, dict[str, Any]]] = []
        # One send at a time: the files' last one may still wait for the call before it when the
        # customers' first one comes.
        self._one_send = asyncio.Lock()
        # What a first resolution in the same load needs (BulkCustomerWrites): the customer records as
        # resolution reads them, their nodes, the holdings by owner record (each as its relationship
        # and node: a customer's are gathered from its records twice, once to derive it, once to write
        # it), the subscriptions a contact without an owner is about, and each employee's backups.
        self.customer_records: list[tuple[Any, ...]] = []
        self.record_nodes = NodeIndex()
        self.holdings = HeldByRecord(HOLDINGS.values())
        self.asked_about: set[int] = set()
        self.backups: dict[int, list[int]] = {}
        # Employees of the file being read whose backup was not loaded yet: linked at its end.
        self._unlinked_backups: list[tuple[int, str]] = []

    def _add(self, block: NewNodes) -> int:
        first = self.next_id
        self._nodes.append(block)
        self.next_id += block.count
        self._pending += block.count
        return first

    def _edge(self, kind: str, source: int, target: int, values: list[Any] | None = None) -> None:
        """``values``: of the relationship type's properties (RELATIONSHIP_PROPERTIES), in order."""
        block = self._edges.get(kind)
        if block is None:
            block = self._edges[kind] = EdgeBlock(kind, properties=list(RELATIONSHIP_PROPERTIES.get(kind, ())))
        block.pairs.append((source, target))
        if block.properties:
            block.values.append(values or [])

    def _merged(self, index: dict[str, int] | NodeIndex, label: str, key: str) -> int:
        """MERGE (n:label {id: key}): the node loaded or created before, else a new one with its id."""
        found = index.get(key)
        if found is None:
            found = index[key] = self._add(NodeBlock(label, ["id"], [[key]]))
        return found

    def _offering(self, code: str, name: str | None) -> int:
        found = self.offerings.get(code)
        if found is None:
            found = self.offerings[code] = self._add(NodeBlock("Offering", ["id", "name"], [[code, name]]))
            self._offering_names_sent[code] = name
        if name is not None:
            self._offering_names[code] = name
        return found

    def add(self, kind: str, rows: Sequence[Accepted], now: str, records_encoded: EncodedNodes | None = None) -> None:
        """New records of one kind, as cypher/ingest/<kind>_new (or <kind>, for kinds without one)
        creates them in a graph without customers, stamped ``now`` as that statement's batch is; their
        source records given ``records_encoded`` when a checking process encoded them."""
        if not rows:
            return
        if kind == "customers":
            positional: list[list[Any]] = [row.params for row in rows]  # type: ignore[misc]
            first_record = self._add(NodeBlock("SourceRecord", list(INGEST_COLUMNS), positional, _stamp(now)))
            for offset, values in enumerate(positional):
                self.record_nodes[values[_ID_AT]] = first_record + offset
                self.customer_records.append((*(now if at is None else values[at] for at in _RECORD_AT), None))
            return
        params: list[dict[str, Any]] = [row.params for row in rows]  # type: ignore[misc]
        records = self._add(records_encoded or source_records_block([p["record"] for p in params], now))
        label = DESCRIBED.get(kind)
        if label is None:
            return
        first = self._add(NodeBlock.of_maps(label, [p["node"] for p in params]))
        relation = HOLDINGS.get(kind)
        held, record_nodes = self.holdings, self.record_nodes
        if relation is not None:
            record_nodes.look_up(p["node"].get("owner_record") for p in params)
        if kind in ("subscriptions", "bills", "points"):
            self.accounts.look_up(p.get("account") for p in params)
        for offset, p in enumerate(params):
            node = first + offset
            self._edge("DESCRIBES", records + offset, node)
            self._relate(kind, p, node)
            if relation is not None and (owner := p["node"].get("owner_record")) is not None:
                held.add(record_nodes, owner, relation, node)
        if kind == "employees":
            for p in params:
                backup = p["node"].get("backup_record")
                if backup is not None:
                    self._unlinked_backups.append((self.employees[p["id"]], backup))
            self.link_backups()

    def link_backups(self, file_done: bool = False) -> None:
        """Each employee to its backup once that is loaded (cypher/ingest/employees and, at the end of
        the file, ingest/link_backups); at the file's end the ones still without are left unlinked."""
        waiting = []
        for employee, backup in self._unlinked_backups:
            node = self.employees.get(backup)
            if node is None:
                waiting.append((employee, backup))
                continue
            self._edge("BACKED_UP_BY", employee, node)
            self.backups.setdefault(employee, []).append(node)
        self._unlinked_backups = [] if file_done else waiting

    def _relate(self, kind: str, p: dict[str, Any], node: int) -> None:
        """The relationships the kind's statement creates from the new node, and the node kept by id
        for the rows that will name it."""
        if kind in ("accounts", "employees", "cases"):
            index = {"accounts": self.accounts, "employees": self.employees, "cases": self.cases}[kind]
            if p["id"] in index:
                raise NotBulkable(f"record {p['id']} was named by an earlier file before its own")
            index[p["id"]] = node
        elif kind == "subscriptions":
            if self.tier_inputs is not None:
                self.tier_inputs.subscription(node, p["node"])
            number = p["node"]["service_no"]
            self.subscriptions_by_number.add(number, node)
            if p.get("offering") is not None:
                self._edge("ON_OFFERING", node, self._offering(p["offering"], p.get("offering_name")))
            if p.get("account") is not None:
                self._edge("BILLED_TO", node, self._merged(self.accounts, "Account", p["account"]))
        elif kind == "bills":
            account = self._merged(self.accounts, "Account", p["account"])
            self._edge("BILL_OF", node, account)
            if self.tier_inputs is not None:
                self.tier_inputs.bill(account, p["node"])
        elif kind == "points":
            account = self._merged(self.accounts, "Account", p["account"])
            self._edge("POINTS_OF", node, account)
            if self.tier_inputs is not None:
                self.tier_inputs.points_of(account, p["node"])
        elif kind == "contacts":
            self._edge("VIA", node, self._merged(self.channels, "Channel", p["node"]["channel"]))
            if p.get("employee") is not None:
                self._edge("HANDLED_BY", node, self._merged(self.employees, "Employee", p["employee"]))
            for subscription in self.subscriptions_by_number.of(p["node"].get("service_no") or ""):
                self._edge("ABOUT", node, subscription)
                if p["node"].get("owner_record") is None:
                    self.asked_about.add(subscription)
        elif kind == "opportunities":
            if p.get("employee") is not None:
                self._edge("CLAIMED_BY", node, self._merged(self.employees, "Employee", p["employee"]))
        elif kind == "case_events":
            case = self.cases.get(p.get("case") or "")
            if case is not None:
                self._edge("EVENT_OF", node, case)
        elif kind == "leaves":
            employee = self.employees.get(p.get("employee") or "")
            if employee is not None:
                self._edge("LEAVE_OF", node, employee)

    @property
    def full(self) -> bool:
        edges = sum(len(block.pairs) for block in self._edges.values())
        return self._pending >= self.nodes_per_call or edges >= 4 * self.nodes_per_call

    def files_done(self) -> None:
        """The indexes only the files' rows look things up in go before resolution needs the memory,
        and the holdings are sorted for it."""
        for index in (self.accounts, self.channels, self.cases, self.subscriptions_by_number):
            index.clear()
        self.holdings.close(self.record_nodes)

    async def send(self) -> None:
        """What was added goes to the store in one call, which runs while the next rows are read and
        checked; the call before it is awaited first, so calls keep their order. Its nodes are put in
        the store's encoding before that wait, so the store is not left idle while they are (the
        customers' calls of the 100,000-person demo: a second of encoding in all, which the store
        waited for)."""
        async with self._one_send:
            if not self._nodes and not self._edges and not self._after:
                await self._sent()
                return
            nodes, edges, after = self._nodes, list(self._edges.values()), self._after
            self._nodes, self._edges, self._pending, self._after = [], {}, 0, []
            encode = self.store.bulk_encoder()
            failure: Exception | None = None
            try:
                if encode is not None:
                    nodes = [encoded_ahead(block, encode) for block in nodes]
            except Exception as exc:  # noqa: BLE001 (raised where the call's own failure would be)
                failure = exc
            await self._sent()
            self._sending = asyncio.create_task(self._call(nodes, edges, after) if failure is None else _raise(failure))
            self.calls += 1

    async def _call(
        self, nodes: list[NewNodes], edges: list[EdgeBlock], after: list[tuple[CypherQuery, dict[str, Any]]]
    ) -> None:
        if nodes or edges:
            await self.store.create_in_bulk(nodes, edges)
        for query, params in after:
            await self.store.write(query, params)

    def after_sent(self, query: CypherQuery, params: dict[str, Any]) -> None:
        """A statement about what was added (no node of its own: internal ids stay consecutive), run in
        the call that sends it, after its nodes, so the store runs it while the next rows are prepared
        rather than all of them at the end."""
        self._after.append((query, params))

    @property
    def sending(self) -> bool:
        """A call is with the store."""
        return self._sending is not None and not self._sending.done()

    async def _sent(self) -> None:
        """The call in flight, awaited whole: shielded, so a cancelled load still waits for the store's
        answer before it empties the graph."""
        if self._sending is not None:
            await asyncio.shield(self._sending)
            self._sending = None

    async def abandon(self) -> None:
        """A call in flight is let finish, whatever it answers (the graph is emptied after)."""
        if self._sending is not None:
            await asyncio.wait([self._sending])
            if not self._sending.cancelled():
                self._sending.exception()  # retrieved: the failure being handled is the one raised
            self._sending = None

    async def flush(self) -> None:
        """Everything added is in the graph."""
        await self.send()
        await self._sent()

    async def finish(self) -> None:
        await self.flush()
        renamed = [
            {"id": code, "name": name}
            for code, name in self._offering_names.items()
            if name != self._offering_names_sent.get(code)
        ]
        if renamed:
            await self.store.write(OFFERING_NAMES, {"rows": renamed})
        await self.store.end_bulk_load()


async def _raise(failure: Exception) -> None:
    """A call that failed before it was sent: its failure comes where the call's answer would, so no
    later call goes out with the internal ids out of step."""
    raise failure


@dataclass(frozen=True, slots=True)
class FirstLevel:
    """A new customer's first star level (level_row's) from its tier sums and golden values: worked out
    where the customer is derived, in another process for a large load."""

    rules: Rules
    as_of: date

    def __call__(self, sums: TierSums | None, props: dict[str, Any]) -> dict[str, Any] | None:
        if sums is None:
            return None
        return level_row({"id": None, **props}, tier_inputs(sums), self.rules, self.as_of)


class BulkCustomerWrites:
    """A first load's batch resolution written into its bulk load: what resolve/write_customers,
    resolve/attach_* and resolve/holdings_attached do in a graph that holds no customer yet, each
    customer new, each holding hung on the customer of its owner record, its managers after it.
    Contacts without an owner follow the subscriptions they are about by the statement itself
    (resolve/attach_contacts_by_number), batch after batch once the rest is in: a contact about two
    customers' numbers ends on the later one, as by statements. Each batch's statement runs in the store
    call that writes its customers, after them, while the next batch is derived (3 s at the end of the
    100,000-person demo's load when they all waited for the last call). The version counts what the
    statements would have counted: the write, one per holding hung on it, one for its managers, and
    one for its first star level (tiers/record_levels in the recompute after the load, which then
    leaves the levels). The test that compares a first load in bulk and its recompute with one by
    statements holds the two together."""

    def __init__(self, graph: FirstLoadGraph) -> None:
        self.graph = graph
        self.unsent = 0
        today = clock.today()
        # Each customer's star level as of one day, as tiers/record_levels would write it right after.
        inputs = graph.tier_inputs
        self.levels = Recorded(as_of=today) if inputs is not None and inputs.covers(today) else None

    async def write(self, customers: list[dict[str, Any]], now: str) -> None:
        graph = self.graph
        attached = clock.now_iso()
        rows: list[dict[str, Any]] = []
        held: list[list[tuple[str, int]]] = []
        asked: list[dict[str, Any]] = []
        changes: list[list[Any]] = []
        for c in customers:
            holdings = self._holdings([record["id"] for record in c["records"]])
            held.append(holdings)
            version = 1 + len(holdings) + (1 if c["manager"] else 0)
            row = {
                "id": c["id"],
                "created_at": now,
                "version": version,
                **c["props"],
                "status": "active",
                "updated_at": now,
                "golden_digest": c["digest"],
                "holdings_attached": attached,
            }
            if self.levels is not None:
                changes.append(self._level(row, c.get("worked_out"), attached))
            rows.append(row)
            if any(relation == "OWNS" and node in graph.asked_about for relation, node in holdings):
                asked.append({"id": c["id"], "records": [r["id"] for r in c["records"]], "manager": c["manager"]})
        first = graph._add(NodeBlock.of_maps("Customer", rows))
        if changes:
            change = graph._add(NodeBlock("TierChange", list(TIER_CHANGE), changes))
            for offset in range(len(changes)):
                graph._edge("TIER_OF", change + offset, first + offset)
        for offset, c in enumerate(customers):
            customer = first + offset
            for record in c["records"]:
                graph._edge("RECORD_OF", graph.record_nodes[record["id"]], customer, [record["why"], now])
            for relation, node in held[offset]:
                graph._edge(relation, customer, node)
            manager = graph.employees.get(c["manager"]) if c["manager"] else None
            if manager is not None:
                graph._edge("MANAGED_BY", customer, manager, ["A"])
                for backup in graph.backups.get(manager, ()):
                    graph._edge("MANAGED_BY", customer, backup, ["B"])
        if asked:
            from app.services.resolve import ATTACH_CONTACTS_BY_NUMBER

            graph.after_sent(ATTACH_CONTACTS_BY_NUMBER, {"customers": asked})
        self.unsent += len(customers)
        if graph.full or self.unsent >= CUSTOMERS_PER_CALL:
            self.unsent = 0
            await graph.send()

    def busy(self) -> bool:
        return self.graph.sending

    def _holdings(self, records: list[str]) -> list[tuple[str, int]]:
        nodes = self.graph.record_nodes
        return self.graph.holdings.of(nodes[record] for record in records)

    def worked_in(self, records: list[str]) -> TierSums | None:
        """The customer's tier sums, from the holdings its records have in the files (gathered here,
        where the files' sums are; made its tier inputs where it is derived)."""
        inputs, recorded = self.graph.tier_inputs, self.levels
        if inputs is None or recorded is None or recorded.as_of is None:
            return None
        return inputs.sums(self._holdings(records), recorded.as_of)

    @property
    def work_out(self) -> FirstLevel | None:
        recorded = self.levels
        if self.graph.tier_inputs is None or recorded is None or recorded.as_of is None:
            return None
        return FirstLevel(self.graph.tier_inputs.rules, recorded.as_of)

    def _level(self, row: dict[str, Any], level: dict[str, Any] | None, at: str) -> list[Any]:
        """The new customer's level set on its row, and its first TierChange's values (TIER_CHANGE)."""
        recorded = self.levels
        assert level is not None and recorded is not None and recorded.as_of is not None
        as_of = recorded.as_of.isoformat()
        row["star_level"], row["star_as_of"] = level["star"], as_of
        row["star_reason"], row["average_monthly_spend"] = level["reason"], level["average"]
        row["version"] += 1
        recorded.customers += 1
        recorded.changed += 1
        return [row["id"] + "@" + at, row["id"], level["star"], level["reason"], as_of, at]

    async def finish(self) -> None:
        await self.graph.flush()


async def _add_file(
    graph: FirstLoadGraph,
    checking: LoadChecking,
    number: int,
    progress: Callable[[int], None] | None,
    customers_added: Callable[[], None],
) -> IngestSummary:
    """A file's rows, checked in a checking process as on the Cypher path, added to the graph a batch at
    a time; a full graph goes to the store while the next batches are checked."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    # Counted, not listed: every row is new, and the load resolves them all (the ids of the 100,000-person
    # demo's 1.5 million rows were 110 MB held to the end).
    added = 0
    summary = None
    entry = checking.entries[number]
    checked = checking.checked(number)
    async with contextlib.aclosing(checked):
        async for answer in checked:
            if isinstance(answer, IngestSummary):
                summary = answer
                break
            read, rows, encoded = answer
            now = clock.now_iso()
            graph.add(entry.kind, rows, now, encoded and checking.stamped(encoded, now))
            if graph.customer_records:
                customers_added()
            added += len(rows)
            if graph.full:
                await graph.send()
            if progress:
                progress(read)
    if summary is None:
        raise CheckingProcessFailed(f"{entry.path}: the checking process ended the file without its summary")
    if entry.kind == "employees":
        graph.link_backups(file_done=True)
    summary.created = summary.written = added
    summary.seconds = loop.time() - started
    return summary


async def _stop(
    linking: asyncio.Task[Any] | None,
    last_files_call: asyncio.Task[None] | None,
    linking_process: LinkingProcess | None,
) -> None:
    """A failed first load's work in progress stopped: a send not yet begun never begins (one begun is
    the graph's to let finish), and the linking process is ended, a link in progress with it (the thread
    waiting for its answer then ends at once). What they failed with, if they did, is not the failure
    being handled."""
    if last_files_call is not None:
        if not last_files_call.done():
            last_files_call.cancel()
        await asyncio.wait([last_files_call])
        if not last_files_call.cancelled():
            last_files_call.exception()
    if linking_process is not None:
        linking_process.close()
    if linking is not None:
        await asyncio.wait([linking])
        if not linking.cancelled():
            linking.exception()


def bulk_suitable(entries: list[ManifestEntry]) -> bool:
    """Each (source, kind) once: a second file of the same records would change records of the first,
    which only the Cypher path's upserts do."""
    return len({(e.source, e.kind) for e in entries}) == len(entries)


async def bulk_load_directory(
    store: Store,
    entries: list[ManifestEntry],
    *,
    batch_size: int = 5000,
    on_file: Callable[[ManifestEntry], Callable[[int], None] | None] | None = None,
    on_ingested: Callable[[list[IngestSummary]], None] | None = None,
) -> tuple[list[IngestSummary], ResolveReport] | None:
    """The manifest's files, then the first batch resolution, through the bulk path; or None (nothing
    written) when it cannot be taken: the store has no bulk path or holds data. The resolution's
    records come from the files as read (not read back from the store); its customers, their records,
    holdings and managers go in bulk (:class:`BulkCustomerWrites`), memberships, review candidates and
    the run by statements. Data the bulk path cannot carry empties the graph again and also answers
    None, so the caller loads the ordinary way; any other failure (a broken file, an interrupt, a
    failed resolution) empties it and is raised, so the graph is as empty as it was and the load can
    be rerun. ``on_ingested`` hears of the files' summaries before resolution starts."""
    if not bulk_suitable(entries):
        return None
    for entry in entries:
        check_header(entry.path, entry.kind, entry.encoding)
    # Before the graph is found empty: a steward decision recorded after it is a late one to the
    # resolution (services.late_decisions), and none was in force.
    no_decisions_before = clock.now_iso()
    first_id = await store.begin_bulk_load()
    if first_id is None:
        return None
    # The linker's numpy only when it resolves.
    from app.resolution.linked import Linked
    from app.services.customer_derivation import DerivingProcesses
    from app.services.linking_process import LinkingProcess
    from app.services.resolve import STORED_COLUMNS, StoredRecords, link_ahead, resolve_all

    graph = FirstLoadGraph(store, first_id, tier_inputs=FileTierInputs(get_rules(), clock.today()))
    order = adding_order(entries)
    ordered = [entries[number] for number in order]
    last_customers = max((k for k, entry in enumerate(ordered) if entry.kind == "customers"), default=None)
    summaries: list[IngestSummary | None] = [None] * len(entries)
    records = StoredRecords()
    linking_process: LinkingProcess | None = None
    linking: asyncio.Task[Linked] | None = None
    last_files_call: asyncio.Task[None] | None = None

    def customers_added() -> None:
        """The graph's new customer records, as resolution holds them, and their normalisation begun."""
        assert linking_process is not None
        kept = records.extend(graph.customer_records)
        graph.customer_records = []
        linking_process.add(kept)

    # Forked now, while this process is small: forked at the end, they would hold its memory as it was.
    apart = DerivingProcesses()
    try:
        await apart.__aenter__()
        linking_process = LinkingProcess(STORED_COLUMNS)
        async with LoadChecking(ordered, batch_size, store.bulk_encoder()) as checking:
            with quick_thread_switches():
                for number, entry in enumerate(ordered):
                    progress = on_file(entry) if on_file else None
                    summaries[order[number]] = await _add_file(graph, checking, number, progress, customers_added)
                    if number == last_customers:
                        linking = asyncio.create_task(asyncio.to_thread(link_ahead, linking_process, records))
                        log.info("first load in bulk: linking %d customer records beside the other files", len(records))
        if linking is None:  # no customers file: none to link
            linking = asyncio.create_task(asyncio.to_thread(link_ahead, linking_process, records))
        # The files' last call goes out when the call before it is done, while the customers are derived;
        # the customers' first call waits for it.
        last_files_call = asyncio.create_task(graph.send())
        graph.files_done()
        log.info("first load in bulk: files added, %d nodes", graph.next_id - first_id)
        ingested = [summary for summary in summaries if summary is not None]
        if on_ingested:
            on_ingested(ingested)
        writes = BulkCustomerWrites(graph)
        report = await resolve_all(
            store,
            records=records,
            writes=writes,
            no_decisions_before=no_decisions_before,
            ahead=linking,
            apart=apart,
        )
        report.levels = writes.levels
        await graph.finish()
        await last_files_call
    except NotBulkable as exc:
        await _stop(linking, last_files_call, linking_process)
        await graph.abandon()
        log.warning("the first load cannot go in bulk (%s): loading it the ordinary way", exc)
        await store.clear()
        return None
    except BaseException as failure:
        await _stop(linking, last_files_call, linking_process)
        try:
            await graph.abandon()
            await store.clear()
        except Exception:  # a store that failed the load may fail this too: the load's own error is the news
            log.exception("the first load failed (%s) and its partial graph could not be removed", failure)
        raise
    finally:
        records.close()
        await apart.end()
    log.info("first load in bulk: %d nodes in %d store calls", graph.next_id - first_id, graph.calls)
    return ingested, report
