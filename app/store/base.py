"""The store interface: one small async surface that both graph backends implement.

Everything that reads or writes the graph goes through it, by query name, so that
the backend can be swapped (embedded FalkorDB for development and tests, Neo4j in
production) without touching domain code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from app.store.queries import CypherQuery

Row = dict[str, Any]


@dataclass(slots=True)
class Health:
    ok: bool
    backend: str
    detail: str
    location: str
    # The server's product and version, such as "Neo4j/5.26.18" or "FalkorDB/4.16.2".
    server: str = ""


@dataclass(slots=True)
class StoreStats:
    """Round trips per query name; the API's batching test reads this."""

    round_trips: int = 0
    by_query: dict[str, int] = field(default_factory=dict)

    def count(self, name: str) -> None:
        self.round_trips += 1
        self.by_query[name] = self.by_query.get(name, 0) + 1


class Store(ABC):
    backend: str

    def __init__(self) -> None:
        self.stats = StoreStats()
        self.server_agent = ""

    @abstractmethod
    async def start(self) -> None:
        """Connect (and for the embedded backend, start the server if none runs)."""

    @abstractmethod
    async def setup_schema(self) -> None:
        """Create indexes and uniqueness guarantees; safe to run again."""

    @abstractmethod
    async def read(self, query: CypherQuery, params: dict[str, Any] | None = None, *,
                   timeout_ms: int | None = None) -> list[Row]:
        """Run a query that must not write; a query that writes is refused by the backend."""

    @abstractmethod
    async def write(self, query: CypherQuery, params: dict[str, Any] | None = None, *,
                    timeout_ms: int | None = None) -> list[Row]:
        """Run one statement atomically (both backends commit or roll back a statement whole)."""

    async def compact(self) -> None:
        """After a bulk load: make the store's files quick to start from. Only the embedded
        backend has anything to do (Neo4j keeps its own store files)."""

    @abstractmethod
    async def health(self) -> Health: ...

    @abstractmethod
    async def close(self) -> None:
        """Disconnect, and stop the embedded server if this process started it."""

    async def __aenter__(self) -> "Store":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
