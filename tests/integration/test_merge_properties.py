"""Merges are reversible: any sequence of merges and unmerges, with every remaining merge then
undone, gives back exactly the graph it started from; the invariants hold at every step. A merge
the hard rules forbid, or one against a pair an unmerge keeps apart, is refused and changes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import ConflictError, MergeRuleError
from app.resolution.constraints import Contradiction
from app.services.invariants import check_invariants
from app.services.merges import Merges
from app.services.resolve import resolve_all
from app.store import Store, cypher
from demo import generate
from loaders.ingest import ingest_file
from loaders.manifest import ingest_directory
from tests.conftest import cypher_of_tests
from tests.integration.test_steward_api import crosswalk

SNAPSHOT = cypher_of_tests("customer_relationships")
ACTIVE = cypher("view/customers_by_ids")


async def snapshot(store: Store) -> set[tuple[str, str, str, str]]:
    return {(r["customer"], r["status"], r["relationship"], r["target"]) for r in await store.read(SNAPSHOT)}


LOADED: dict[str, object] = {}


UNCERTIFIED = ["冯一鸣", "卫二宝", "蒋三省", "沈四海", "韩五岳", "杨六郎", "朱七星", "秦八方"]


async def loaded_graph(graph: Store, tmp_path: Path) -> list[str]:
    """The demo, with eight individuals of one local network who hold no certificate: customers the
    hard rules let a steward merge with each other in any combination."""
    generate(tmp_path / "demo", 25, seed=3)
    await ingest_directory(graph, tmp_path / "demo")
    path = tmp_path / "uncertified.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_id", "name", "cert_type", "phones", "local_network", "segment"])
        for k, name in enumerate(UNCERTIFIED):
            writer.writerow([f"U{k}", name, "blank", f"1330000{k:04d}", "0591", "individual"])
    await ingest_file(graph, "hall", "customers", path)
    await resolve_all(graph)
    owners = await crosswalk(graph)
    mergeable = sorted({owners[f"hall:customers:U{k}"] for k in range(len(UNCERTIFIED))})
    assert len(mergeable) == len(UNCERTIFIED)
    return mergeable


Operation = tuple[str, int, int]
operations = st.lists(
    st.tuples(st.sampled_from(["merge", "merge", "unmerge"]), st.integers(0, 10_000), st.integers(0, 10_000)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=operations)
async def test_merge_unmerge_sequences_restore_the_graph(graph: Store, tmp_path_factory, plan: list[Operation]) -> None:
    if graph not in LOADED.values() or "customers" not in LOADED:
        LOADED["customers"] = await loaded_graph(graph, tmp_path_factory.mktemp("m"))
        LOADED["store"] = graph
        LOADED["before"] = await snapshot(graph)
    customers: list[str] = LOADED["customers"]  # type: ignore[assignment]
    before = LOADED["before"]
    merges = Merges(graph)
    active = list(customers)
    open_events: list[str] = []
    for kind, i, j in plan:
        if kind == "merge" and len(active) >= 2:
            survivor = active[i % len(active)]
            absorbed = active[(i + 1 + j % (len(active) - 1)) % len(active)]
            unchanged = await snapshot(graph)
            try:
                outcome = await merges.merge(survivor, absorbed, decided_by="property-test")
            except (MergeRuleError, Contradiction):
                assert await snapshot(graph) == unchanged
                continue
            active.remove(absorbed)
            open_events.append(outcome.event_id)
        elif kind == "unmerge" and open_events:
            event = open_events[i % len(open_events)]
            unchanged = await snapshot(graph)
            try:
                outcome = await merges.unmerge(event, decided_by="property-test")
            except Contradiction:
                # Undoing it would separate records a later merge decided are one customer.
                assert await snapshot(graph) == unchanged
                continue
            open_events.remove(event)
            active.append(outcome.absorbed)
        report = await check_invariants(graph)
        assert report.ok, report.violations
    for event in reversed(open_events):
        await merges.unmerge(event, decided_by="property-test")
    assert await snapshot(graph) == before
    assert (await check_invariants(graph)).ok


async def test_merging_a_merged_customer_is_a_conflict(graph: Store, tmp_path: Path) -> None:
    customers = await loaded_graph(graph, tmp_path)
    merges = Merges(graph)
    await merges.merge(customers[0], customers[1], decided_by="t")
    try:
        await merges.merge(customers[2], customers[1], decided_by="t")
    except ConflictError as exc:
        assert "merged" in str(exc)
    else:
        raise AssertionError("merging an already merged customer must conflict")
