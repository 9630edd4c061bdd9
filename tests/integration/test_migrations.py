"""The graph's schema version and `c360 store migrate`, on both backends: a graph written by the
previous release (tests/data/graph_release_0_1_0.json, made by tests/data/dump_graph.py from that
release's code) is refused until migrated, migrates to the current version with its data unchanged
but for its times, which migration 2 puts in one UTC form, and a second migrate does nothing; a
fresh graph is stamped when its schema is set up; a graph of a later release is refused; the CLI
does the same as a real process."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.errors import SchemaVersionError
from app.services.customer_view import ContactPage, read_contacts
from app.store import Store, cypher
from app.store.migrations import (
    CURRENT_VERSION,
    MIGRATIONS,
    RECORD_VERSION,
    UTC_TIMES,
    VERSION,
    check_version,
    migrate,
    run_statements,
    schema_version,
    stamp_if_empty,
    utc_times,
)
from app.store.queries import CypherQuery
from tests.conftest import api_client, c360, cli_environment, cypher_of_tests
from tests.integration.test_steward_api import gql

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


# An ISO-8601 time with its offset, as releases before migration 2 stored them (+08:00 from files,
# +00:00 from the clock); dates, months and JSON texts do not match.
OFFSET_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


def previous_release() -> dict[str, Any]:
    return json.loads(PREVIOUS_RELEASE.read_text(encoding="utf-8"))


def in_utc(value: Any) -> Any:
    """Migration 2's oracle, written apart from app.clock: a time with an offset becomes UTC with
    milliseconds and Z; anything else stays."""
    if not isinstance(value, str) or not OFFSET_TIME.match(value):
        return value
    moment = datetime.fromisoformat(value).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def times_in_utc(graph: dict[str, Any]) -> dict[str, Any]:
    """The graph as migration 2 must leave it: every time property of every node and relationship in UTC."""
    converted = copy.deepcopy(graph)
    for item in converted["nodes"] + converted["relationships"]:
        item["properties"] = {k: in_utc(v) for k, v in item["properties"].items()}
    return converted


def times_of(graph: dict[str, Any]) -> Counter[str]:
    """How many time properties (with an offset) each label's nodes and each type's relationships hold."""
    found: Counter[str] = Counter()
    for node in graph["nodes"]:
        found.update(f"{node['labels'][0]}.{k}" for k, v in node["properties"].items() if in_utc(v) != v)
    for rel in graph["relationships"]:
        found.update(f"{rel['type']}.{k}" for k, v in rel["properties"].items() if in_utc(v) != v)
    return found


def _node_key(labels: list[str]) -> str:
    return ":".join(sorted(labels))


async def load_previous_release(store: Store, graph: dict[str, Any] | None = None) -> dict[str, Any]:
    """The previous release's graph (or ``graph``, a changed copy of it) in an empty store, without a
    version node (as it wrote it)."""
    await store.write(DROP_VERSION)
    graph = graph or previous_release()
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


def test_the_migrations_are_numbered_in_order_and_current_is_the_last() -> None:
    assert [m.number for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert CURRENT_VERSION == MIGRATIONS[-1].number >= 1
    assert MIGRATIONS[0].description.startswith("version the graph")


async def test_a_graph_of_the_previous_release_is_refused_then_migrated_with_its_data_unchanged_but_its_times(
    store: Store,
) -> None:
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

    # The data reads back as the previous release wrote it (nodes, properties, relationships), but
    # for its times, each the same instant in the one UTC form.
    assert await graph_contents(store) == dumped_contents(times_in_utc(graph))
    assert {"Contact.at", "SourceRecord.at", "Customer.created_at", "MergeEvent.at", "RECORD_OF.at"} <= set(
        times_of(graph)
    ), "the fixture holds fewer kinds of time than this test means to migrate"
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
    assert stored == [{k: in_utc(v) for k, v in customer.items()}]
    assert stored[0]["created_at"].endswith("Z") and stored[0]["created_at"] != customer["created_at"]


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


def mixed_offsets(graph: dict[str, Any]) -> dict[str, Any]:
    """The previous release's graph with times the dump lacks: a contact and its record in UTC
    (+00:00, as the clock wrote them) and one in -05:00 with microseconds, an undone merge, locks,
    a steward's decision."""
    changed = copy.deepcopy(graph)
    nodes = {(n["labels"][0], n["properties"]["id"]): n["properties"] for n in changed["nodes"]}
    for label in ("Contact", "SourceRecord"):
        nodes[(label, "am_app:contacts:AC00000002")]["at"] = "2026-10-27T19:45:00+00:00"
        nodes[(label, "web:contacts:WC00000001")]["at"] = "2026-08-18T04:15:00.123456-05:00"
    event = next(n["properties"] for n in changed["nodes"] if n["labels"] == ["MergeEvent"])
    event.update(undone_at="2026-12-01T18:00:00.000+08:00", lock="2026-12-01T10:00:00.000+00:00")
    candidate = next(n["properties"] for n in changed["nodes"] if n["labels"] == ["MatchCandidate"])
    candidate["lock"] = "2026-12-01T10:00:00.000+00:00"
    changed["nodes"].append(
        {
            "labels": ["StewardDecision"],
            "properties": {
                "id": "SD-offsets",
                "kind": "cannot",
                "status": "undone",
                "decided_at": "2026-12-01T18:00:00.000+08:00",
                "ended_at": "2026-12-01T10:30:00.000+00:00",
            },
        }
    )
    return changed


async def test_migration_2_turns_every_time_of_every_offset_into_one_utc_form_in_batches(store: Store) -> None:
    """A graph at version 1 (its SchemaVersion node stamped by the clock in +00:00): migration 2 alone
    runs, in batches of 2, and leaves every time an instant; run again it finds nothing to do."""
    graph = mixed_offsets(previous_release())
    await load_previous_release(store, graph)
    old_clock = "2026-12-02T10:00:00.000+00:00"
    await store.write(MIGRATIONS[0].query(store.backend), {"at": old_clock, "version": 1, "batch": 20_000})
    await store.write(RECORD_VERSION, {"version": 1, "at": old_clock})
    assert await schema_version(store) == 1
    assert {
        "MergeEvent.undone_at",
        "MergeEvent.lock",
        "MatchCandidate.lock",
        "MatchCandidate.decided_at",
        "StewardDecision.decided_at",
        "StewardDecision.ended_at",
    } <= set(times_of(graph))

    before = dict(store.stats.by_query)
    await utc_times(store, batch=2)
    assert await graph_contents(store) == dumped_contents(times_in_utc(graph))
    stored = {row["properties"]["id"]: row["properties"] for row in await store.read(ALL_NODES)}
    assert stored["am_app:contacts:AC00000002"]["at"] == "2026-10-27T19:45:00.000Z"
    assert stored["web:contacts:WC00000001"]["at"] == "2026-08-18T09:15:00.123Z"
    assert stored["graph"]["created_at"] == "2026-12-02T10:00:00.000Z"
    contacts = sum(1 for n in graph["nodes"] if n["labels"] == ["Contact"])
    runs = store.stats.by_query["migrate/0002_utc_times_contacts"] - before.get("migrate/0002_utc_times_contacts", 0)
    assert runs >= contacts // 2 + 1, "contacts were not converted two at a time"

    before = dict(store.stats.by_query)
    await utc_times(store, batch=2)
    again = {q.name: store.stats.by_query[q.name] - before.get(q.name, 0) for q in UTC_TIMES}
    assert again == {q.name: 1 for q in UTC_TIMES}, "a second run wrote again (one read per file is all it needs)"
    assert await graph_contents(store) == dumped_contents(times_in_utc(graph))

    assert [m.number for m in await migrate(store)] == [2]
    assert await schema_version(store) == CURRENT_VERSION


async def test_after_migration_contacts_order_and_filter_by_the_instant_whatever_offset_they_were_written_in(
    store: Store,
) -> None:
    """One customer's two contacts: 03:44 +08:00 (from a file) and 19:45 +00:00 the evening before
    (the clock's UTC), a minute later. As text the UTC one sorts first, so before migration it is
    shown second and a `since` between them misses it; after, newest first and `since` agree with time."""
    graph = mixed_offsets(previous_release())
    await load_previous_release(store, graph)
    customer, file_contact, clock_contact = (
        "C0D3A53DC91FCA7BA",
        "am_app:contacts:AC00000001",
        "am_app:contacts:AC00000002",
    )
    between = "2026-10-28T03:44:30+08:00"

    async def newest_first(since: str | None = None) -> list[str]:
        ((_, rows),) = await read_contacts(store, [ContactPage(customer, 10, since=since)])
        return [row["id"] for row in rows]

    assert await newest_first() == [file_contact, clock_contact], "the fixture no longer shows the text-order bug"
    await migrate(store)
    assert await newest_first() == [clock_contact, file_contact]
    assert await newest_first("2026-10-27T19:44:30.000Z") == [clock_contact]

    page = """query($id: ID!, $since: DateTime) { customer(id: $id) {
      contacts(first: 10, since: $since) { totalCount edges { node { id at } } } } }"""
    async with api_client(store, "admin") as admin:
        shown = (await gql(admin, page, id=customer))["data"]["customer"]["contacts"]
        assert [(e["node"]["id"], e["node"]["at"]) for e in shown["edges"]] == [
            (clock_contact, "2026-10-28T03:45:00.000+08:00"),
            (file_contact, "2026-10-28T03:44:00.000+08:00"),
        ]
        for since in (between, "2026-10-27T19:44:30Z", "2026-10-28T03:44:30"):
            found = (await gql(admin, page, id=customer, since=since))["data"]["customer"]["contacts"]
            assert [e["node"]["id"] for e in found["edges"]] == [clock_contact], since
        refused = await gql(admin, page, id=customer, since="yesterday")
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "'yesterday' is not an ISO-8601 time" in refused["errors"][0]["message"]
