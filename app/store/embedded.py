"""Embedded backend: FalkorDB through its official asyncio client on a blocking connection pool.

A blocking pool makes a burst of concurrent requests wait for a free connection
instead of failing with ``MaxConnectionsError``. A supervisor task watches the server:
when it dies, every request fails at once with STORE_UNAVAILABLE (no socket timeout
to wait out) and health says why, while the server is started again from its
append-only file; then the pool reconnects and requests are served again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import redis.exceptions
from falkordb.asyncio import FalkorDB
from falkordb.asyncio.query_result import QueryResult
from falkordb.edge import Edge
from falkordb.node import Node
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.connection import UnixDomainSocketConnection
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.errors import StoreError, StoreStartError, StoreUnavailable
from app.store.base import COUNT_NODES, EdgeBlock, EncodedNodes, Health, NewNodes, NodeBlock, Row, Store
from app.store.cypher_params import encoded_row, params_header
from app.store.falkordb_bulk import bulk_arguments, node_section
from app.store.falkordb_results import NotPlain, rows_of
from app.store.falkordb_server import AOF_REWRITE_PERCENTAGE, REWRITE_SECONDS, EmbeddedServer
from app.store.queries import CypherQuery, cypher

log = logging.getLogger(__name__)

SCHEMA = cypher("schema/falkordb")
UNIQUE_CONSTRAINTS = cypher("schema/falkordb_unique")
HEALTH = cypher("store/health")
NODE_IDS = cypher("admin/node_ids.falkordb")
_ALREADY = ("already indexed", "already exists")


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """Nodes and edges as their properties. Scalars are passed by a type lookup: a batch read of a
    million records holds twenty million of them."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, (Node, Edge)):
        return dict(value.properties)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    return value


class EmbeddedStore(Store):
    backend = "embedded"

    def __init__(
        self,
        data_dir: Path,
        *,
        graph_name: str = "c360",
        pool_size: int = 32,
        pool_timeout: float = 10.0,
        socket_timeout: float = 30.0,
        start_timeout: float = 30.0,
        query_timeout_ms: int = 30_000,
        watch_every: float = 0.5,
        keep_seconds: float = 0.0,
    ) -> None:
        """``keep_seconds`` > 0: a server this store has to start is left running under a keeper
        (app/store/store_keeper) for the next process, until it has had no client for that long."""
        super().__init__()
        self.server = EmbeddedServer(data_dir, start_timeout=start_timeout, keep_seconds=keep_seconds)
        self.graph_name = graph_name
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.socket_timeout = socket_timeout
        self.query_timeout_ms = query_timeout_ms
        self._pool: BlockingConnectionPool | None = None
        self._graph: Any = None
        self.watch_every = watch_every
        # Why the store cannot answer right now (its server died and is being restarted), else None.
        self.down: str | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._look_now = asyncio.Event()
        self._closing = False
        # The internal id GRAPH.BULK gives the next node, while a bulk load runs (else None).
        self._next_node: int | None = None

    @property
    def location(self) -> str:
        return str(self.server.socket_path)

    async def start(self) -> None:
        try:
            await asyncio.to_thread(self.server.ensure_running)
        except asyncio.CancelledError:
            self.server.abort()
            raise
        self._pool = BlockingConnectionPool(
            connection_class=UnixDomainSocketConnection,
            path=str(self.server.socket_path),
            max_connections=self.pool_size,
            timeout=self.pool_timeout,
            socket_timeout=self.socket_timeout,
            socket_connect_timeout=2.0,
            decode_responses=True,
        )
        self._graph = FalkorDB(connection_pool=self._pool).select_graph(self.graph_name)
        # Read-only queries refuse a graph key that does not exist yet; a write creates it.
        await self.write(HEALTH)
        self.server_agent = await self._module_version()
        self._closing = False
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = asyncio.create_task(self._supervise(), name="embedded store supervisor")
        log.info(
            "store backend=embedded graph=%s data_dir=%s socket=%s pool=%d",
            self.graph_name,
            self.server.data_dir,
            self.server.socket_path,
            self.pool_size,
        )

    async def _run(
        self, query: CypherQuery, text: str, params: dict[str, Any] | None, read_only: bool, timeout_ms: int | None
    ) -> list[Row]:
        if self._graph is None:
            raise StoreUnavailable("store is not started", query=query.name, backend=self.backend)
        if self.down is not None:
            raise StoreUnavailable(self.down, query=query.name, backend=self.backend)
        self.stats.count(query.name)
        timeout = timeout_ms if timeout_ms is not None else self.query_timeout_ms
        try:
            text = params_header(params) + text
        except ValueError as exc:
            raise StoreError(str(exc), query=query.name, backend=self.backend) from exc
        command: list[Any] = ["GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY", self.graph_name, text, "--compact"]
        if read_only:
            command += ["timeout", timeout]
        try:
            response = await self._graph.execute_command(*command)
            try:
                return rows_of(response)
            except NotPlain:
                pass
            result = QueryResult(self._graph)
            await result.parse(response)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            self._look_now.set()
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}", query=query.name, backend=self.backend) from exc
        except redis.exceptions.RedisError as exc:
            raise StoreError(str(exc), query=query.name, backend=self.backend) from exc
        names = [column[1] for column in result.header]
        return [dict(zip(names, (_plain(v) for v in row))) for row in result.result_set]

    async def _create_schema(self) -> None:
        for statement in SCHEMA.statements():
            try:
                await self._run(SCHEMA, statement, None, False, None)
            except StoreError as exc:
                if not any(marker in exc.backend_message for marker in _ALREADY):
                    raise
        for label, prop in (line.split() for line in UNIQUE_CONSTRAINTS.statements()):
            try:
                self.stats.count(UNIQUE_CONSTRAINTS.name)
                await self._graph.execute_command(
                    "GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE", label, "PROPERTIES", 1, prop
                )
            except redis.exceptions.ResponseError as exc:
                if not any(marker in str(exc) for marker in _ALREADY):
                    raise StoreError(str(exc), query=UNIQUE_CONSTRAINTS.name, backend=self.backend) from exc

    async def clear(self, batch: int = 20_000) -> int:
        """The graph dropped whole (GRAPH.DELETE) and set up anew, its schema and version stamp included:
        deleting a large graph node by node left FalkorDB 4.x reading freed properties of reused nodes
        later (a crash, signal 11, in GraphEntity_Properties)."""
        if self._graph is None:
            raise StoreUnavailable("store is not started", query="clear", backend=self.backend)
        deleted = sum(int(row["nodes"]) for row in await self.read(COUNT_NODES))
        try:
            self.stats.count("clear")
            await self._graph.delete()
        except redis.exceptions.ResponseError as exc:
            if "empty key" not in str(exc).lower() and "invalid graph" not in str(exc).lower():
                raise StoreError(str(exc), query="clear", backend=self.backend) from exc
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}", query="clear", backend=self.backend) from exc
        await self.setup_schema()
        return deleted

    async def begin_bulk_load(self) -> int | None:
        """The graph key is dropped and set up anew (schema, version stamp): a new key hands out node
        ids from zero with no freed ids to reuse, so the ids GRAPH.BULK gives are known in advance."""
        if not await self._holds_only_its_stamp():
            return None
        await self.clear()
        await self._mark_bulk_load_started()
        self._next_node = sum(int(row["nodes"]) for row in await self.read(COUNT_NODES))
        return self._next_node

    def bulk_encoder(self) -> Callable[[NodeBlock], bytes]:
        return node_section

    def row_encoder(self) -> Callable[[Any], Any]:
        return encoded_row

    async def create_in_bulk(self, nodes: list[NewNodes], edges: list[EdgeBlock]) -> None:
        if self._graph is None or self._next_node is None:
            raise StoreError("no bulk load has begun", query="bulk", backend=self.backend)
        arguments = bulk_arguments(nodes, edges)
        try:
            self.stats.count("bulk")
            await asyncio.to_thread(self._bulk_call, arguments)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            self._look_now.set()
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}", query="bulk", backend=self.backend) from exc
        except redis.exceptions.RedisError as exc:
            raise StoreError(str(exc), query="bulk", backend=self.backend) from exc
        await self._check_ids(nodes)
        self._next_node += arguments[0]

    def _bulk_call(self, arguments: list[Any]) -> None:
        """GRAPH.BULK from a thread, on a connection of its own: a call is up to a hundred megabytes,
        which the event loop would write a socket buffer at a time between the loader's other work
        (a customers' call of the 100,000-person demo: 2.8 s to its answer, 2.5 from a thread, whose
        writes wait for nothing but the store)."""
        with redis.Redis(
            unix_socket_path=str(self.server.socket_path),
            socket_timeout=self.socket_timeout,
            socket_connect_timeout=2.0,
            retry=Retry(NoBackoff(), 0),  # never sent twice: a second copy of a call would add its nodes again
        ) as client:
            client.execute_command("GRAPH.BULK", self.graph_name, *arguments)

    async def _check_ids(self, nodes: list[NewNodes]) -> None:
        """The first and last new node of the call hold the ids the loader expects at those internal
        ids: relationships were written between the right nodes (else the load stops, marked)."""
        expected: dict[int, Any] = {}
        first = self._next_node or 0
        for block in nodes:
            ids = block.ids if isinstance(block, EncodedNodes) else block.end_ids()
            if ids is not None:
                expected[first], expected[first + block.count - 1] = ids
            first += block.count
        if not expected:
            return
        found = {row["internal"]: row["id"] for row in await self.read(NODE_IDS, {"internal": list(expected)})}
        if found != expected:
            raise StoreError(
                f"bulk insert gave nodes other internal ids than expected: {expected} != {found}",
                query="bulk",
                backend=self.backend,
            )

    async def end_bulk_load(self) -> None:
        self._next_node = None
        await self._mark_bulk_load_done()

    async def compact(self, timeout: float = REWRITE_SECONDS) -> None:
        """Rewrite the append-only file as a snapshot. Redis rewrites on its own only past 64 MB and
        then when the file has doubled, so after a bulk load the tail of the file replays every
        statement at start-up: a 2,000-people demo took a minute to open again. A process that owns
        the server waits for the rewrite; one attached to a kept server (a CLI command) does not, since
        the graph is whole and answering already, and whoever stops the server waits for it
        (EmbeddedServer.stop): 5-8 s of `c360 load` on the 100,000-person demo."""
        if self._graph is None:
            raise StoreUnavailable("store is not started", query="compact", backend=self.backend)
        try:
            last = await self._graph.execute_command("INFO", "persistence")
            if last.get("aof_last_bgrewrite_status") not in (None, "ok"):
                log.warning("the last rewrite of the append-only file failed; see %s", self.server.log_path)
            try:
                await self._graph.execute_command("BGREWRITEAOF")
            except redis.exceptions.ResponseError as exc:
                if "in progress" not in str(exc):  # one already running is waited for like ours
                    raise
            if not self.server.owned:
                log.info("the append-only file is being rewritten in the background")
                return
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                info = await self._graph.execute_command("INFO", "persistence")
                if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                    if info.get("aof_last_bgrewrite_status") != "ok":
                        raise StoreError(
                            "rewriting the append-only file failed; see falkordb.log",
                            query="compact",
                            backend=self.backend,
                        )
                    return
                await asyncio.sleep(0.2)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}", query="compact", backend=self.backend) from exc
        except redis.exceptions.RedisError as exc:
            raise StoreError(str(exc), query="compact", backend=self.backend) from exc
        log.warning("the append-only file rewrite did not finish in %.0f s; it goes on in the background", timeout)

    async def hold_compaction(self, held: bool) -> None:
        """Redis rewrites the append-only file on its own each time the file doubles: a first load of
        the 100,000-person demo rewrote the growing graph seven times, 19 s of the server's time in a
        98 s ingest, on the core Python needed. Held, it is rewritten once, at the end (compact).
        Let go, the server's setting comes back (not whatever was read when held), so a load killed
        while it held leaves rewrites off only until the next load ends or the server restarts."""
        if self._graph is None:
            return
        percentage = "0" if held else str(AOF_REWRITE_PERCENTAGE)
        try:
            await self._graph.execute_command("CONFIG", "SET", "auto-aof-rewrite-percentage", percentage)
        except (redis.exceptions.RedisError, OSError) as exc:
            if held:
                raise StoreError(str(exc), query="hold_compaction", backend=self.backend) from exc
            log.warning("could not let the append-only file be rewritten again (%s): it will be at the next load", exc)

    async def _module_version(self) -> str:
        """``FalkorDB/4.16.3`` from the graph module's version number (41603)."""
        for module in await self._graph.execute_command("MODULE", "LIST"):
            if module.get("name") == "graph":
                number = int(module["ver"])
                return f"FalkorDB/{number // 10000}.{number // 100 % 100}.{number % 100}"
        return "FalkorDB"

    def _server_died(self) -> str | None:
        """How the server died, if it has: its exit status when we own it, silence on the socket
        when another process does."""
        status = self.server.exit_status()
        if status is not None:
            return f"signal {-status}" if status < 0 else f"exit status {status}"
        if not self.server.owned and not self.server.alive():
            return "no answer on its socket"
        return None

    async def _supervise(self) -> None:
        """Watch the server for as long as the store is open, and bring it back when it dies. Only
        this task restarts it, so concurrent requests cannot start two servers. It stops on a flag
        as well as on cancellation, which the Redis client can swallow mid-reconnect."""
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._look_now.wait(), self.watch_every)
            self._look_now.clear()
            how = None if self._closing else await asyncio.to_thread(self._server_died)
            if how is not None and not self._closing:
                await self._restart(how)

    async def _restart(self, how: str) -> None:
        self.down = f"embedded store server died ({how}); restarting it from its append-only file"
        log.error("%s", self.down)
        delay = 0.5
        while not self._closing:
            try:
                await asyncio.to_thread(self.server.recover)
                break
            except StoreStartError as exc:
                self.down = f"embedded store server died ({how}) and could not be restarted yet: {exc}"
                log.error("%s; trying again in %.0f s", self.down, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        if self._closing:
            return
        if self._pool is not None:
            await self._pool.disconnect()
        self.down = None
        log.warning("embedded store answering again (data from %s)", self.server.data_dir)

    async def health(self) -> Health:
        if self.down is not None:
            return Health(False, self.backend, self.down, self.location)
        if not self.server.alive():
            return Health(False, self.backend, "embedded store is not answering", self.location)
        try:
            await self.read(HEALTH, timeout_ms=2000)
        except StoreError as exc:
            return Health(False, self.backend, str(exc), self.location)
        return Health(True, self.backend, "ok", self.location, server=self.server_agent)

    async def _disconnect(self) -> None:
        if self._supervisor is not None:
            self._closing = True
            if self.down is not None:
                self.server.abort()
            self._look_now.set()
            self._supervisor.cancel()
            await asyncio.wait({self._supervisor}, timeout=self.server.start_timeout)
            self._supervisor = None
        if self._pool is not None:
            await self._pool.disconnect()
            self._pool = None
            self._graph = None
        await asyncio.to_thread(self.server.stop)
