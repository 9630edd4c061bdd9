"""The crosswalk: for every customer source record, the customer it belongs to now. Source systems
load it back to learn the customer id of their own records."""

from __future__ import annotations

from collections.abc import AsyncIterator

from app.services.resolve import renumber_shard_zero
from app.store import Store, cypher
from app.store.shards import SHARD_NUMBERS

CROSSWALK = cypher("export/crosswalk")
COLUMNS = ("source", "source_id", "customer_id")


async def crosswalk_rows(store: Store) -> AsyncIterator[tuple[str, str, str]]:
    """(source, source id, customer id or "" before resolution), shard by shard, so a million
    records stream without one large read."""
    await renumber_shard_zero(store)
    for shard in SHARD_NUMBERS:
        for row in await store.read(CROSSWALK, {"shard": shard}):
            yield row["source"], row["source_id"], row["customer_id"] or ""
