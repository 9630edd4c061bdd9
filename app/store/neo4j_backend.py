"""Neo4j backend: the official async driver, managed transactions (the driver retries transient
write failures), read transactions for reads so that a writing query is refused."""

from __future__ import annotations

import logging
from typing import Any

import neo4j
from neo4j import AsyncGraphDatabase
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired, DriverError

from app.errors import StoreError, StoreUnavailable
from app.store.base import Health, Row, Store
from app.store.queries import CypherQuery, cypher

log = logging.getLogger(__name__)

SCHEMA = cypher("schema/neo4j")
HEALTH = cypher("store/health")


def _plain(value: Any) -> Any:
    if isinstance(value, (neo4j.graph.Node, neo4j.graph.Relationship)):
        return dict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Neo4jStore(Store):
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j", *,
                 pool_size: int = 32, query_timeout_ms: int = 30_000) -> None:
        super().__init__()
        self.uri = uri
        self.database = database
        self.query_timeout_ms = query_timeout_ms
        self._driver = AsyncGraphDatabase.driver(uri, auth=(user, password), max_connection_pool_size=pool_size)

    @property
    def location(self) -> str:
        return f"{self.uri} database={self.database}"

    async def start(self) -> None:
        try:
            await self._driver.verify_connectivity()
        except (Neo4jError, DriverError, OSError) as exc:
            raise StoreUnavailable(f"cannot reach Neo4j at {self.uri}: {exc}", backend=self.backend) from exc
        log.info("store backend=neo4j uri=%s database=%s", self.uri, self.database)

    async def _run(self, query: CypherQuery, text: str, params: dict[str, Any] | None,
                   read_only: bool, timeout_ms: int | None) -> list[Row]:
        self.stats.count(query.name)
        timeout = (timeout_ms if timeout_ms is not None else self.query_timeout_ms) / 1000

        async def work(tx: neo4j.AsyncManagedTransaction) -> list[Row]:
            result = await tx.run(neo4j.Query(text, timeout=timeout), params or {})
            return [{k: _plain(v) for k, v in record.items()} async for record in result]

        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        try:
            async with self._driver.session(database=self.database, default_access_mode=mode) as session:
                if read_only:
                    return await session.execute_read(work)
                return await session.execute_write(work)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreUnavailable(str(exc), query=query.name, backend=self.backend) from exc
        except (Neo4jError, DriverError) as exc:
            raise StoreError(str(exc), query=query.name, backend=self.backend) from exc

    async def read(self, query: CypherQuery, params: dict[str, Any] | None = None, *,
                   timeout_ms: int | None = None) -> list[Row]:
        return await self._run(query, query.text, params, True, timeout_ms)

    async def write(self, query: CypherQuery, params: dict[str, Any] | None = None, *,
                    timeout_ms: int | None = None) -> list[Row]:
        return await self._run(query, query.text, params, False, timeout_ms)

    async def setup_schema(self) -> None:
        for statement in SCHEMA.statements():
            await self._run(SCHEMA, statement, None, False, None)

    async def health(self) -> Health:
        try:
            await self.read(HEALTH, timeout_ms=2000)
        except StoreError as exc:
            return Health(False, self.backend, str(exc), self.location)
        return Health(True, self.backend, "ok", self.location)

    async def close(self) -> None:
        await self._driver.close()
