"""The graph's schema version, and the migrations that bring a graph of an older release to it.

The version lives in one node, ``(:SchemaVersion {id: 'graph', version, created_at, migrated_at})``.
A graph without it is either empty (a fresh install: it reports :data:`CURRENT_VERSION` and is
stamped with it when its schema is set up, :func:`stamp_if_empty`) or was written by release 0.1.0,
the last release without versions (it reports 0).

Every later change to what the graph stores adds a :class:`Migration` to :data:`MIGRATIONS`: the
next number, a one-line description and a Cypher file ``cypher/migrate/<name>.cypher`` (or a pair
``<name>.falkordb.cypher``/``<name>.neo4j.cypher`` when the backends spell it differently), and a
test that migrates the previous release's graph (tests/integration/test_migrations.py).

A change the backends' Cypher cannot spell alike (FalkorDB has no temporal functions) is a
:class:`Migration` with a ``step``: Python that reads a batch through the store, computes the new
values and writes them back, with its own statements in ``cypher/migrate/<name>_*.cypher``.

A migration's file holds one or more statements (separated by ``;`` at line ends); each is atomic.
Each statement receives ``$at`` (now), ``$version`` (the migration's number) and ``$batch``. A
statement that must touch many nodes names ``$batch``: it changes at most that many (``WITH n
LIMIT $batch``), returns how many it changed as ``changed``, and is run again until it changes
fewer, one transaction a batch, like ``admin/clear_graph.neo4j``. Migrations must be idempotent: the
version is recorded after each one has run, so a migration stopped half-way is run again from its
start by the next ``c360 store migrate``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app import clock
from app.errors import ConfigError, SchemaVersionError
from app.store.queries import BACKEND_DIALECTS, CypherQuery, backend_cypher, cypher

if TYPE_CHECKING:
    from app.store.base import Store

log = logging.getLogger(__name__)

VERSION = cypher("migrate/version")
ANY_NODE = cypher("migrate/any_node")
STAMP_EMPTY_GRAPH = cypher("migrate/stamp_empty_graph")
RECORD_VERSION = cypher("migrate/record_version")
BATCH = 20_000


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    description: str
    # cypher/migrate/<name>.cypher, or <name>.falkordb.cypher and <name>.neo4j.cypher if per_backend.
    name: str
    per_backend: bool = False
    # Run instead of the file's statements: ``step(store, batch)`` (see the module's docstring).
    step: Callable[[Store, int], Awaitable[None]] | None = None

    def query(self, backend: str) -> CypherQuery:
        if self.per_backend:
            return backend_cypher(f"migrate/{self.name}")[backend]
        return cypher(f"migrate/{self.name}")

    def __str__(self) -> str:
        return f"{self.number}: {self.description}"


# Every stored time property, by what holds it: each file reads a batch of ids with the times not
# yet in the stored form, and writes the converted ones back.
UTC_TIMES = tuple(
    cypher(f"migrate/0002_utc_times_{part}")
    for part in (
        "source_records",
        "contacts",
        "opportunities",
        "customers",
        "match_candidates",
        "merge_events",
        "steward_decisions",
        "resolution_runs",
        "schema_version",
        "record_links",
    )
)


def _converted(times: dict[str, Any]) -> dict[str, str]:
    """The times of one node (or link) that are not yet instants, as instants. A value that is not a
    time at all is left as it was, and said so: nothing is lost."""
    changed: dict[str, str] = {}
    for key, value in times.items():
        if not isinstance(value, str) or clock.is_instant(value):
            continue
        try:
            changed[key] = clock.instant_of(value)
        except ValueError:
            log.warning("migration 2: %s=%r is not an ISO-8601 time; left as it is", key, value)
    return changed


async def utc_times(store: Store, batch: int = BATCH) -> None:
    """Migration 2: every stored time in one form, a UTC instant (``app.clock.instant``), so that
    text order is time order. Releases before it wrote files' times with their own offsets (+08:00)
    and the clock's in UTC (+00:00). One read and one write transaction a batch, keyed by id; a
    second run finds nothing to convert. The reads compare ``n.id + ''`` with the cursor, not
    ``n.id``: FalkorDB's range index on ids, after nodes were deleted and created again, misses
    ids above a string bound, so a batch came back short and the migration stopped early."""
    for query in UTC_TIMES:
        read, write = (CypherQuery(query.name, statement) for statement in query.statements())
        after = after_other = ""
        while True:
            rows = await store.read(read, {"after": after, "after_other": after_other, "batch": batch})
            changes = [
                {"id": row["id"], "other": row["other"], "times": times}
                for row in rows
                if (times := _converted(row["times"]))
            ]
            if changes:
                await store.write(write, {"rows": changes})
            if len(rows) < batch:
                break
            after, after_other = rows[-1]["id"], rows[-1]["other"]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "version the graph (a graph of release 0.1.0 gets its SchemaVersion node)", "0001_version_the_graph"),
    Migration(2, "every stored time a UTC instant (2026-11-30T15:30:00.000Z)", "0002_utc_times", step=utc_times),
)
CURRENT_VERSION = MIGRATIONS[-1].number


def _check_list() -> None:
    """Numbered 1, 2, 3... in order, every file present (a missing one fails the import)."""
    numbers = [m.number for m in MIGRATIONS]
    if numbers != list(range(1, len(MIGRATIONS) + 1)):
        raise AssertionError(f"migrations must be numbered 1, 2, 3... in order, not {numbers}")
    for migration in MIGRATIONS:
        if migration.step is not None:
            continue
        for backend in BACKEND_DIALECTS:
            migration.query(backend)


_check_list()


async def _version_and_emptiness(store: Store) -> tuple[int, bool]:
    rows = await store.read(VERSION)
    if rows and rows[0]["version"] is not None:
        return int(rows[0]["version"]), False
    nodes = await store.read(ANY_NODE)
    empty = not (nodes and nodes[0]["nodes"])
    return (CURRENT_VERSION if empty else 0), empty


async def schema_version(store: Store) -> int:
    """The graph's schema version: its version node's; 0 for a graph of release 0.1.0 (data, no
    version node); :data:`CURRENT_VERSION` for an empty graph (nothing in it to migrate)."""
    return (await _version_and_emptiness(store))[0]


async def stamp_if_empty(store: Store) -> bool:
    """Where the schema is set up: an empty graph is stamped with :data:`CURRENT_VERSION` (one
    atomic statement, so a graph that is not empty is never stamped). True when it was."""
    rows = await store.write(STAMP_EMPTY_GRAPH, {"version": CURRENT_VERSION, "at": clock.now_iso()})
    return bool(rows)


def _mismatch(found: int) -> SchemaVersionError:
    if found < CURRENT_VERSION:
        return SchemaVersionError(
            f"the graph is at schema version {found}, this release needs {CURRENT_VERSION}: run `c360 store migrate`",
            found=found,
            needed=CURRENT_VERSION,
        )
    return SchemaVersionError(
        f"the graph is at schema version {found}, written by a later release; this release "
        f"knows versions up to {CURRENT_VERSION} and refuses it: run the later release "
        "(graphs are never migrated back)",
        found=found,
        needed=CURRENT_VERSION,
    )


async def check_version(store: Store) -> int:
    """Raise :class:`SchemaVersionError` unless the graph is at :data:`CURRENT_VERSION`; return it."""
    found, empty = await _version_and_emptiness(store)
    if found != CURRENT_VERSION:
        raise _mismatch(found)
    if empty:
        # An empty graph becomes this release's before anything writes to it: otherwise its first
        # node (a resolution run, say) would make it look like a graph of release 0.1.0. Only then a
        # write, so a read-only account (an analyst's `c360 cypher`) passes the check on a used graph.
        await stamp_if_empty(store)
    return found


async def run_statements(store: Store, query: CypherQuery, *, version: int, batch: int = BATCH) -> None:
    """A migration's statements in order, each in its own transaction; one that names ``$batch``
    again and again until it reports fewer than ``batch`` nodes ``changed``."""
    params = {"at": clock.now_iso(), "version": version, "batch": batch}
    for statement in query.statements():
        one = CypherQuery(query.name, statement)
        while True:
            rows = await store.write(one, params)
            if "$batch" not in statement:
                break
            if not rows or "changed" not in rows[0]:
                raise ConfigError(f"{query.name}: a statement that names $batch must return `changed`")
            if int(rows[0]["changed"]) < batch:
                break


def pending(version: int) -> list[Migration]:
    return [m for m in MIGRATIONS if m.number > version]


async def migrate(
    store: Store, *, dry_run: bool = False, on_applied: Callable[[Migration], None] | None = None
) -> list[Migration]:
    """Apply every migration above the graph's version, in order, recording the version after each
    one; return them (with ``dry_run``, the ones that would be applied, and nothing is written).
    A graph of a later release is refused; an empty graph is stamped and needs none."""
    version = await schema_version(store)
    if version > CURRENT_VERSION:
        raise _mismatch(version)
    todo = pending(version)
    if dry_run:
        return todo
    await stamp_if_empty(store)
    for migration in todo:
        if migration.step is not None:
            await migration.step(store, BATCH)
        else:
            await run_statements(store, migration.query(store.backend), version=migration.number)
        await store.write(RECORD_VERSION, {"version": migration.number, "at": clock.now_iso()})
        log.info("schema migration %s applied: the graph is at version %s", migration, migration.number)
        if on_applied is not None:
            on_applied(migration)
    return todo
