"""Star levels, tags and entitlements: pure functions of a customer's spend and links.

The thresholds are configuration (the source documents blank out the amounts), so a
province sets its own; every channel gets the same answer because this is the only
place that computes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from app.rules import Rules


def months_back(today: date, months: int) -> str:
    """The first month (YYYY-MM) of the window of ``months`` whole months before ``today``'s month."""
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def average_monthly_spend(monthly: Mapping[str, float], months: int) -> float:
    """Summed in whole fen: a float sum depends on the order the bills arrive in, and the star
    level and the amount shown must not differ between two ways of reading the same bills."""
    return sum(round(amount * 100) for amount in monthly.values()) / 100 / months if months else 0.0


def star_level(average_spend: float, rules: Rules, points: int = 0) -> int:
    if points >= rules.tiers.six_star_points:
        return 6
    level = 0
    for threshold in rules.tiers.star_spend_thresholds:
        if average_spend >= threshold:
            level += 1
    return max(level, 1)


def entitlements(star: int, vip_card: str | None, tags: Iterable[str], rules: Rules) -> list[str]:
    tagged = set(tags)
    granted = []
    for name, rule in rules.entitlements.items():
        if star >= rule.min_star or (vip_card and vip_card in rule.vip_cards) or tagged & set(rule.tags):
            granted.append(name)
    return granted
