"""What the graph holds, counted: for `c360 store stats` and for deciding whether it is empty."""

from __future__ import annotations

from app.store import Store, cypher

COUNT_NODES = cypher("admin/count_nodes")
COUNT_SOURCE_RECORDS = cypher("admin/count_source_records")


async def node_counts(store: Store) -> list[tuple[str, int]]:
    """Nodes per label."""
    return [(str(row["label"]), int(row["nodes"])) for row in await store.read(COUNT_NODES)]


async def source_record_count(store: Store) -> int:
    rows = await store.read(COUNT_SOURCE_RECORDS)
    return int(rows[0]["n"]) if rows else 0
