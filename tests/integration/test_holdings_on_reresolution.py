"""A batch run writes a customer, and re-attaches its holdings, only where something changed (issue 22,
item 2), on both backends: a run that changes nothing writes no customer, runs no attach statement and
leaves every holding and every customer's version as it was; a changed record is written without moving
holdings; a record joining a customer brings its holdings along; a run cut off between writing its
customers and moving their holdings is repaired by the next, though no record moves any more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.services.invariants import check_invariants
from app.services.resolve import ATTACH_HOLDINGS, resolve_all
from app.store import CypherQuery, Store
from tests.conftest import api_client
from tests.integration.test_holdings_on_ingest import account, ingest, views
from tests.integration.test_ingest import customer, resident_id
from tests.integration.test_steward_api import crosswalk, gql

ATTACH_NAMES = {query.name for query in ATTACH_HOLDINGS}


def person(source_id: str, name: str, certificate: str, phone: str) -> dict[str, str]:
    return customer(source_id, name, resident_id(certificate), "resident_id", phones=phone)


async def three_customers_with_accounts(graph: Store, tmp_path: Path) -> dict[str, str]:
    people = [
        person("c1", "张伟", "35010219850302101", "13800000001"),
        person("c2", "李娜", "35010219900415202", "13800000002"),
        person("c3", "王芳", "35010219780823303", "13800000003"),
    ]
    await ingest(graph, tmp_path, "customers", people, "-first")
    await resolve_all(graph)
    await ingest(graph, tmp_path, "accounts", [account(f"A{n}", f"c{n}") for n in (1, 2, 3)])
    return await crosswalk(graph)


def attach_runs(graph: Store) -> int:
    return sum(n for name, n in graph.stats.by_query.items() if name in ATTACH_NAMES)


async def accounts_of(graph: Store, *customer_ids: str) -> list[list[str]]:
    return [[a["id"] for a in view["accounts"]["nodes"]] for view in await views(graph, *customer_ids)]


async def test_a_run_that_moves_no_record_attaches_nothing_and_moves_no_holding(graph: Store, tmp_path: Path) -> None:
    ids = await three_customers_with_accounts(graph, tmp_path)
    versions = {v["id"]: v["version"] for v in await views(graph, *ids.values())}
    before = graph.stats.by_query.copy()
    report = await resolve_all(graph)
    assert (report.customers_written, report.customers_unchanged) == (0, 3)
    assert report.summary["customers_unchanged"] == 3
    assert attach_runs(graph) == sum(n for name, n in before.items() if name in ATTACH_NAMES)
    assert graph.stats.by_query.get("resolve/write_customers") == before.get("resolve/write_customers")
    assert await crosswalk(graph) == ids
    assert {v["id"]: v["version"] for v in await views(graph, *ids.values())} == versions, "kept answers dropped"
    assert await accounts_of(graph, *(ids[f"crm:customers:c{n}"] for n in (1, 2, 3))) == [
        [f"crm:accounts:A{n}"] for n in (1, 2, 3)
    ]
    assert (await check_invariants(graph)).ok


async def test_a_changed_record_is_written_without_moving_holdings(graph: Store, tmp_path: Path) -> None:
    ids = await three_customers_with_accounts(graph, tmp_path)
    moved_to = person("c2", "李娜", "35010219900415202", "13800000002")
    moved_to["address"] = "福州市鼓楼区五四路100号"
    await ingest(graph, tmp_path, "customers", [moved_to], "-c2")
    runs = attach_runs(graph)
    report = await resolve_all(graph)
    assert (report.customers_written, report.customers_unchanged) == (1, 2)
    assert attach_runs(graph) == runs
    li = ids["crm:customers:c2"]
    async with api_client(graph, "admin") as client:
        answer = await gql(client, "query($id: ID!) { customer(id: $id) { address } }", id=li)
    assert answer["data"]["customer"]["address"] == "福州市鼓楼区五四路100号"
    assert await accounts_of(graph, li) == [["crm:accounts:A2"]]


async def test_a_record_joining_a_customer_brings_its_holdings(graph: Store, tmp_path: Path) -> None:
    ids = await three_customers_with_accounts(graph, tmp_path)
    # Zhang again, from the hall, with an account of his own, loaded but not resolved yet.
    await ingest(graph, tmp_path, "customers", [person("c4", "张伟", "35010219850302101", "13800000001")], "-c4")
    await ingest(graph, tmp_path, "accounts", [account("A4", "c4")], "-a4")
    runs = attach_runs(graph)
    await resolve_all(graph)
    assert attach_runs(graph) == runs + len(ATTACH_NAMES), "one batch, for Zhang's customer only"
    after = await crosswalk(graph)
    zhang = ids["crm:customers:c1"]
    assert after["crm:customers:c4"] == zhang
    [accounts] = await accounts_of(graph, zhang)
    assert accounts == ["crm:accounts:A1", "crm:accounts:A4"]
    assert (await check_invariants(graph)).ok


async def test_a_run_cut_off_before_the_holdings_moved_is_repaired_by_the_next(
    graph: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await three_customers_with_accounts(graph, tmp_path)
    await ingest(graph, tmp_path, "customers", [person("c4", "张伟", "35010219850302101", "13800000001")], "-c4")
    await ingest(graph, tmp_path, "accounts", [account("A4", "c4")], "-a4")
    write = graph.write

    async def cut_off(query: CypherQuery, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        if query.name == "resolve/attach_accounts":
            raise RuntimeError("the run was cut off here")
        return await write(query, params, **kwargs)

    monkeypatch.setattr(graph, "write", cut_off)
    with pytest.raises(RuntimeError, match="cut off"):
        await resolve_all(graph)
    monkeypatch.undo()
    zhang = ids["crm:customers:c1"]
    assert (await crosswalk(graph))["crm:customers:c4"] == zhang, "the records moved before the cut"
    assert not (await check_invariants(graph)).ok, "the account A4 should be left behind by the cut"

    await resolve_all(graph)
    [accounts] = await accounts_of(graph, zhang)
    assert accounts == ["crm:accounts:A1", "crm:accounts:A4"]
    assert (await check_invariants(graph)).ok
