"""A first load's star-level inputs kept from its files (loaders/first_levels.py) must equal what the
graph answers for them (view/tier_facts_by_customers, summed by app.tiers.monthly_spend), on the day the
load began and on any later day: a month's end, a year's end."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

from app.rules import get_rules
from app.services.customer_view import TierInputs
from app.tiers import monthly_spend, points_year, spend_window
from loaders.first_levels import FileTierInputs, tier_inputs

RULES = get_rules()
BEGAN = date(2026, 11, 30)


def rows(seed: int) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """Bills and points by account node (1-6), subscriptions (nodes 100+), of many months, years,
    sources, statuses and brands, amounts with fen that float sums would round differently."""
    pick = random.Random(seed)
    months = [f"{year}-{month:02d}" for year in (2024, 2025, 2026, 2027) for month in range(1, 13)]
    bills = [
        (pick.randint(1, 6), {"month": pick.choice(months), "amount": f"{pick.randint(0, 40000) / 100:.2f}"})
        for _ in range(400)
    ]
    points = [
        (
            pick.randint(1, 6),
            {
                "source": pick.choice(["crm", "crm", "hall"]),
                "year": pick.choice([2024, 2025, 2026]),
                "points": pick.choice([None, pick.randint(0, 9000)]),
            },
        )
        for _ in range(60)
    ]
    subscriptions = [
        {
            "node": 100 + n,
            "status": pick.choice(["active", "active", "suspended", "cancelled"]),
            "brand": pick.choice([None, "全球通", "动感地带"]),
        }
        for n in range(12)
    ]
    return bills, points, subscriptions


def as_the_graph_answers(
    held: list[tuple[str, int]],
    bills: list[tuple[int, dict[str, Any]]],
    points: list[tuple[int, dict[str, Any]]],
    subscriptions: list[dict[str, Any]],
    today: date,
) -> TierInputs:
    """What view/tier_facts_by_customers and customer_view._tier_inputs make of the same rows."""
    since, until = spend_window(today, RULES)
    accounts = {node for relation, node in held if relation == "HAS_ACCOUNT"}
    owned = {node for relation, node in held if relation == "OWNS"}
    window = [b for account, b in bills if account in accounts and since <= b["month"] <= until]
    total = sum(
        p["points"] or 0
        for account, p in points
        if account in accounts and p["source"] == RULES.tiers.points_source and p["year"] == points_year(today)
    )
    brands = {
        s["brand"] for s in subscriptions if s["node"] in owned and s["status"] == "active" and s["brand"] is not None
    }
    return TierInputs(monthly_spend(window), total, frozenset(brands))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "later",
    [timedelta(0), timedelta(days=1), timedelta(days=31), timedelta(days=32), timedelta(days=400)],
    ids=["same day", "next month", "a month on", "year end", "a year on"],
)
def test_the_inputs_kept_from_the_files_are_the_graphs_answer_on_any_later_day(seed: int, later: timedelta) -> None:
    bills, points, subscriptions = rows(seed)
    kept = FileTierInputs(RULES, BEGAN)
    for account, bill in bills:
        kept.bill(account, bill)
    for account, row in points:
        kept.points_of(account, row)
    for subscription in subscriptions:
        kept.subscription(subscription["node"], subscription)
    today = BEGAN + later
    assert kept.covers(today)
    pick = random.Random(seed + 100)
    for _ in range(20):
        held = [("HAS_ACCOUNT", n) for n in pick.sample(range(1, 8), pick.randint(0, 3))]
        held += [("OWNS", n) for n in pick.sample(range(100, 112), pick.randint(0, 4))]
        held += [("HAD_CONTACT", 1)]
        expected = as_the_graph_answers(held, bills, points, subscriptions, today)
        found = tier_inputs(kept.sums(held, today))
        assert found.spend == expected.spend
        assert (found.points, found.brands) == (expected.points, expected.brands)
    all_accounts = [("HAS_ACCOUNT", n) for n in range(1, 7)]
    assert tier_inputs(kept.sums(all_accounts, today)).spend, "the rows give spend in the window"


def test_months_and_years_that_left_the_window_before_the_load_are_not_kept() -> None:
    kept = FileTierInputs(RULES, BEGAN)
    since, _ = spend_window(BEGAN, RULES)
    kept.bill(1, {"month": "2025-01", "amount": "10.00"})
    kept.bill(1, {"month": since, "amount": "10.00"})
    kept.points_of(1, {"source": "crm", "year": points_year(BEGAN) - 1, "points": 5})
    kept.points_of(1, {"source": "hall", "year": points_year(BEGAN), "points": 5})
    kept.subscription(9, {"status": "suspended", "brand": "全球通"})
    assert len(kept.spend) == 1, "the month before the window is not kept"
    assert tier_inputs(kept.sums([("HAS_ACCOUNT", 1)], BEGAN)).spend == {since: 10.0}
    assert kept.points == {} and kept.brands == {}


def test_a_clock_set_back_before_the_load_began_is_not_covered() -> None:
    kept = FileTierInputs(RULES, BEGAN)
    assert not kept.covers(BEGAN - timedelta(days=1))
