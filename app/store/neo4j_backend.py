"""Neo4j backend: the official async driver used as Neo4j is meant to be used.

Managed transactions (``execute_read``/``execute_write``), so the driver retries transient failures
(a leader switch, a deadlock) within ``retry_seconds``; read transactions for reads, so a writing
query is refused and, on a cluster, reads go to followers or read replicas; one bookmark manager
for every session of the process, so a read on any connection sees the writes before it
(read-your-writes across the API's connections and across cluster members). Bolt URIs only:
``bolt://``, ``neo4j://`` (routing), and their ``+s``/``+ssc`` TLS forms.
"""

from __future__ import annotations

import logging
import re
from array import array
from typing import Any

import neo4j
from neo4j import AsyncGraphDatabase
from neo4j.exceptions import (
    AuthError,
    ConfigurationError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from app.errors import StoreError, StoreStartError, StoreUnavailable
from app.store.base import EdgeBlock, EncodedNodes, Health, NewNodes, Row, Store
from app.store.queries import CypherQuery, cypher

log = logging.getLogger(__name__)

SCHEMA = cypher("schema/neo4j")
HEALTH = cypher("store/health")
BULK_NODES = cypher("admin/bulk_nodes.neo4j")
BULK_RELATIONSHIPS = cypher("admin/bulk_relationships.neo4j")
INDEX_NAMES = cypher("admin/index_names.neo4j")
# An index the schema declares (not a constraint's): a first load drops these and builds them again
# whole at its end (7-10% of a load of the 20,000-person demo, docs/benchmarks.md).
_INDEX = re.compile(r"CREATE (?:FULLTEXT |RANGE |TEXT |POINT )?INDEX (\w+) ", re.IGNORECASE)
# How long a first load waits for its indexes to be built again, in seconds.
INDEX_BUILD_SECONDS = 3600
# Rows of one bulk transaction: large enough that each statement's fixed cost is small, small enough
# for the 2 GB heap the tests give the server.
BULK_ROWS = 10_000


def _plain(value: Any) -> Any:
    if isinstance(value, (neo4j.graph.Node, neo4j.graph.Relationship)):
        return dict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# Bolt only: the driver's HTTP Query API (http://) is a preview without bookmarks or managed retries.
DIRECT_SCHEMES = {"bolt", "bolt+s", "bolt+ssc"}
ROUTING_SCHEMES = {"neo4j", "neo4j+s", "neo4j+ssc"}


class Neo4jStore(Store):
    backend = "neo4j"
    leaves_reference_cycles = True

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        *,
        pool_size: int = 32,
        query_timeout_ms: int = 30_000,
        retry_seconds: float = 5.0,
        connect_timeout: float = 5.0,
    ) -> None:
        super().__init__()
        self.uri = uri
        self.user = user
        self.password = password
        self.database = database
        self.query_timeout_ms = query_timeout_ms
        if uri.partition("://")[0].lower() not in ROUTING_SCHEMES | DIRECT_SCHEMES:
            raise StoreStartError(
                f"NEO4J_URI {uri!r} is not a Neo4j URI: use bolt:// (one server) or neo4j:// "
                f"(routing, for a cluster), with +s or +ssc for TLS",
                backend=self.backend,
            )
        try:
            self._driver = AsyncGraphDatabase.driver(
                uri,
                auth=(user, password),
                max_connection_pool_size=pool_size,
                max_transaction_retry_time=retry_seconds,
                connection_timeout=connect_timeout,
                connection_acquisition_timeout=connect_timeout + query_timeout_ms / 1000,
                # No notifications: the driver logs each one at length, and "relationship type does not
                # exist yet" on a graph without merges came with most reads (measured: 3x slower views).
                # Deprecations are expected too: the shared Cypher keeps `CALL { WITH x ... }`, the form
                # FalkorDB reads, which Neo4j 5.26 notes as deprecated (docs/operations.md, upgrades).
                notifications_min_severity="OFF",
            )
        except (ConfigurationError, ValueError) as exc:
            raise StoreStartError(f"NEO4J_URI {uri!r} is not a Neo4j URI: {exc}", backend=self.backend) from exc
        self._bookmarks = AsyncGraphDatabase.bookmark_manager()
        # While a bulk load runs: Neo4j's internal id of each node it created, by the loader's id.
        self._bulk_nodes: array[int] | None = None

    @property
    def location(self) -> str:
        return f"{self.uri} database={self.database}"

    def environment(self) -> dict[str, str]:
        """The NEO4J_* variables that make another c360 process use this same database."""
        return {
            "NEO4J_URI": self.uri,
            "NEO4J_USER": self.user,
            "NEO4J_PASSWORD": self.password,
            "NEO4J_DATABASE": self.database,
        }

    async def start(self) -> None:
        try:
            info = await self._driver.get_server_info()
        except AuthError as exc:
            raise StoreStartError(
                f"Neo4j at {self.uri} refused the credentials of user {self.user!r} "
                f"(NEO4J_USER, NEO4J_PASSWORD): {exc.message}",
                backend=self.backend,
            ) from exc
        except (Neo4jError, DriverError, OSError) as exc:
            raise StoreUnavailable(f"cannot reach Neo4j at {self.uri}: {exc}", backend=self.backend) from exc
        self.server_agent = info.agent
        log.info("store backend=neo4j uri=%s database=%s server=%s", self.uri, self.database, info.agent)

    async def _run(
        self, query: CypherQuery, text: str, params: dict[str, Any] | None, read_only: bool, timeout_ms: int | None
    ) -> list[Row]:
        self.stats.count(query.name)
        # Reads are bounded by the query timeout; writes only when the caller says so, as on the
        # embedded store (a batch resolution's statements on a province's graph take minutes).
        limit = timeout_ms if timeout_ms is not None else (self.query_timeout_ms if read_only else None)
        timeout = limit / 1000 if limit is not None else None

        @neo4j.unit_of_work(timeout=timeout)
        async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
            result = await tx.run(text, params or {})
            return [{k: _plain(v) for k, v in record.items()} async for record in result]

        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        try:
            async with self._driver.session(
                database=self.database, default_access_mode=mode, bookmark_manager=self._bookmarks
            ) as session:
                if read_only:
                    return await session.execute_read(work)
                return await session.execute_write(work)
        except AuthError as exc:
            raise StoreUnavailable(
                f"Neo4j refused the credentials: {exc.message}", query=query.name, backend=self.backend
            ) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise StoreUnavailable(
                f"Neo4j at {self.uri} is not answering: {exc}", query=query.name, backend=self.backend
            ) from exc
        except TransientError as exc:
            raise StoreUnavailable(
                f"Neo4j could not complete the transaction within the retry time "
                f"(C360_NEO4J_RETRY_SECONDS): {exc.message}",
                query=query.name,
                backend=self.backend,
            ) from exc
        except Neo4jError as exc:
            raise StoreError(exc.message or str(exc), query=query.name, backend=self.backend) from exc
        except DriverError as exc:
            raise StoreError(str(exc), query=query.name, backend=self.backend) from exc

    async def _create_schema(self) -> None:
        """A lookup index that failed to build is dropped first, so its declaration builds it anew."""
        for name, state in (await self._index_states()).items():
            if state == "FAILED" and name in self._lookup_indexes():
                await self._run(SCHEMA, f"DROP INDEX {name} IF EXISTS", None, False, None)
        await self._schema_statements()
        await self._await_indexes(300)

    async def _index_states(self) -> dict[str, str]:
        return {row["name"]: row["state"] for row in await self.read(INDEX_NAMES)}

    async def _schema_statements(self) -> None:
        for statement in SCHEMA.statements():
            await self._run(SCHEMA, statement, None, False, None)

    async def _await_indexes(self, seconds: int) -> None:
        await self._run(SCHEMA, f"CALL db.awaitIndexes({int(seconds)})", None, False, None)

    @staticmethod
    def _lookup_indexes() -> list[str]:
        """The schema's own indexes that back no constraint (their names from schema/neo4j.cypher)."""
        return [found.group(1) for statement in SCHEMA.statements() if (found := _INDEX.match(statement))]

    async def _drop_indexes(self) -> None:
        """The uniqueness constraints stay, for the statements that find nodes by id during the load."""
        for name in self._lookup_indexes():
            await self._run(SCHEMA, f"DROP INDEX {name} IF EXISTS", None, False, None)

    async def clear(self, batch: int = 20_000) -> int:
        """As every store clears, and with the indexes a first load dropped built again if it failed or
        was killed before it ended (and any that failed to build, dropped and built again)."""
        self._bulk_nodes = None
        deleted = await super().clear(batch)
        states = await self._index_states()
        if any(states.get(name) != "ONLINE" for name in self._lookup_indexes()):
            await self._create_schema()
        return deleted

    async def begin_bulk_load(self) -> int | None:
        """Neo4j's offline import needs the database stopped and its files at hand, which a server the
        API only reaches by Bolt does not offer; into an empty graph the load's nodes and relationships
        go instead in large UNWIND transactions that create without index lookups. The loader's
        ids run from zero; Neo4j's own ids are kept to place the relationships. The lookup and full-text
        indexes are built again when the load ends; one left without them (the load killed) is refused
        by the next load until `c360 store reset`, whose schema set-up builds them."""
        if not await self._holds_only_its_stamp():
            return None
        await self._mark_bulk_load_started()
        await self._drop_indexes()
        self._bulk_nodes = array("q")
        return 0

    async def create_in_bulk(self, nodes: list[NewNodes], edges: list[EdgeBlock]) -> None:
        if self._bulk_nodes is None:
            raise StoreError("no bulk load has begun", query="bulk", backend=self.backend)
        created = self._bulk_nodes
        self.stats.count("bulk")
        for block in nodes:
            if isinstance(block, EncodedNodes):  # bulk_encoder is None here: a loader's mistake
                raise StoreError("nodes encoded for another store's bulk path", query="bulk", backend=self.backend)
            names = block.properties
            for start in range(0, len(block.rows), BULK_ROWS):
                chunk = block.rows[start : start + BULK_ROWS]
                rows = [r if isinstance(r, dict) else dict(zip(names, r, strict=True)) for r in chunk]
                ids = [0] * len(rows)
                params = {"label": block.label, "rows": rows, "constants": block.constants}
                answer = (await self.write(BULK_NODES, params))[0]["nodes"]
                if len(answer) != len(rows):
                    raise StoreError(
                        f"bulk load: {len(rows)} {block.label} nodes sent, {len(answer)} created",
                        query="bulk",
                        backend=self.backend,
                    )
                for at, node in answer:
                    ids[at] = node
                created.extend(ids)
        for edge in edges:
            names = edge.properties
            for start in range(0, len(edge.pairs), BULK_ROWS):
                pairs = edge.pairs[start : start + BULK_ROWS]
                values = edge.values[start : start + BULK_ROWS] if names else [[]] * len(pairs)
                links = [[created[a], created[b], dict(zip(names, v))] for (a, b), v in zip(pairs, values, strict=True)]
                done = await self.write(BULK_RELATIONSHIPS, {"type": edge.type, "rows": links})
                if done[0]["created"] != len(links):
                    raise StoreError(
                        f"bulk load: {len(links) - done[0]['created']} {edge.type} relationships name nodes "
                        "this load did not create",
                        query="bulk",
                        backend=self.backend,
                    )

    async def end_bulk_load(self) -> None:
        """The load is whole once its indexes are declared again; their building is waited for after
        the mark is off, so an index slow or failing to build costs no loaded data (the next clear or
        schema set-up, the API's start or a load, builds a failed one anew)."""
        self._bulk_nodes = None
        await self._schema_statements()
        await self._mark_bulk_load_done()
        try:
            await self._await_indexes(INDEX_BUILD_SECONDS)
        except StoreError as exc:
            log.warning("a first load's indexes are not all built yet (queries use each once it is): %s", exc)

    async def health(self) -> Health:
        """The database answers a statement, run once outside any retried transaction: a server
        that is away is reported at once, not after the driver's retries."""
        try:
            info = await self._driver.get_server_info()
            self.stats.count(HEALTH.name)
            async with self._driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS, bookmark_manager=self._bookmarks
            ) as session:
                await (await session.run(neo4j.Query(HEALTH.text, timeout=2.0))).consume()
        except AuthError as exc:
            return Health(False, self.backend, f"Neo4j refused the credentials: {exc.message}", self.location)
        except (Neo4jError, DriverError, OSError) as exc:
            return Health(False, self.backend, f"Neo4j at {self.uri} is not answering: {exc}", self.location)
        self.server_agent = info.agent
        return Health(True, self.backend, "ok", self.location, server=info.agent)

    async def _disconnect(self) -> None:
        await self._driver.close()
