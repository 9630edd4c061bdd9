"""The store contract: every operation of the interface, on every available backend.

Operations covered: start, setup_schema (twice), write, read, read refusing a write,
errors naming the query, per-query timeout, health, a burst of concurrent queries
larger than the pool, atomic single-statement writes, close.
"""

from __future__ import annotations

import asyncio
import gc

import pytest

from app.errors import StoreError
from app.store import Store, cypher

PUT = cypher("contract/put_probe")
GET = cypher("contract/get_probe")
BAD = cypher("contract/bad_syntax")


async def test_write_then_read_round_trips_values(store: Store) -> None:
    rows = [
        {"id": "p1", "value": 1, "tags": ["a", "b"]},
        {"id": "p2", "value": 2.5, "tags": []},
        {"id": "p3", "value": "张三", "tags": ["x"]},
    ]
    written = await store.write(PUT, {"rows": rows})
    assert written == [{"written": 3}]
    got = await store.read(GET, {"ids": ["p1", "p2", "p3", "missing"]})
    assert [r["id"] for r in got] == ["p1", "p2", "p3"]
    assert got[0]["tags"] == ["a", "b"] and got[1]["value"] == 2.5 and got[2]["value"] == "张三"
    assert got[0]["props"] == {"id": "p1", "value": 1, "tags": ["a", "b"]}


async def test_write_is_idempotent_merge(store: Store) -> None:
    for _ in range(2):
        await store.write(PUT, {"rows": [{"id": "same", "value": 7, "tags": []}]})
    assert len(await store.read(GET, {"ids": ["same"]})) == 1


async def test_read_refuses_a_writing_query(store: Store) -> None:
    with pytest.raises(StoreError) as info:
        await store.read(PUT, {"rows": [{"id": "nope", "value": 0, "tags": []}]})
    assert info.value.query == "contract/put_probe"
    assert await store.read(GET, {"ids": ["nope"]}) == []


async def test_errors_carry_query_name_and_backend_message(store: Store) -> None:
    with pytest.raises(StoreError) as info:
        await store.read(BAD)
    err = info.value
    assert err.query == "contract/bad_syntax"
    assert err.backend == store.backend
    assert err.backend_message and "contract/bad_syntax" in str(err)


async def test_setup_schema_is_repeatable(store: Store) -> None:
    await store.setup_schema()
    await store.setup_schema()
    assert (await store.health()).ok


async def test_health_reports_backend(store: Store) -> None:
    health = await store.health()
    assert health.ok and health.backend == store.backend and health.detail == "ok"


async def test_burst_of_concurrent_queries_beyond_pool_size(store: Store) -> None:
    """More queries at once than the pool holds must queue, not fail (MaxConnectionsError)."""
    await store.write(PUT, {"rows": [{"id": f"b{i}", "value": i, "tags": []} for i in range(50)]})
    ids = [f"b{i}" for i in range(50)]
    results = await asyncio.gather(*(store.read(GET, {"ids": [i]}) for i in ids * 6))
    assert [r[0]["value"] for r in results] == list(range(50)) * 6


async def test_failed_statement_writes_nothing(store: Store) -> None:
    """One statement is atomic: a failure part-way leaves no partial writes behind."""
    bad_rows = [
        {"id": "ok1", "value": 1, "tags": []},
        {"id": "ok2", "value": 2, "tags": []},
        {"id": "boom", "value": {"nested": "map"}, "tags": []},
    ]
    with pytest.raises(StoreError):
        await store.write(PUT, {"rows": bad_rows})
    assert await store.read(GET, {"ids": ["ok1", "ok2", "boom"]}) == []


async def test_stats_count_round_trips(store: Store) -> None:
    before = store.stats.round_trips
    await store.read(GET, {"ids": []})
    await store.read(GET, {"ids": []})
    assert store.stats.round_trips - before == 2
    assert store.stats.by_query["contract/get_probe"] >= 2


async def test_the_store_says_truly_whether_its_statements_leave_reference_cycles(store: Store) -> None:
    """Bulk work keeps young collections on only for a store that declares cycles (app/cyclic_gc.py);
    a driver that starts or stops leaving them must change the declaration, or a load's memory grows
    by every statement's parameters (Neo4j: 1.5 GB to 5 GB on the 100,000-person demo)."""
    rows = [{"id": f"c{i}", "value": i, "tags": ["a"]} for i in range(50)]
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            await store.write(PUT, {"rows": rows})
            await store.read(GET, {"ids": ["c1"]})
        unreachable = gc.collect()
    finally:
        gc.enable()
    # Neo4j leaves about 85 objects a statement; a store that leaves none may still show a few of asyncio's.
    assert (unreachable >= 400) == store.leaves_reference_cycles, unreachable
