"""A first load's star levels, worked out from its files as they are read.

After a load the recompute records every customer's level (app/services/tier_history.py), reading
each one's bills, points and subscriptions back from the graph: 16.7 s of a 100,000-person `c360
load`. In a first load in bulk those rows pass through this process anyway, so their sums are kept
here by the node they hang on, and the bulk resolution writes each new customer's level with it,
from the same inputs view/tier_facts_by_customers would answer and the same function that decides.
A test loads the same files both ways, with the recompute after, and compares the two graphs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from app.rules import Rules
from app.services.customer_view import TierInputs
from app.tiers import fen, points_year, spend_window


def _month_number(month: str) -> int:
    """A bill's ``YYYY-MM`` as months since year zero."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


# Keys of the flat sums: an account's node times this, plus a month number or a year (both below it).
_SPREAD = 1 << 16


class FileTierInputs:
    """Bills summed by account and month in whole fen, points of the rules' source by account and
    year, the brand of each active subscription; by internal node id. Months and years that had
    left the window when the load began are not kept: the window only moves forward. The sums are
    flat, keyed by account and month (or year) in one integer: a dict per account took about 600
    bytes an account, held through the whole load."""

    def __init__(self, rules: Rules, today: date) -> None:
        self.rules = rules
        self.began = today
        self._window = (today, spend_window(today, rules))
        self.since = self._window[1][0]
        self.year = points_year(today)
        self.spend: dict[int, int] = {}
        self.points: dict[int, Any] = {}
        self.brands: dict[int, str] = {}

    def bill(self, account: int, node: dict[str, Any]) -> None:
        month = node["month"]
        if month >= self.since:
            key = account * _SPREAD + _month_number(month)
            self.spend[key] = self.spend.get(key, 0) + fen(node["amount"])

    def points_of(self, account: int, node: dict[str, Any]) -> None:
        if node["source"] == self.rules.tiers.points_source and node["year"] >= self.year:
            key = account * _SPREAD + node["year"]
            self.points[key] = self.points.get(key, 0) + (node.get("points") or 0)

    def subscription(self, subscription: int, node: dict[str, Any]) -> None:
        if node.get("status") == "active" and node.get("brand") is not None:
            self.brands[subscription] = node["brand"]

    def covers(self, today: date) -> bool:
        """Whether what was kept answers ``today`` (a clock set back before the load began does not)."""
        return today >= self.began

    def sums(self, held: Iterable[tuple[str, int]], today: date) -> TierSums:
        """A customer's sums from the accounts (HAS_ACCOUNT) and subscriptions (OWNS) it holds, as plain
        numbers: a first load gathers them for each customer and hands them to the process deriving it,
        which makes its tier inputs (:func:`tier_inputs`)."""
        if self._window[0] != today:  # one day for the whole run: worked out once, not per customer
            self._window = (today, spend_window(today, self.rules))
        since, until = self._window[1]
        months = range(_month_number(since), _month_number(until) + 1)
        year = points_year(today)
        fen: dict[int, int] = {}
        points: Any = 0
        brands: set[str] = set()
        spend = self.spend
        for relation, node in held:
            if relation == "HAS_ACCOUNT":
                base = node * _SPREAD
                for month in months:
                    amount = spend.get(base + month)
                    if amount is not None:
                        fen[month] = fen.get(month, 0) + amount
                points += self.points.get(base + year, 0)
            elif relation == "OWNS":
                brand = self.brands.get(node)
                if brand is not None:
                    brands.add(brand)
        return tuple(sorted(fen.items())), int(points or 0), tuple(brands)


# A customer's bills in whole fen by month number, its points, its active subscriptions' brands.
TierSums = tuple[tuple[tuple[int, int], ...], int, tuple[str, ...]]


def tier_inputs(sums: TierSums) -> TierInputs:
    by_month, points, brands = sums
    return TierInputs({_month(month): total / 100 for month, total in by_month}, points, frozenset(brands))
