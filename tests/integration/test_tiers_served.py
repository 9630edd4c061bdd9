"""Star levels of hand-built customers from real files, through the served API and `record_levels`, on
both stores, at fixed days (DOMAIN.md §4): the operator's table, six stars from last year's points of
the authoritative source or the manual flag, four stars by brand, the current month left out, the
explanation and near-star, and the history across a month end and a year end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from app import clock
from app.rules import get_rules
from app.services.customer_export import COLUMNS as EXPORT_COLUMNS
from app.services.customer_export import customer_pages
from app.services.resolve import resolve_all
from app.services.service_recompute import customers_of_records, recompute_after_ingest, rules_digest
from app.services.tier_history import record_levels
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client, cypher_of_tests
from tests.integration.test_ingest import CUSTOMER_HEADER, customer, write_csv
from tests.integration.test_steward_api import crosswalk, gql

BEIJING = timezone(timedelta(hours=8))
WINDOW = ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")

TIER = """query($id: ID!) { customer(id: $id) { id tier {
  starLevel asOf ruleSet reason averageMonthlySpend months { month amount } pointsYear points notable brand
  vipCard tags entitlements granted { name label }
  nextLevel { starLevel spendLine spendGap pointsLine pointsGap near text } }
  tierHistory(first: 10) { totalCount nodes { fromStarLevel toStarLevel asOf reason } } } }"""


@pytest.fixture
def day() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(datetime(2026, 12, 2, 10, 0, tzinfo=BEIJING))
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


def people() -> list[dict[str, str]]:
    return [
        customer("t1", "赵一", phones="13900000001"),
        customer("t2", "钱二", phones="13900000002", notable="true"),
        customer("t3", "孙三", phones="13900000003", vip_card="gold", vip_card_since="2026-03-01"),
        customer("t4", "李四", phones="13900000004"),
        customer("t5", "周五", phones="13900000005"),
    ]


def files(tmp_path: Path) -> list[tuple[str, str, Path]]:
    accounts = [
        {"source_id": f"A{n}", "customer_source_id": f"t{n}", "account_type": "postpaid", "status": "active"}
        for n in range(1, 6)
    ]
    bills = [
        # t1: 400 a month over June-November, a huge bill in December (the month in progress) and in May
        # (a seventh month back), and nothing yet for December's turn.
        *({"source_id": f"B1-{m}", "account_source_id": "A1", "month": m, "amount": "400.00"} for m in WINDOW),
        {"source_id": "B1-12", "account_source_id": "A1", "month": "2026-12", "amount": "0"},
        {"source_id": "B1-05", "account_source_id": "A1", "month": "2026-05", "amount": "90000"},
        # t3: 120 a month, a 全球通 line.
        *({"source_id": f"B3-{m}", "account_source_id": "A3", "month": m, "amount": "120"} for m in WINDOW),
        # t5: 185 a month: near four stars.
        *({"source_id": f"B5-{m}", "account_source_id": "A5", "month": m, "amount": "185"} for m in WINDOW),
    ]
    subscriptions = [
        {
            "source_id": "S3",
            "customer_source_id": "t3",
            "account_source_id": "A3",
            "service_no": "13900000003",
            "product_type": "mobile",
            "status": "active",
            "brand": "全球通",
        }
    ]
    crm_points = [
        {"source_id": "P4-2025", "account_source_id": "A4", "year": "2025", "points": "61000", "credit": ""},
        {"source_id": "P4-2026", "account_source_id": "A4", "year": "2026", "points": "1200", "credit": ""},
    ]
    written = [
        ("crm", "customers", write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, people())),
        ("crm", "accounts", write_csv(tmp_path / "accounts.csv", list(accounts[0]), accounts)),
        ("crm", "subscriptions", write_csv(tmp_path / "subscriptions.csv", list(subscriptions[0]), subscriptions)),
        ("crm", "bills", write_csv(tmp_path / "bills.csv", list(bills[0]), bills)),
        ("crm", "points", write_csv(tmp_path / "points.csv", list(crm_points[0]), crm_points)),
    ]
    # Points another system keeps for t5 do not count: points come from one authoritative source.
    web_accounts = [{"source_id": "W5", "customer_source_id": "w5", "account_type": "prepaid", "status": "active"}]
    web_points = [{"source_id": "PW5", "account_source_id": "W5", "year": "2025", "points": "99000", "credit": ""}]
    web_people = [customer("w5", "周五", phones="13900000005")]
    written += [
        ("web", "customers", write_csv(tmp_path / "web_customers.csv", CUSTOMER_HEADER, web_people)),
        ("web", "accounts", write_csv(tmp_path / "web_accounts.csv", list(web_accounts[0]), web_accounts)),
        ("web", "points", write_csv(tmp_path / "web_points.csv", list(web_points[0]), web_points)),
    ]
    return written


async def loaded(store: Store, tmp_path: Path) -> dict[str, str]:
    for source, kind, path in files(tmp_path):
        summary = await ingest_file(store, source, kind, path)
        assert summary.rejected == 0, (kind, summary)
    await resolve_all(store)
    mapping = await crosswalk(store)
    return {f"t{n}": mapping[f"crm:customers:t{n}"] for n in range(1, 6)}


async def tier_of(store: Store, customer_id: str, role: str = "service_hall") -> dict[str, Any]:
    async with api_client(store, role) as client:
        answer = await gql(client, TIER, id=customer_id)
    assert "errors" not in answer, answer
    return answer["data"]["customer"]


async def test_the_levels_and_their_reasons_as_every_channel_sees_them(
    store: Store, tmp_path: Path, day: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    t1 = (await tier_of(store, ids["t1"]))["tier"]
    assert (t1["starLevel"], t1["averageMonthlySpend"], t1["asOf"]) == (5, 400.0, "2026-12-02")
    assert [m["month"] for m in t1["months"]] == list(WINDOW)
    assert (
        t1["reason"]
        == "5 stars: average monthly spend 400.00 yuan over 2026-06 to 2026-11 reaches the 5-star line of 400.00"
    )
    assert t1["nextLevel"]["starLevel"] == 6 and t1["nextLevel"]["pointsGap"] == 50000
    assert "dedicated_counter" in t1["entitlements"] and "lounges" not in t1["entitlements"]

    t2 = (await tier_of(store, ids["t2"]))["tier"]
    assert (t2["starLevel"], t2["notable"], t2["nextLevel"]) == (6, True, None)
    assert "notable" in t2["tags"]

    t3 = (await tier_of(store, ids["t3"]))["tier"]
    assert (t3["starLevel"], t3["brand"], t3["vipCard"]) == (4, "全球通", "GOLD")
    assert t3["reason"].startswith("4 stars: 全球通 customer below the 5-star line")
    assert {"outbound_service_calls", "airport_service", "account_manager_7x24"} <= set(t3["entitlements"])
    labels = {g["name"]: g["label"] for g in t3["granted"]}
    assert labels["airport_service"].startswith("机场服务")

    t4 = (await tier_of(store, ids["t4"]))["tier"]
    assert (t4["starLevel"], t4["pointsYear"], t4["points"]) == (6, 2025, 61000)

    t5 = (await tier_of(store, ids["t5"]))["tier"]
    assert (t5["starLevel"], t5["points"]) == (3, 0)
    assert (t5["nextLevel"]["starLevel"], t5["nextLevel"]["spendGap"], t5["nextLevel"]["near"]) == (4, 15.0, True)

    # The same answer on another channel.
    for role in ("hotline", "account_manager", "web_hall"):
        assert (await tier_of(store, ids["t1"], role))["tier"] == t1


async def test_recorded_levels_keep_their_history_across_a_month_and_a_year_end(
    store: Store, tmp_path: Path, day: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    rules = get_rules()
    first = await record_levels(store, rules)
    assert first.customers >= 5 and first.changed == first.customers
    again = await record_levels(store, rules)
    assert again.changed == 0

    # 2027-01-05: the window is July-December; t1's December (0) pulls it to (5 x 400) / 6 = 333.33,
    # and t4's 2025 points no longer count (2026 brought 1,200).
    day.advance(datetime(2027, 1, 5, 10, 0, tzinfo=BEIJING) - clock.now())
    turned = await record_levels(store, rules, ids=[ids["t1"], ids["t4"], ids["t3"]])
    assert (turned.customers, turned.changed) == (3, 2)
    t1 = await tier_of(store, ids["t1"])
    assert t1["tier"]["starLevel"] == 4
    history = t1["tierHistory"]
    assert history["totalCount"] == 2
    assert [(h["fromStarLevel"], h["toStarLevel"], h["asOf"]) for h in history["nodes"]] == [
        (5, 4, "2027-01-05"),
        (None, 5, "2026-12-02"),
    ]
    assert history["nodes"][0]["reason"].startswith(
        "4 stars: average monthly spend 333.33 yuan over 2026-07 to 2026-12"
    )
    t4 = await tier_of(store, ids["t4"])
    assert (t4["tier"]["starLevel"], t4["tier"]["pointsYear"], t4["tier"]["points"]) == (1, 2026, 1200)
    assert [h["toStarLevel"] for h in t4["tierHistory"]["nodes"]] == [1, 6]


async def test_pages_of_customers_cover_each_active_customer_once_in_id_order(
    store: Store, tmp_path: Path, day: clock.FixedClock
) -> None:
    """Export and recompute page through the active customers by id (read once), two at a time here."""
    await loaded(store, tmp_path)
    active = sorted(r["id"] for r in await store.read(cypher_of_tests("active_customers")))
    assert len(active) >= 5
    pages = [page async for page in customer_pages(store, page=2)]
    assert [len(p) for p in pages[:-1]] == [2] * (len(pages) - 1)
    assert [row["id"] for page in pages for row in page] == active
    assert all(set(row) == set(EXPORT_COLUMNS) for page in pages for row in page)
    recorded = await record_levels(store, get_rules(), page=2)
    assert recorded.customers == len(active)


async def test_after_a_file_only_the_customers_it_reaches_are_levelled_again(
    store: Store, tmp_path: Path, day: clock.FixedClock
) -> None:
    ids = await loaded(store, tmp_path)
    rules = get_rules()
    first = await recompute_after_ingest(store, rules, "bills", [])
    assert first.tiers.customers >= 5  # no recompute yet: everything
    before = (await tier_of(store, ids["t5"]))["tier"]["starLevel"]
    day.advance(timedelta(minutes=5))  # a level change is kept by customer and instant

    # t5's November bill corrected from 185 to 2,000 (a changed record) and a first bill for t3's
    # account in a month outside the window: t5 moves up, t3 is levelled again and stays.
    bills = [
        {"source_id": "B5-2026-11", "account_source_id": "A5", "month": "2026-11", "amount": "2000"},
        {"source_id": "B3-2025-01", "account_source_id": "A3", "month": "2025-01", "amount": "10"},
    ]
    summary = await ingest_file(store, "crm", "bills", write_csv(tmp_path / "more_bills.csv", list(bills[0]), bills))
    assert (summary.created, summary.changed) == (1, 1)
    assert sorted(await customers_of_records(store, summary.changed_ids)) == sorted([ids["t3"], ids["t5"]])
    after = await recompute_after_ingest(store, rules, "bills", summary.changed_ids)
    assert (after.tiers.customers, after.tiers.changed) == (2, 1)
    assert (await tier_of(store, ids["t5"]))["tier"]["starLevel"] > before

    # Contacts move care, never a level; a rules change since the last recompute means everything.
    assert (await recompute_after_ingest(store, rules, "contacts", summary.changed_ids)).tiers.customers == 0
    changed_rules = rules.model_copy(update={"tiers": rules.tiers.model_copy(update={"near_star_share": 0.2})})
    assert rules_digest(changed_rules) != rules_digest(rules)
    assert (await recompute_after_ingest(store, changed_rules, "contacts", [])).tiers.customers >= 5
