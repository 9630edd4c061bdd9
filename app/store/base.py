"""The store interface: one small async surface that both graph backends implement.

Everything that reads or writes the graph goes through it, by query name, so that
the backend can be swapped (embedded FalkorDB for development and tests, Neo4j in
production) without touching domain code.
"""

from __future__ import annotations

import json
import os
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import clock
from app.errors import InterruptedLoad, StoreError
from app.store.queries import CypherQuery, cypher

Row = dict[str, Any]
# Neo4j deletes in batches; the embedded store drops its graph whole (EmbeddedStore.clear).
CLEAR_GRAPH = cypher("admin/clear_graph.neo4j")
BULK_LOAD_INTERRUPTED = cypher("admin/bulk_load_interrupted")
BULK_LOAD_STARTED = cypher("admin/bulk_load_started")
BULK_LOAD_DONE = cypher("admin/bulk_load_done")
COUNT_NODES = cypher("admin/count_nodes")


@dataclass(slots=True)
class Health:
    ok: bool
    backend: str
    detail: str
    location: str
    # The server's product and version, such as "Neo4j/5.26.18" or "FalkorDB/4.16.2".
    server: str = ""


@dataclass(slots=True)
class NodeBlock:
    """New nodes of one label for a store's bulk path: each row holds the values of ``properties`` in
    order, or maps them by name (None or absent: left unset); every node also gets ``constants``.
    The store gives the nodes consecutive internal ids, block after block."""

    label: str
    properties: list[str]
    rows: list[list[Any]] | list[dict[str, Any]] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_maps(cls, label: str, maps: list[dict[str, Any]], constants: dict[str, Any] | None = None) -> NodeBlock:
        """Nodes given as maps, their properties every name any of them has."""
        names: dict[str, Any] = {}
        for m in maps:
            names.update(m)
        return cls(label, list(names), maps, constants or {})

    @property
    def count(self) -> int:
        return len(self.rows)

    def end_ids(self) -> tuple[Any, Any] | None:
        """The id property of the block's first and last node, which a store checks after its call;
        None for a block without ids (or without nodes)."""
        if not self.rows or "id" not in self.properties:
            return None
        at = self.properties.index("id")
        first, last = (row.get("id") if isinstance(row, dict) else row[at] for row in (self.rows[0], self.rows[-1]))
        return first, last


@dataclass(slots=True)
class EncodedNodes:
    """A :class:`NodeBlock` already in the store's own bulk encoding (Store.bulk_encoder), made in the
    process that checked its rows, so the loading process only passes it on. ``ids``: the id property
    of its first and last node, which the store checks after the call."""

    label: str
    count: int
    section: bytes
    ids: tuple[Any, Any]


NewNodes = NodeBlock | EncodedNodes


def encoded_ahead(block: NewNodes, encode: Callable[[NodeBlock], bytes]) -> NewNodes:
    """A block in the store's bulk encoding, made before its call (while the store still works on the
    call before it) rather than in it; a block without ids to check after the call stays as it is."""
    if isinstance(block, EncodedNodes) or (ids := block.end_ids()) is None:
        return block
    return EncodedNodes(block.label, block.count, encode(block), ids)


@dataclass(slots=True)
class EdgeBlock:
    """New relationships of one type for a store's bulk path, as pairs of internal node ids; with
    ``properties``, ``values`` holds each pair's values of them in order (None: left unset)."""

    type: str
    pairs: list[tuple[int, int]] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)


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
    # Its driver leaves a reference cycle per statement, so bulk work keeps young collections on.
    leaves_reference_cycles: bool = False

    def __init__(self) -> None:
        self.stats = StoreStats()
        self.server_agent = ""
        self.counts_dir: Path | None = None
        # How many compaction_deferred blocks are open (the outermost holds and compacts).
        self._compaction_held = 0
        # Names the bulk load this process began on the graph (its mark on the version node).
        self._bulk_token = ""

    @abstractmethod
    async def start(self) -> None:
        """Connect (and for the embedded backend, start the server if none runs)."""

    async def setup_schema(self) -> None:
        """Create indexes and uniqueness guarantees (safe to run again), then stamp an empty graph with
        this release's schema version (app/store/migrations.py): a fresh install needs no migration."""
        from app.store.migrations import stamp_if_empty

        await self._create_schema()
        await stamp_if_empty(self)

    @abstractmethod
    async def _create_schema(self) -> None:
        """The backend's indexes and constraints."""

    async def read(
        self, query: CypherQuery, params: dict[str, Any] | None = None, *, timeout_ms: int | None = None
    ) -> list[Row]:
        """Run a query that must not write; a query that writes is refused by the backend."""
        return await self._run(query, query.text, params, True, timeout_ms)

    async def write(
        self, query: CypherQuery, params: dict[str, Any] | None = None, *, timeout_ms: int | None = None
    ) -> list[Row]:
        """Run one statement atomically (both backends commit or roll back a statement whole)."""
        return await self._run(query, query.text, params, False, timeout_ms)

    @abstractmethod
    async def _run(
        self, query: CypherQuery, text: str, params: dict[str, Any] | None, read_only: bool, timeout_ms: int | None
    ) -> list[Row]:
        """One statement of ``query`` (``text`` is one of a schema file's statements, or the whole)."""

    async def clear(self, batch: int = 20_000) -> int:
        """Delete every node and relationship (indexes and constraints stay), a batch a transaction.
        The empty graph is then a fresh install of this release: stamped with its schema version."""
        from app.store.migrations import stamp_if_empty

        deleted = 0
        while True:
            done = (await self.write(CLEAR_GRAPH, {"batch": batch}))[0]["deleted"]
            deleted += done
            if done < batch:
                await stamp_if_empty(self)
                return deleted

    async def begin_bulk_load(self) -> int | None:
        """Make the store ready for :meth:`create_in_bulk` and return the internal id its next new node
        gets, or None when the backend has no bulk path or the graph holds more than its version stamp
        (a bulk load only ever fills an empty graph). The graph is marked as being loaded until
        :meth:`end_bulk_load`, so an interrupted load is not mistaken for a finished one."""
        return None

    async def _holds_only_its_stamp(self) -> bool:
        labels = {row["label"] for row in await self.read(COUNT_NODES)}
        return not labels - {"SchemaVersion"}

    async def _mark_bulk_load_started(self) -> None:
        self._bulk_token = secrets.token_hex(8)
        if not await self.write(BULK_LOAD_STARTED, {"at": clock.now_iso(), "token": self._bulk_token}):
            raise StoreError(
                "another first load began on this graph (or it has no version node to mark the load on)",
                query="bulk",
                backend=self.backend,
            )

    async def _mark_bulk_load_done(self) -> None:
        if not await self.write(BULK_LOAD_DONE, {"token": self._bulk_token}):
            raise StoreError(
                "the graph was cleared or loaded by another process during this bulk load",
                query="bulk",
                backend=self.backend,
            )

    async def refuse_interrupted_bulk_load(self) -> None:
        """Raise :class:`InterruptedLoad` when a bulk load began on this graph and never ended."""
        rows = await self.read(BULK_LOAD_INTERRUPTED)
        if rows:
            raise InterruptedLoad(
                f"a first load begun at {rows[0]['started_at']} was interrupted and left part of its files "
                "in the graph: empty it with `c360 store reset --yes` and run the load again",
                backend=self.backend,
            )

    def bulk_encoder(self) -> Callable[[NodeBlock], bytes] | None:
        """The function that puts a block of new nodes in this store's bulk encoding, when the store
        takes blocks encoded elsewhere (:class:`EncodedNodes`): a module's function, so another process
        can be given it."""
        return None

    def row_encoder(self) -> Callable[[Any], Any] | None:
        """The function that writes a row of a batch statement's parameters in this store's own form
        ahead of the statement, where the row is made; what it returns goes into the statement's
        parameters in place of the row. None where the driver encodes parameters itself."""
        return None

    async def create_in_bulk(self, nodes: list[NewNodes], edges: list[EdgeBlock]) -> None:
        """Create the nodes (internal ids consecutive, in block and row order) and relationships."""
        raise NotImplementedError(f"the {self.backend} store has no bulk path")

    async def end_bulk_load(self) -> None:
        """The bulk load is whole: clear the mark :meth:`begin_bulk_load` set."""
        raise NotImplementedError(f"the {self.backend} store has no bulk path")

    async def compact(self) -> None:  # noqa: B027 (a no-op unless a backend has something to do)
        """After a bulk load: make the store's files quick to start from. Only the embedded
        backend has anything to do (Neo4j keeps its own store files)."""

    async def hold_compaction(self, held: bool) -> None:  # noqa: B027 (as compact)
        """Stop (or let again) the store compacting its files on its own while writes go on."""

    @asynccontextmanager
    async def compaction_deferred(self) -> AsyncIterator[None]:
        """Writes in bulk (a load, a batch run, a recompute) with the store's own compaction held
        back, and :meth:`compact` once when the outermost of them ends well."""
        outermost = not self._compaction_held
        if outermost:
            await self.hold_compaction(True)
        self._compaction_held += 1
        try:
            yield
        finally:
            self._compaction_held -= 1
            if outermost:
                await self.hold_compaction(False)
        if outermost:
            await self.compact()

    @abstractmethod
    async def health(self) -> Health: ...

    async def close(self) -> None:
        """Disconnect, and stop the embedded server if this process started it."""
        await self._disconnect()
        if self.counts_dir is not None:
            self._write_counts(self.counts_dir)

    @abstractmethod
    async def _disconnect(self) -> None: ...

    def _write_counts(self, folder: Path) -> None:
        """The queries this process ran, by name, for whoever asked (C360_QUERY_COUNTS_DIR): the test
        suite checks with it that every Cypher file ran on the backends that must run it."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.backend}-{os.getpid()}-{id(self)}.json"
        path.write_text(json.dumps({"backend": self.backend, "queries": self.stats.by_query}), encoding="utf-8")

    async def __aenter__(self) -> Store:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
