"""Every holding is linked when it lands (issue 17), on both backends: accounts, subscriptions,
bills (through their account), contacts (by customer or by service number) and opportunities
ingested after their customers were resolved are in those customers' views at once, without a
`c360 resolve`, and the graph's check holds after every step; holdings of records still awaiting
resolution are pending, not violations."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.clock import FixedClock
from app.ids import record_kind
from app.services.incremental import resolve_records
from app.services.resolve import resolve_all
from app.services.source_records import RecordWriter
from app.store import Store, cypher
from loaders.ingest import Ingest
from tests.conftest import api_client, cypher_of_tests, ingest_created
from tests.integration.test_ingest import CUSTOMER_HEADER, customer, write_csv
from tests.integration.test_steward_api import crosswalk, gql

NOT_ON_THEIR_CUSTOMER = cypher("check/holdings_not_on_their_customer")
PENDING = cypher("check/holdings_pending")
DETACH_ACCOUNT = cypher_of_tests("detach_account")
COUNT_HOLDINGS = cypher_of_tests("count_holdings")

VIEW = """query($id: ID!) { customer(id: $id) { id version
  tier { averageMonthlySpend }
  accounts { nodes { id } } subscriptions { nodes { id serviceNumber } }
  contacts(first: 10) { totalCount edges { node { id } } }
  opportunities { nodes { id } } } }"""

HEADERS = {
    "accounts": ["source_id", "customer_source_id", "account_type", "status"],
    "subscriptions": ["source_id", "customer_source_id", "account_source_id", "service_no", "product_type", "status"],
    "bills": ["source_id", "account_source_id", "month", "amount"],
    "contacts": ["source_id", "channel", "kind", "at", "customer_source_id", "service_no"],
    "opportunities": ["source_id", "customer_source_id", "kind", "need", "stage", "channel", "captured_at"],
}


def account(source_id: str, owner: str) -> dict[str, str]:
    return {"source_id": source_id, "customer_source_id": owner, "account_type": "postpaid", "status": "active"}


def holdings() -> dict[str, list[dict[str, str]]]:
    """Zhang (c1) holds an account, a mobile line, a bill, a contact and an opportunity; Li (c2) an
    account, a line, a bill and a contact the hotline recorded by his service number only."""
    return {
        "accounts": [account("A1", "c1"), account("A2", "c2")],
        "subscriptions": [
            {
                "source_id": f"S{n}",
                "customer_source_id": f"c{n}",
                "account_source_id": f"A{n}",
                "service_no": f"1390000000{n}",
                "product_type": "mobile",
                "status": "active",
            }
            for n in (1, 2)
        ],
        "bills": [
            {"source_id": "B1", "account_source_id": "A1", "month": "2026-10", "amount": "120"},
            {"source_id": "B2", "account_source_id": "A2", "month": "2026-10", "amount": "60"},
        ],
        "contacts": [
            {
                "source_id": "K1",
                "channel": "service_hall",
                "kind": "query",
                "at": "2026-11-02T10:00:00+08:00",
                "customer_source_id": "c1",
                "service_no": "",
            },
            {
                "source_id": "K2",
                "channel": "hotline",
                "kind": "complaint",
                "at": "2026-11-03T10:00:00+08:00",
                "customer_source_id": "",
                "service_no": "139-0000-0002",
            },
        ],
        "opportunities": [
            {
                "source_id": "O1",
                "customer_source_id": "c1",
                "kind": "opportunity",
                "need": "purchase",
                "stage": "captured",
                "channel": "service_hall",
                "captured_at": "2026-11-02T10:05:00+08:00",
            }
        ],
    }


async def ingest(store: Store, tmp_path: Path, kind: str, rows: list[dict[str, str]], name: str = "") -> None:
    header = CUSTOMER_HEADER if kind == "customers" else HEADERS[kind]
    path = write_csv(tmp_path / f"{kind}{name}.csv", header, rows)
    summary = await ingest_created(store, "crm", kind, path)
    assert (summary.rejected, summary.quarantined) == (0, 0), kind


async def customers(store: Store, tmp_path: Path, *ids: str) -> None:
    people = [customer(i, name=f"客户{i}", phones=f"1380000000{i[-1]}", birth_date="") for i in ids]
    await ingest(store, tmp_path, "customers", people, "-".join(ids))


async def views(store: Store, *ids: str) -> list[dict[str, Any]]:
    async with api_client(store, "admin") as client:
        found = []
        for customer_id in ids:
            answer = await gql(client, VIEW, id=customer_id)
            assert "errors" not in answer, answer
            found.append(answer["data"]["customer"])
    return found


async def pending(store: Store) -> dict[str, int]:
    return {row["label"]: row["pending"] for row in await store.read(PENDING, {"limit": 5})}


async def violations(store: Store) -> list[dict[str, Any]]:
    return await store.read(NOT_ON_THEIR_CUSTOMER, {"limit": 20})


SECOND_RECORD_OF = cypher_of_tests("second_record_of")
CONTACT_EDGES = cypher_of_tests("contact_edges")
NONE_PENDING = {"Account": 0, "Subscription": 0, "Contact": 0, "Opportunity": 0, "Case": 0}


async def test_holdings_ingested_after_their_customers_are_in_the_view_at_once(
    graph: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    await customers(graph, tmp_path, "c1", "c2")
    await resolve_all(graph)
    ids = await crosswalk(graph)
    zhang, li = ids["crm:customers:c1"], ids["crm:customers:c2"]
    assert zhang != li
    before = {v["id"]: v for v in await views(graph, zhang, li)}

    for kind, rows in holdings().items():
        await ingest(graph, tmp_path, kind, rows)
        assert await violations(graph) == [], kind
        assert await pending(graph) == NONE_PENDING, kind

    after_zhang, after_li = await views(graph, zhang, li)
    assert [a["id"] for a in after_zhang["accounts"]["nodes"]] == ["crm:accounts:A1"]
    assert [s["serviceNumber"] for s in after_zhang["subscriptions"]["nodes"]] == ["13900000001"]
    assert [e["node"]["id"] for e in after_zhang["contacts"]["edges"]] == ["crm:contacts:K1"]
    assert [o["id"] for o in after_zhang["opportunities"]["nodes"]] == ["crm:opportunities:O1"]
    assert after_zhang["tier"]["averageMonthlySpend"] > 0
    assert [a["id"] for a in after_li["accounts"]["nodes"]] == ["crm:accounts:A2"]
    assert [e["node"]["id"] for e in after_li["contacts"]["edges"]] == ["crm:contacts:K2"]
    for after in (after_zhang, after_li):
        assert after["version"] > before[after["id"]]["version"]


async def test_a_contact_of_a_record_on_two_customers_gets_each_edge_once(graph: Store, tmp_path: Path) -> None:
    """A record left on a retired customer as well as its own (a state the checks report) makes the
    owner's lookup answer twice; the contact still gets one edge to each subscription its number names
    and one to its live customer, and counts once."""
    await customers(graph, tmp_path, "c1", "c2", "c3")
    await resolve_all(graph)
    ids = await crosswalk(graph)
    await ingest(graph, tmp_path, "accounts", [account("A1", "c1"), account("A2", "c2")])
    lines = [
        {
            "source_id": f"S{n}",
            "customer_source_id": f"c{n}",
            "account_source_id": f"A{n}",
            "service_no": "13900000009",
            "product_type": "mobile",
            "status": "active",
        }
        for n in (1, 2)
    ]
    await ingest(graph, tmp_path, "subscriptions", lines)
    await graph.write(SECOND_RECORD_OF, {"record": "crm:customers:c1", "customer": ids["crm:customers:c3"]})
    contact = {
        "source_id": "K9",
        "channel": "hotline",
        "kind": "query",
        "at": "2026-11-02T10:00:00+08:00",
        "customer_source_id": "c1",
        "service_no": "13900000009",
    }
    path = write_csv(tmp_path / "contacts9.csv", HEADERS["contacts"], [contact])
    summary = await ingest_created(graph, "crm", "contacts", path)
    assert (summary.read, summary.created, summary.written) == (1, 1, 1)
    edges = [(row["relationship"], row["target"]) for row in await graph.read(CONTACT_EDGES, {"id": "crm:contacts:K9"})]
    assert edges == [
        ("ABOUT", "crm:subscriptions:S1"),
        ("ABOUT", "crm:subscriptions:S2"),
        ("DESCRIBES", "crm:contacts:K9"),
        ("HAD_CONTACT", ids["crm:customers:c1"]),
        ("VIA", "hotline"),
    ]


async def test_holdings_of_records_awaiting_resolution_are_pending_until_resolved(graph: Store, tmp_path: Path) -> None:
    await customers(graph, tmp_path, "c1")
    await resolve_all(graph)
    await customers(graph, tmp_path, "c2")  # loaded, not resolved yet
    await ingest(graph, tmp_path, "accounts", [account("A1", "c1"), account("A2", "c2")])
    await ingest(graph, tmp_path, "opportunities", holdings()["opportunities"])
    assert await violations(graph) == []
    assert await pending(graph) == {**NONE_PENDING, "Account": 1}

    await resolve_records(graph, ["crm:customers:c2"])
    assert await violations(graph) == []
    assert await pending(graph) == NONE_PENDING
    ids = await crosswalk(graph)
    [li] = await views(graph, ids["crm:customers:c2"])
    assert [a["id"] for a in li["accounts"]["nodes"]] == ["crm:accounts:A2"]


async def test_a_holding_moves_when_its_customer_record_changes_and_a_bill_relinks_its_account(
    graph: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    await customers(graph, tmp_path, "c1", "c2")
    await resolve_all(graph)
    ids = await crosswalk(graph)
    zhang, li = ids["crm:customers:c1"], ids["crm:customers:c2"]
    await ingest(graph, tmp_path, "accounts", [account("A1", "c1"), account("A2", "c2")])
    [zhang_before] = await views(graph, zhang)

    await ingest(graph, tmp_path, "accounts", [account("A1", "c2")], "-moved")
    zhang_after, li_after = await views(graph, zhang, li)
    assert zhang_after["accounts"]["nodes"] == [] and zhang_after["version"] > zhang_before["version"]
    assert [a["id"] for a in li_after["accounts"]["nodes"]] == ["crm:accounts:A1", "crm:accounts:A2"]
    assert await violations(graph) == []

    assert (await graph.write(DETACH_ACCOUNT, {"id": "crm:accounts:A2"}))[0]["detached"] == 1
    assert len(await violations(graph)) == 1
    await ingest(graph, tmp_path, "bills", holdings()["bills"][1:])
    [li_billed] = await views(graph, li)
    assert [a["id"] for a in li_billed["accounts"]["nodes"]] == ["crm:accounts:A1", "crm:accounts:A2"]
    assert li_billed["tier"]["averageMonthlySpend"] > 0
    assert await violations(graph) == []


class RacedWriter(RecordWriter):
    """Sees none of its own kind's records, as a writer would a moment before another created them;
    references (customers, accounts) it still finds."""

    async def _existing(self, ids: Iterable[str]) -> dict[str, str | None]:
        return await super()._existing(i for i in ids if record_kind(i) != self.kind)


class RacedIngest(Ingest):
    def __init__(self, store: Store, source: str, kind: str) -> None:
        super().__init__(store, source, kind)
        self.writer = RacedWriter(store, source, kind)


async def test_holdings_a_racing_writer_created_first_are_upserted_once_and_stay_linked(
    graph: Store, tmp_path: Path
) -> None:
    """New holdings are written by CREATE statements (ingest/<kind>_new); a writer that found them absent a
    moment before another created them fails on the unique constraints and repeats the batch as upserts."""
    await customers(graph, tmp_path, "c1", "c2")
    await resolve_all(graph)
    zhang = (await crosswalk(graph))["crm:customers:c1"]
    for kind, rows in holdings().items():
        await ingest(graph, tmp_path, kind, rows)
    for kind, rows in holdings().items():
        path = write_csv(tmp_path / f"{kind}-raced.csv", HEADERS[kind], rows)
        raced = await RacedIngest(graph, "crm", kind).run(path)
        assert (raced.read, raced.rejected, raced.created, raced.written) == (len(rows), 0, len(rows), len(rows)), kind
        assert await violations(graph) == [], kind
    assert await graph.read(COUNT_HOLDINGS) == [{"holdings": 9}]
    (view,) = await views(graph, zhang)
    assert [a["id"] for a in view["accounts"]["nodes"]] == ["crm:accounts:A1"]
    assert [s["id"] for s in view["subscriptions"]["nodes"]] == ["crm:subscriptions:S1"]
    assert [e["node"]["id"] for e in view["contacts"]["edges"]] == ["crm:contacts:K1"]
    assert [o["id"] for o in view["opportunities"]["nodes"]] == ["crm:opportunities:O1"]
