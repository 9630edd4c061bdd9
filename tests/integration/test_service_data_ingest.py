"""The data the service standards read (issue 20), through the one ingest path, on both backends:
yearly points on accounts, cases and their events on customers, a contact's mode, direction and
called number, a subscription's brand, and the customer's notable flag and VIP card date. Each kind
lands from a real file and reads back from the graph; a re-ingest writes nothing; a bad field is set
aside or refuses its row, named in the rejects file; cases follow their customer through merges,
unmerges and splits as contacts do."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from app.clock import FixedClock
from app.services.invariants import check_invariants
from app.services.kept_answers import read_versions
from app.services.merges import Merges
from app.services.resolve import resolve_all
from app.store import Store, cypher
from loaders.ingest import IngestSummary, rejects_path
from loaders.load import load_directory
from tests.conftest import api_client, cypher_of_tests, ingest_created
from tests.integration.test_ingest import CUSTOMER_HEADER, GOOD_ID, customer, write_csv
from tests.integration.test_steward_api import crosswalk, gql

POINTS = cypher_of_tests("service_points")
CASES = cypher_of_tests("service_cases")
CASE_EVENTS = cypher_of_tests("service_case_events")
NODE = cypher_of_tests("node_of_id")
PENDING = cypher("check/holdings_pending")

HEADERS = {
    "employees": ["source_id", "name", "role", "local_network"],
    "accounts": ["source_id", "customer_source_id", "account_type", "status"],
    "subscriptions": [
        "source_id",
        "customer_source_id",
        "account_source_id",
        "service_no",
        "product_type",
        "status",
        "brand",
    ],
    "contacts": [
        "source_id",
        "channel",
        "kind",
        "at",
        "customer_source_id",
        "mode",
        "direction",
        "called_number",
    ],
    "points": ["source_id", "account_source_id", "year", "points", "credit"],
    "cases": ["source_id", "customer_source_id", "kind", "channel", "opened_at", "employee_id", "summary"],
    "case_events": ["source_id", "case_source_id", "event", "at", "employee_id", "reason"],
}


def person(source_id: str, **extra: str) -> dict[str, str]:
    """A person no other test person matches: own name and phone, no certificate."""
    n = source_id[-1]
    return customer(source_id, name=f"客户{source_id}", phones=f"1380000000{n}", birth_date="", **extra)


async def ingest(store: Store, tmp_path: Path, kind: str, rows: list[dict[str, str]], name: str = "") -> IngestSummary:
    header = CUSTOMER_HEADER if kind == "customers" else HEADERS[kind]
    return await ingest_created(store, "crm", kind, write_csv(tmp_path / f"{kind}{name}.csv", header, rows))


def rejects(summary: IngestSummary) -> list[tuple[str, str, str, str]]:
    """(source_id, issue, field, reason) of each line of the file's rejects file."""
    with rejects_path(Path(summary.path)).open(encoding="utf-8") as handle:
        return [(r["source_id"], r["issue"], r["field"], r["reason"]) for r in csv.DictReader(handle)]


async def node(store: Store, node_id: str) -> dict[str, Any]:
    [found] = await store.read(NODE, {"id": node_id})
    return dict(found["node"])


async def resolved(store: Store, tmp_path: Path, *ids: str) -> dict[str, str]:
    summary = await ingest(store, tmp_path, "customers", [person(i) for i in ids], "-".join(ids))
    assert (summary.rejected, summary.quarantined) == (0, 0)
    await resolve_all(store)
    owners = await crosswalk(store)
    return {i: owners[f"crm:customers:{i}"] for i in ids}


def case(source_id: str, owner: str, **extra: str) -> dict[str, str]:
    row = {
        "source_id": source_id,
        "customer_source_id": owner,
        "kind": "complaint",
        "channel": "hotline",
        "opened_at": "2026-11-02T10:00:00+08:00",
        "employee_id": "",
        "summary": "",
    }
    row.update(extra)
    return row


def event(source_id: str, of: str, what: str, at: str, **extra: str) -> dict[str, str]:
    return {
        "source_id": source_id,
        "case_source_id": of,
        "event": what,
        "at": at,
        "employee_id": "",
        "reason": "",
    } | extra


async def test_points_land_on_their_account_and_a_bad_row_is_refused_by_field(
    graph: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    ids = await resolved(graph, tmp_path, "c1")
    accounts = [{"source_id": "A1", "customer_source_id": "c1", "account_type": "postpaid", "status": "active"}]
    await ingest(graph, tmp_path, "accounts", accounts)
    [(_, before)] = [v for v in await read_versions(graph, [ids["c1"]]) if v]
    rows = [
        {"source_id": "P1", "account_source_id": "A1", "year": "2025", "points": "12000", "credit": "-3"},
        {"source_id": "P2", "account_source_id": "A1", "year": "2024", "points": "-5", "credit": ""},
        {"source_id": "P3", "account_source_id": "A1", "year": "25", "points": "10", "credit": ""},
        {"source_id": "P4", "account_source_id": "A404", "year": "2025", "points": "10", "credit": ""},
        {"source_id": "P5", "account_source_id": "A1", "year": "2024", "points": "800", "credit": "1.5"},
    ]
    summary = await ingest(graph, tmp_path, "points", rows)
    assert (summary.read, summary.written, summary.rejected, summary.quarantined) == (5, 2, 3, 1)
    found = rejects(summary)
    assert ("P2", "row", "points", "'-5' must be a whole number of at least zero") in found
    assert ("P3", "row", "year", "'25' is not a year (YYYY)") in found
    assert any(r[:3] == ("P4", "row", "account_source_id") and "'A404'" in r[3] for r in found)
    assert ("P5", "field", "credit", "'1.5' is not a whole number") in found
    assert await graph.read(POINTS) == [
        {
            "node": {"id": "crm:points:P1", "source": "crm", "year": 2025, "points": 12000, "credit": -3},
            "accounts": ["crm:accounts:A1"],
        },
        {
            "node": {"id": "crm:points:P5", "source": "crm", "year": 2024, "points": 800},
            "accounts": ["crm:accounts:A1"],
        },
    ]
    [(_, after)] = [v for v in await read_versions(graph, [ids["c1"]]) if v]
    assert after > before  # the star level reads points: the customer's kept answers are stale

    again = await ingest(graph, tmp_path, "points", rows)
    assert (again.written, again.unchanged, again.rejected) == (0, 2, 3)
    assert await read_versions(graph, [ids["c1"]]) == [(ids["c1"], after)]

    # A corrected row replaces the node's values and stays on its one account.
    fixed = await ingest(graph, tmp_path, "points", [{**rows[0], "points": "13000"}], "-fixed")
    assert (fixed.written, fixed.changed) == (1, 1)
    first = (await graph.read(POINTS))[0]
    assert (first["node"]["points"], first["accounts"]) == (13000, ["crm:accounts:A1"])


async def test_cases_and_their_events_land_on_their_customer_and_a_missing_case_is_named(
    graph: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    await ingest(
        graph, tmp_path, "employees", [{"source_id": "E1", "name": "王经理", "role": "agent", "local_network": "0591"}]
    )
    ids = await resolved(graph, tmp_path, "c1")
    cases = [
        case("K1", "c1", employee_id="E1", summary="宽带很慢"),
        case("K2", "c1", kind="gossip"),
        case("K3", "c404"),
        case("K4", "c1", kind="consultation", channel="", employee_id="E404"),
    ]
    summary = await ingest(graph, tmp_path, "cases", cases)
    assert (summary.written, summary.rejected, summary.quarantined) == (2, 2, 1)
    found = rejects(summary)
    assert any(r[:3] == ("K2", "row", "kind") and "'gossip'" in r[3] for r in found)
    assert any(r[:3] == ("K3", "row", "customer_source_id") and "'c404'" in r[3] for r in found)
    assert any(r[:3] == ("K4", "field", "employee_id") and "'E404'" in r[3] for r in found)

    events = [
        event("V1", "K1", "answered", "2026-11-02T12:30:00+08:00", employee_id="E1"),
        event("V2", "K1", "paused", "2026-11-02T13:00:00+08:00", reason="等待用户回电"),
        event("V3", "K404", "answered", "2026-11-02T12:30:00+08:00"),
        event("V4", "K1", "exploded", "2026-11-02T12:30:00+08:00"),
        event("V5", "K1", "solved", "tomorrow"),
    ]
    summary = await ingest(graph, tmp_path, "case_events", events)
    assert (summary.written, summary.rejected) == (2, 3)
    found = rejects(summary)
    [missing] = [r for r in found if r[0] == "V3"]
    assert missing[1:3] == ("row", "case_source_id")
    assert "cases record 'K404'" in missing[3] and "does not exist" in missing[3]
    assert any(r[:3] == ("V4", "row", "event") for r in found)
    assert any(r[:3] == ("V5", "row", "at") for r in found)

    assert await graph.read(CASES) == [
        {
            "node": {
                "id": "crm:cases:K1",
                "source": "crm",
                "kind": "complaint",
                "channel": "hotline",
                "opened_at": "2026-11-02T02:00:00.000Z",
                "summary": "宽带很慢",
                "owner_record": "crm:customers:c1",
                "employee_record": "crm:employees:E1",
            },
            "holders": [ids["c1"]],
            "events": ["crm:case_events:V1", "crm:case_events:V2"],
        },
        {
            "node": {
                "id": "crm:cases:K4",
                "source": "crm",
                "kind": "consultation",
                "opened_at": "2026-11-02T02:00:00.000Z",
                "owner_record": "crm:customers:c1",
            },
            "holders": [ids["c1"]],
            "events": [],
        },
    ]
    assert await graph.read(CASE_EVENTS) == [
        {
            "node": {
                "id": "crm:case_events:V1",
                "source": "crm",
                "event": "answered",
                "at": "2026-11-02T04:30:00.000Z",
                "employee_record": "crm:employees:E1",
            },
            "cases": ["crm:cases:K1"],
        },
        {
            "node": {
                "id": "crm:case_events:V2",
                "source": "crm",
                "event": "paused",
                "at": "2026-11-02T05:00:00.000Z",
                "reason": "等待用户回电",
            },
            "cases": ["crm:cases:K1"],
        },
    ]
    versions = await read_versions(graph, [ids["c1"]])
    for kind, rows in (("cases", cases), ("case_events", events)):
        again = await ingest(graph, tmp_path, kind, rows)
        assert (again.written, again.unchanged) == (0, 2), kind
    assert await read_versions(graph, [ids["c1"]]) == versions
    assert (await check_invariants(graph)).ok

    # An event moved to another case leaves the first.
    await ingest(graph, tmp_path, "case_events", [{**events[1], "case_source_id": "K4"}], "-moved")
    by_case = {row["node"]["id"]: row["events"] for row in await graph.read(CASES)}
    assert by_case == {"crm:cases:K1": ["crm:case_events:V1"], "crm:cases:K4": ["crm:case_events:V2"]}

    # A changed case is upserted in place: its customer keeps it and sees a new version.
    changed = await ingest(graph, tmp_path, "cases", [{**cases[0], "summary": "宽带已修好"}], "-changed")
    assert (changed.written, changed.changed) == (1, 1)
    by_id = {row["node"]["id"]: row for row in await graph.read(CASES)}
    assert (by_id["crm:cases:K1"]["node"]["summary"], by_id["crm:cases:K1"]["holders"]) == ("宽带已修好", [ids["c1"]])
    assert (await read_versions(graph, [ids["c1"]]))[0][1] > versions[0][1]


async def test_brand_mode_direction_called_number_notable_and_card_date_land_from_files(
    graph: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    people = [
        person("c1", notable="true", vip_card="gold", vip_card_since="2024-05-01"),
        person("c2", vip_card_since="2024-13-01"),
    ]
    summary = await ingest(graph, tmp_path, "customers", people)
    assert (summary.written, summary.quarantined) == (2, 1)
    assert ("c2", "field", "vip_card_since", "'2024-13-01' is not a date (YYYY-MM-DD)") in rejects(summary)
    await resolve_all(graph)
    ids = await crosswalk(graph)
    zhang, li = await node(graph, ids["crm:customers:c1"]), await node(graph, ids["crm:customers:c2"])
    assert (zhang["notable"], zhang["vip_card_since"]) == (True, "2024-05-01")
    assert "notable" not in li and "vip_card_since" not in li

    await ingest(
        graph,
        tmp_path,
        "accounts",
        [{"source_id": "A1", "customer_source_id": "c1", "account_type": "postpaid", "status": "active"}],
    )
    line = {
        "source_id": "S1",
        "customer_source_id": "c1",
        "account_source_id": "A1",
        "service_no": "13900000001",
        "product_type": "mobile",
        "status": "active",
        "brand": "全球通",
    }
    await ingest(graph, tmp_path, "subscriptions", [line])
    assert (await node(graph, "crm:subscriptions:S1"))["brand"] == "全球通"

    contacts = [
        {
            "source_id": "T1",
            "channel": "hotline",
            "kind": "query",
            "at": "2026-11-03T09:00:00+08:00",
            "customer_source_id": "c1",
            "mode": "call",
            "direction": "outbound",
            "called_number": "10086",
        },
        {
            "source_id": "T2",
            "channel": "service_hall",
            "kind": "query",
            "at": "2026-11-03T09:00:00+08:00",
            "customer_source_id": "c1",
            "mode": "telepathy",
            "direction": "sideways",
            "called_number": "",
        },
    ]
    summary = await ingest(graph, tmp_path, "contacts", contacts)
    assert (summary.written, summary.rejected, summary.quarantined) == (2, 0, 2)
    assert {r[2] for r in rejects(summary) if r[0] == "T2"} == {"mode", "direction"}
    t1, t2 = await node(graph, "crm:contacts:T1"), await node(graph, "crm:contacts:T2")
    assert (t1["mode"], t1["direction"], t1["called_number"]) == ("call", "outbound", "10086")
    assert not {"mode", "direction", "called_number"} & set(t2)


async def test_cases_follow_their_customer_through_a_merge_an_unmerge_and_a_split(
    graph: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    # c3 is c1 again (same name, phone and certificate): resolution makes them one customer.
    twins = dict(cert_type="resident_id", cert_no=GOOD_ID)
    people = [person("c1", **twins), person("c2"), {**person("c1", **twins), "source_id": "c3"}]
    await ingest(graph, tmp_path, "customers", people)
    await resolve_all(graph)
    owners = await crosswalk(graph)
    zhang, li = owners["crm:customers:c1"], owners["crm:customers:c2"]
    assert owners["crm:customers:c3"] == zhang != li
    await ingest(graph, tmp_path, "cases", [case("K1", "c1"), case("K2", "c2", kind="emergency"), case("K5", "c3")])
    await ingest(graph, tmp_path, "case_events", [event("V1", "K2", "customer_told", "2026-11-02T10:05:00+08:00")])

    async def holders() -> dict[str, list[str]]:
        return {row["node"]["id"]: row["holders"] for row in await graph.read(CASES)}

    assert await holders() == {"crm:cases:K1": [zhang], "crm:cases:K2": [li], "crm:cases:K5": [zhang]}
    merges = Merges(graph)
    merged = await merges.merge(zhang, li, decided_by="steward")
    assert await holders() == {"crm:cases:K1": [zhang], "crm:cases:K2": [zhang], "crm:cases:K5": [zhang]}
    assert (await check_invariants(graph)).ok

    # A case arriving for the absorbed customer's record goes to the survivor at once.
    await ingest(graph, tmp_path, "cases", [case("K3", "c2")], "-late")
    assert (await holders())["crm:cases:K3"] == [zhang]

    await merges.unmerge(merged.event_id, decided_by="steward")
    after = await holders()
    assert (after["crm:cases:K1"], after["crm:cases:K2"], after["crm:cases:K5"]) == ([zhang], [li], [zhang])
    # The late case's record is c2's again; resolution's attach step hangs it there.
    fixed_clock.advance(timedelta(minutes=1))
    await resolve_all(graph)
    assert (await holders())["crm:cases:K3"] == [li]
    assert (await check_invariants(graph)).ok

    split = await merges.split(zhang, ["crm:customers:c3"], decided_by="steward", reason="two people")
    assert split.absorbed not in (zhang, li)
    assert await holders() == {
        "crm:cases:K1": [zhang],
        "crm:cases:K2": [li],
        "crm:cases:K3": [li],
        "crm:cases:K5": [split.absorbed],
    }
    assert (await check_invariants(graph)).ok


async def test_a_directory_load_puts_points_after_accounts_and_cases_on_customers_resolved_later(
    graph: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    """`c360 load`: the manifest's files in order, then one resolution; cases and events loaded before
    their customers were resolved wait (pending), and resolution's attach step hangs them."""
    directory = tmp_path / "load"
    directory.mkdir()
    files: dict[str, list[dict[str, str]]] = {
        "employees": [{"source_id": "E1", "name": "王经理", "role": "account_manager", "local_network": "0591"}],
        "customers": [person("c1", notable="1")],
        "accounts": [{"source_id": "A1", "customer_source_id": "c1", "account_type": "postpaid", "status": "active"}],
        "points": [{"source_id": "P1", "account_source_id": "A1", "year": "2025", "points": "5000", "credit": ""}],
        "cases": [case("K1", "c1", employee_id="E1")],
        "case_events": [event("V1", "K1", "final_answer", "2026-11-02T15:00:00+08:00")],
    }
    manifest = []
    for kind, rows in files.items():
        header = CUSTOMER_HEADER if kind == "customers" else HEADERS[kind]
        write_csv(directory / f"{kind}.csv", header, rows)
        manifest.append({"source": "crm", "kind": kind, "path": f"{kind}.csv"})
    (directory / "manifest.json").write_bytes(orjson.dumps(manifest))

    summaries, _ = await load_directory(graph, directory)
    assert [(s.kind, s.written, s.rejected) for s in summaries] == [(kind, 1, 0) for kind in files]
    owner = (await crosswalk(graph))["crm:customers:c1"]
    [k1] = await graph.read(CASES)
    assert (k1["holders"], k1["events"]) == ([owner], ["crm:case_events:V1"])
    assert (await graph.read(POINTS))[0]["accounts"] == ["crm:accounts:A1"]
    assert {row["label"]: row["pending"] for row in await graph.read(PENDING, {"limit": 5})}["Case"] == 0
    assert (await node(graph, owner))["notable"] is True
    assert (await check_invariants(graph)).ok


RECORD = """mutation($c: ContactRecordInput!) { recordContact(contact: $c) {
  customer { contacts(first: 5) { edges { node { id kind mode direction } } } } userErrors { field message } } }"""


async def test_record_contact_takes_mode_and_direction_and_leaves_them_unset_when_not_given(
    graph: Store, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    ids = await resolved(graph, tmp_path, "c1")
    async with api_client(graph, "service_hall", "desk-1") as hall:
        visit = {"customerId": ids["c1"], "kind": "CARE_VISIT", "mode": "VISIT", "direction": "OUTBOUND"}
        written = await gql(hall, RECORD, c=visit)
        assert "errors" not in written and written["data"]["recordContact"]["userErrors"] == [], written
        fixed_clock.advance(timedelta(minutes=1))
        plain = await gql(hall, RECORD, c={"customerId": ids["c1"], "kind": "QUERY"})
        assert "errors" not in plain, plain
        refused = await gql(hall, RECORD, c={**visit, "mode": "TELEPATHY"})
        assert refused.get("errors"), refused  # not a member of ContactMode
    shown = [e["node"] for e in plain["data"]["recordContact"]["customer"]["contacts"]["edges"]]
    assert [(c["kind"], c["mode"], c["direction"]) for c in shown] == [
        ("QUERY", None, None),
        ("CARE_VISIT", "VISIT", "OUTBOUND"),
    ]
    stored = await node(graph, shown[1]["id"])
    assert (stored["mode"], stored["direction"], stored["channel"]) == ("visit", "outbound", "service_hall")
