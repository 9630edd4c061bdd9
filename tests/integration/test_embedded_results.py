"""The embedded store reads FalkorDB's result sets itself (app/store/falkordb_results.py) and leaves
what it cannot read (nodes, edges, temporal values: an analyst's `c360 cypher`) to the client: both
give the same Python values, on the real server."""

from __future__ import annotations

import pytest

from app.errors import StoreError
from app.store import CypherQuery
from app.store.embedded import EmbeddedStore

PLAIN = CypherQuery(
    "test/plain",
    "RETURN 'a' AS s, '张三' AS cjk, 7 AS i, -2.5 AS d, true AS t, false AS f, null AS n, "
    "[1, 'x', [null, 1.5], {k: 'v'}] AS l, {name: '李四', age: 40, tags: ['vip'], none: null} AS m, [] AS e",
)


async def test_scalars_lists_and_maps_come_back_as_python_values(embedded_store: EmbeddedStore) -> None:
    [row] = await embedded_store.read(PLAIN)
    assert row == {
        "s": "a",
        "cjk": "张三",
        "i": 7,
        "d": -2.5,
        "t": True,
        "f": False,
        "n": None,
        "l": [1, "x", [None, 1.5], {"k": "v"}],
        "m": {"name": "李四", "age": 40, "tags": ["vip"], "none": None},
        "e": [],
    }
    assert type(row["i"]) is int and type(row["d"]) is float and type(row["m"]) is dict


async def test_nodes_and_dates_are_read_by_the_client(embedded_store: EmbeddedStore) -> None:
    await embedded_store.write(CypherQuery("test/probe", "CREATE (:Probe {id: 'p1', x: 3})"))
    rows = await embedded_store.read(
        CypherQuery("test/node", "MATCH (p:Probe) RETURN p, p.x AS x, date('2026-12-03') AS day, ['a'] AS l")
    )
    assert [(r["p"], r["x"], str(r["day"]), r["l"]) for r in rows] == [({"id": "p1", "x": 3}, 3, "2026-12-03", ["a"])]


async def test_a_statement_without_rows_and_a_bad_one(embedded_store: EmbeddedStore) -> None:
    assert await embedded_store.write(CypherQuery("test/none", "CREATE (:Probe {id: 'p2'})")) == []
    with pytest.raises(StoreError):
        await embedded_store.read(CypherQuery("test/bad", "RETURN nosuchfunction(1) AS x"))
    with pytest.raises(StoreError):
        await embedded_store.read(CypherQuery("test/runtime", "UNWIND [1, 0] AS x RETURN 1 / x AS y"))
