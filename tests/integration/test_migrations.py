"""The graph's schema version and `c360 store migrate`, on both backends: a graph written by the
previous release (tests/data/graph_release_0_1_0.json, made by tests/data/dump_graph.py from that
release's code) is refused until migrated, migrates to the current version with its data unchanged,
and a second migrate does nothing; a fresh graph is stamped when its schema is set up; a graph of a
later release is refused; the CLI does the same as a real process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.errors import SchemaVersionError
from app.store import Store, cypher
from app.store.migrations import (
    CURRENT_VERSION,
    MIGRATIONS,
    RECORD_VERSION,
    VERSION,
    check_version,
    migrate,
    run_statements,
    schema_version,
    stamp_if_empty,
)
from app.store.queries import CypherQuery
from tests.conftest import cli_environment, cypher_of_tests

DATA = Path(__file__).resolve().parents[1] / "data"
PREVIOUS_RELEASE = DATA / "graph_release_0_1_0.json"
LOAD_GRAPH = cypher_of_tests("load_graph")
DROP_VERSION = cypher_of_tests("drop_schema_version")
ALL_NODES = cypher_of_tests("all_nodes")
ALL_RELATIONSHIPS = cypher_of_tests("all_relationships")
BATCHED = cypher_of_tests("batched_migration")

NODE_STATEMENT = re.compile(r"CREATE \(n:([\w:]+)\)")
RELATIONSHIP_STATEMENT = re.compile(
    r"MATCH \(a:(\w+) \{id: row\.from\}\) MATCH \(b:(\w+) \{id: row\.to\}\) "
    r"CREATE \(a\)-\[r:(\w+)\]->\(b\)"
)


def previous_release() -> dict[str, Any]:
    return json.loads(PREVIOUS_RELEASE.read_text(encoding="utf-8"))


def _node_key(labels: list[str]) -> str:
    return ":".join(sorted(labels))


async def load_previous_release(store: Store) -> dict[str, Any]:
    """The previous release's graph in an empty store, without a version node (as it wrote it)."""
    await store.write(DROP_VERSION)
    graph = previous_release()
    nodes: dict[str, list[dict[str, Any]]] = {}
    for node in graph["nodes"]:
        nodes.setdefault(_node_key(node["labels"]), []).append({"properties": node["properties"]})
    relationships: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rel in graph["relationships"]:
        key = (rel["from"][0], rel["to"][0], rel["type"])
        relationships.setdefault(key, []).append(
            {"from": rel["from"][1], "to": rel["to"][1], "properties": rel["properties"]}
        )
    loaded: set[Any] = set()
    for statement in LOAD_GRAPH.statements():
        node, rel = NODE_STATEMENT.search(statement), RELATIONSHIP_STATEMENT.search(statement)
        key: Any = rel.groups() if rel else node.group(1) if node else None
        assert key is not None, f"tests/load_graph: a statement the test cannot read: {statement}"
        rows = (relationships if rel else nodes).get(key, [])
        if rows:
            await store.write(CypherQuery(LOAD_GRAPH.name, statement), {"rows": rows})
            loaded.add(key)
    missing = (set(nodes) | set(relationships)) - loaded
    assert not missing, f"cypher/tests/load_graph.cypher has no statement for {sorted(map(str, missing))}"
    return graph


async def graph_contents(store: Store) -> tuple[list[str], list[str]]:
    """Every node and relationship but the version node, as sorted JSON lines (comparable with a dump)."""
    nodes = [
        json.dumps(
            {"labels": sorted(row["labels"]), "properties": row["properties"]}, sort_keys=True, ensure_ascii=False
        )
        for row in await store.read(ALL_NODES)
        if "SchemaVersion" not in row["labels"]
    ]
    rels = [
        json.dumps(
            {
                "type": row["type"],
                "from": [sorted(row["from_labels"])[0], row["from_id"]],
                "to": [sorted(row["to_labels"])[0], row["to_id"]],
                "properties": row["properties"],
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        for row in await store.read(ALL_RELATIONSHIPS)
    ]
    return sorted(nodes), sorted(rels)


def dumped_contents(graph: dict[str, Any]) -> tuple[list[str], list[str]]:
    return (
        sorted(json.dumps(n, sort_keys=True, ensure_ascii=False) for n in graph["nodes"]),
        sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in graph["relationships"]),
    )


def c360(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `c360` process attached to the same store (either backend)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=cli_environment(store),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_migrations_are_numbered_in_order_and_current_is_the_last() -> None:
    assert [m.number for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert CURRENT_VERSION == MIGRATIONS[-1].number >= 1
    assert MIGRATIONS[0].description.startswith("version the graph")


async def test_a_graph_of_the_previous_release_is_refused_then_migrated_with_its_data_unchanged(store: Store) -> None:
    graph = await load_previous_release(store)
    before = await graph_contents(store)
    assert before == dumped_contents(graph), "the fixture did not load as dumped"
    assert await schema_version(store) == 0
    with pytest.raises(SchemaVersionError) as refused:
        await check_version(store)
    assert str(refused.value) == (
        f"the graph is at schema version 0, this release needs {CURRENT_VERSION}: run `c360 store migrate`"
    )
    assert refused.value.code == "SCHEMA_VERSION_MISMATCH"
    assert (refused.value.found, refused.value.needed) == (0, CURRENT_VERSION)
    # Setting the schema up does not stamp a graph that holds data: only migrate may.
    await store.setup_schema()
    assert not await stamp_if_empty(store)
    assert await schema_version(store) == 0

    assert await migrate(store, dry_run=True) == list(MIGRATIONS)
    assert await schema_version(store) == 0, "a dry run wrote"
    applied: list[int] = []
    assert await migrate(store, on_applied=lambda m: applied.append(m.number)) == list(MIGRATIONS)
    assert applied == [m.number for m in MIGRATIONS]
    assert await schema_version(store) == CURRENT_VERSION
    assert await check_version(store) == CURRENT_VERSION
    version = (await store.read(VERSION))[0]
    assert version["migrated_at"]
    assert await migrate(store) == []
    assert (await store.read(VERSION))[0] == version, "a second migrate wrote again"

    # The data reads back exactly as the previous release wrote it: nodes, properties, relationships.
    assert await graph_contents(store) == before
    counts = {row["label"]: row["nodes"] for row in await store.read(cypher("admin/count_nodes"))}
    assert counts == {**Counter(n["labels"][0] for n in graph["nodes"]), "SchemaVersion": 1}
    customer = next(
        n["properties"] for n in graph["nodes"] if n["labels"] == ["Customer"] and n["properties"]["status"] == "active"
    )
    stored = [
        row["properties"]
        for row in await store.read(ALL_NODES)
        if row["labels"] == ["Customer"] and row["properties"]["id"] == customer["id"]
    ]
    assert stored == [customer]


async def test_a_migration_stopped_before_its_version_was_recorded_runs_again(store: Store) -> None:
    """Migration 1's statement committed, the version was never recorded (the process was killed):
    the graph still reads as 0 and the next migrate runs migration 1 again, once."""
    await load_previous_release(store)
    first = MIGRATIONS[0].query(store.backend)
    await store.write(first, {"at": "2026-12-02T10:00:00.000+00:00", "version": 1, "batch": 20_000})
    assert await schema_version(store) == 0
    assert [m.number for m in await migrate(store)] == [m.number for m in MIGRATIONS]
    assert await schema_version(store) == CURRENT_VERSION
    assert [row["labels"] for row in await store.read(ALL_NODES)].count(["SchemaVersion"]) == 1


async def test_a_batched_statement_runs_until_it_changes_fewer_than_a_batch(store: Store) -> None:
    """The loop migrations that touch many nodes rely on: 5 nodes in batches of 2 take 3 transactions."""
    await load_previous_release(store)
    channels = sum(1 for n in previous_release()["nodes"] if n["labels"] == ["Channel"])
    before = store.stats.by_query.get(BATCHED.name, 0)
    await run_statements(store, BATCHED, version=7, batch=2)
    assert store.stats.by_query[BATCHED.name] - before == channels // 2 + 1
    marked = [row["properties"].get("migrated") for row in await store.read(ALL_NODES) if row["labels"] == ["Channel"]]
    assert marked == [7] * channels


async def test_a_fresh_graph_is_stamped_when_its_schema_is_set_up(store: Store) -> None:
    await store.write(DROP_VERSION)
    assert await store.read(VERSION) == []
    assert await schema_version(store) == CURRENT_VERSION, "an empty graph has nothing to migrate"
    await store.setup_schema()
    assert (await store.read(VERSION))[0]["version"] == CURRENT_VERSION
    await store.setup_schema()
    assert len(await store.read(VERSION)) == 1
    assert await migrate(store) == []
    # `c360 store reset` (Store.clear) leaves a fresh, stamped graph too.
    await store.clear()
    assert (await store.read(VERSION))[0]["version"] == CURRENT_VERSION
    await check_version(store)


async def test_a_graph_of_a_later_release_is_refused(store: Store) -> None:
    later = CURRENT_VERSION + 1
    await store.write(RECORD_VERSION, {"version": later, "at": "2027-01-01T00:00:00.000+00:00"})
    assert await schema_version(store) == later
    with pytest.raises(SchemaVersionError, match=f"schema version {later}, written by a later release") as refused:
        await check_version(store)
    assert (refused.value.found, refused.value.needed) == (later, CURRENT_VERSION)
    with pytest.raises(SchemaVersionError):
        await migrate(store)
    with pytest.raises(SchemaVersionError):
        await migrate(store, dry_run=True)
    assert await schema_version(store) == later
    done = c360(store, "store", "migrate")
    assert done.returncode == 1 and "written by a later release" in done.stderr, done.stderr
    refused_cli = c360(store, "cypher", "--name", "admin/count_active_customers", "--format", "json")
    assert refused_cli.returncode == 1 and "written by a later release" in refused_cli.stderr


async def test_cli_refuses_an_unmigrated_graph_and_store_migrate_brings_it_to_the_current_version(store: Store) -> None:
    graph = await load_previous_release(store)
    active = sum(1 for n in graph["nodes"] if n["labels"] == ["Customer"] and n["properties"]["status"] == "active")

    refused = c360(store, "cypher", "--name", "admin/count_active_customers", "--format", "json")
    assert refused.returncode == 1
    assert (
        f"the graph is at schema version 0, this release needs {CURRENT_VERSION}: run `c360 store migrate`"
        in refused.stderr
    ), refused.stderr
    health = c360(store, "store", "health")
    assert health.returncode == 0 and f"schema_version=0 release_needs={CURRENT_VERSION}" in health.stdout

    dry = c360(store, "store", "migrate", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert [line for line in dry.stdout.splitlines() if line.startswith("would apply")] == [
        f"would apply {m}" for m in MIGRATIONS
    ]
    assert f"the graph is at schema version 0, this release needs {CURRENT_VERSION}" in dry.stdout
    assert await schema_version(store) == 0

    done = c360(store, "store", "migrate")
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("applied")] == [
        f"applied {m}" for m in MIGRATIONS
    ]
    assert done.stdout.splitlines()[-1] == f"the graph is at schema version {CURRENT_VERSION}"
    assert await schema_version(store) == CURRENT_VERSION

    again = c360(store, "store", "migrate")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"nothing to migrate: the graph is at schema version {CURRENT_VERSION}"

    served = c360(store, "cypher", "--name", "admin/count_active_customers", "--format", "json")
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout) == [{"n": active}]
    health = c360(store, "store", "health")
    assert f"schema_version={CURRENT_VERSION} release_needs={CURRENT_VERSION}" in health.stdout
    assert "migrate" not in health.stdout


async def test_cli_store_schema_stamps_an_empty_graph(store: Store) -> None:
    await store.write(DROP_VERSION)
    done = c360(store, "store", "schema")
    assert done.returncode == 0, done.stderr
    assert (await store.read(VERSION))[0]["version"] == CURRENT_VERSION


async def test_the_api_refuses_to_start_on_a_graph_of_the_previous_release(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Served as it is, an old graph would answer wrongly: the API's start-up names the way out."""
    from app.api.app import create_app
    from app.settings import Settings

    await load_previous_release(store)
    for name, value in cli_environment(store).items():
        if name.startswith(("C360_", "NEO4J_")):
            monkeypatch.setenv(name, value)
    api = create_app(settings=Settings())
    with pytest.raises(SchemaVersionError, match="run `c360 store migrate`"):
        async with api.router.lifespan_context(api):
            pass
    await migrate(store)
    async with api.router.lifespan_context(api):
        await check_version(store)
