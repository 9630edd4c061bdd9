"""Star levels, identification tags and entitlements (分层分级, DOMAIN.md §4), as of a day.

The only place that computes them, so every channel shows the same level; a pure function of the
customer's facts, the rules and the day, so a level can be explained (the months and amounts it came
from) and pinned by tests at fixed dates. The amounts are configuration (the source documents blank
them), per local network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.months import complete_months, months_back
from app.rules import Rules, StarRules

TOP_STAR = 6


def spend_window(today: date, rules: Rules) -> tuple[str, str]:
    """The first and last month whose bills count on ``today``: complete months only, so the month
    in progress (part-billed, or not billed at all) never pulls a level down."""
    return months_back(today, rules.tiers.months), months_back(today, 1)


def points_year(today: date) -> int:
    """Six stars look at the previous calendar year's points (上一年度积分)."""
    return today.year - 1


def fen(amount: Any) -> int:
    """An amount (a number, or a bill's text) in whole fen, so that sums and comparisons of spends are
    exact whatever order the bills were added in."""
    return round(float(amount) * 100)


def monthly_spend(bills: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Billed amount per month over bill rows (``month``, ``amount``), several accounts' bills of one
    month added up in whole fen, so the sum does not depend on the order the rows arrive in."""
    fen_by_month: dict[str, int] = {}
    for bill in bills:
        month = bill["month"]
        fen_by_month[month] = fen_by_month.get(month, 0) + fen(bill["amount"])
    return {month: total / 100 for month, total in fen_by_month.items()}


def average_monthly_spend(monthly: Mapping[str, float], months: int) -> float:
    """Summed in whole fen: a float sum depends on the order the bills arrive in, and the star
    level and the amount shown must not differ between two ways of reading the same bills."""
    return sum(fen(amount) for amount in monthly.values()) / 100 / months if months else 0.0


@dataclass(frozen=True, slots=True)
class TierFacts:
    """What a level is computed from, as read from the graph (or built by hand in a test)."""

    monthly_spend: Mapping[str, float] = field(default_factory=dict)
    points: int = 0
    notable: bool = False
    brands: frozenset[str] = frozenset()
    local_network: str | None = None
    segment: str | None = None
    vip_card: str | None = None
    key_person: bool = False


@dataclass(frozen=True, slots=True)
class MonthSpend:
    month: str
    amount: float


@dataclass(frozen=True, slots=True)
class NextLevel:
    """What the next level takes (准星): a spend line, or points, or a brand."""

    star: int
    spend_line: float | None
    spend_gap: float | None
    points_line: int | None
    points_gap: int | None
    # Within the rules' near_star_share of the line.
    near: bool
    text: str


@dataclass(frozen=True, slots=True)
class Tier:
    star: int
    as_of: date
    rule_set: str
    months: tuple[MonthSpend, ...]
    average_spend: float
    points_year: int
    points: int
    notable: bool
    brand: str | None
    vip_card: str | None
    tags: tuple[str, ...]
    entitlements: tuple[str, ...]
    reason: str
    next_level: NextLevel | None


def rule_set_for(local_network: str | None, rules: Rules) -> tuple[str, StarRules]:
    default = ""
    for name, rule_set in rules.tiers.rule_sets.items():
        if local_network and local_network in rule_set.local_networks:
            return name, rule_set
        if not rule_set.local_networks:
            default = name
    return default, rules.tiers.rule_sets[default]


def spend_star(average: float, brand: str | None, lines: StarRules) -> int:
    if average >= lines.five_star_spend:
        return 5
    if average >= lines.four_star_spend or (brand is not None and average >= lines.four_star_brand_spend):
        return 4
    if average >= lines.three_star_spend:
        return 3
    return 2 if average >= lines.two_star_spend else 1


def _yuan(amount: float) -> str:
    return f"{amount:,.2f}"


def _line_of(star: int, brand: str | None, lines: StarRules) -> float:
    if star == 4:
        return min(lines.four_star_spend, lines.four_star_brand_spend) if brand else lines.four_star_spend
    return {2: lines.two_star_spend, 3: lines.three_star_spend, 5: lines.five_star_spend}.get(star, 0.0)


def _next_level(
    star: int, average: float, points: int, brand: str | None, lines: StarRules, rules: Rules
) -> NextLevel | None:
    share = rules.tiers.near_star_share
    if star >= TOP_STAR:
        return None
    if star == 5:
        short = max(lines.six_star_points - points, 0)
        return NextLevel(
            6,
            None,
            None,
            lines.six_star_points,
            short,
            short <= lines.six_star_points * share,
            f"6 stars: {lines.six_star_points:,} points in a year ({short:,} more than last year's {points:,})",
        )
    line = _line_of(star + 1, brand, lines)
    gap = round(max(line - average, 0.0), 2)
    text = f"{star + 1} stars: an average of {_yuan(line)} yuan a month ({_yuan(gap)} more a month)"
    if star + 1 == 4 and not brand and lines.four_star_brands:
        text += f", or from {_yuan(lines.four_star_brand_spend)} holding {' or '.join(lines.four_star_brands)}"
    return NextLevel(star + 1, line, gap, None, None, gap <= line * share, text)


def tags_of(facts: TierFacts, rules: Rules) -> tuple[str, ...]:
    """The identification tags the facts earn, in the rules' order."""
    earned = []
    for name, tag in rules.tags.items():
        if (
            (tag.when == "key_person" and facts.key_person)
            or (tag.when == "vip_card" and facts.vip_card)
            or (tag.when == "segment" and facts.segment in tag.segments)
            or (tag.when == "brand" and facts.brands & set(tag.brands))
            or (tag.when == "notable" and facts.notable)
        ):
            earned.append(name)
    return tuple(earned)


def entitlements(star: int, vip_card: str | None, tags: Iterable[str], rules: Rules) -> list[str]:
    tagged = set(tags)
    granted = []
    for name, rule in rules.entitlements.items():
        if star >= rule.min_star or (vip_card and vip_card in rule.vip_cards) or not tagged.isdisjoint(rule.tags):
            granted.append(name)
    return granted


@dataclass(frozen=True, slots=True)
class Star:
    """The level and the reason for it, all a recorded level keeps (tiers/record_levels): what the
    recompute of every customer works out, without the explanation a channel shows (Tier)."""

    star: int
    reason: str
    rule_set: str
    lines: StarRules
    months: dict[str, float]
    average: float
    brand: str | None
    points_year: int


def star_as_of(facts: TierFacts, rules: Rules, today: date) -> Star:
    """The level on ``today`` with the reason in words."""
    name, lines = rule_set_for(facts.local_network, rules)
    window = complete_months(today, rules.tiers.months)
    first, last = window[0], window[-1]
    spend = facts.monthly_spend
    used = {m: spend.get(m, 0.0) for m in window}
    average = average_monthly_spend(used, len(window))
    brand = next((b for b in lines.four_star_brands if b in facts.brands), None) if facts.brands else None
    year = points_year(today)
    if facts.notable:
        star, reason = TOP_STAR, "6 stars: marked for notable social standing (社会知名度)"
    elif facts.points >= lines.six_star_points:
        star = TOP_STAR
        reason = f"6 stars: {year} points {facts.points:,} reach the line of {lines.six_star_points:,}"
    else:
        star = spend_star(average, brand, lines)
        line = _line_of(star, brand, lines)
        spent = f"average monthly spend {_yuan(average)} yuan over {first} to {last}"
        if star == 1:
            reason = f"1 star: {spent} is below the 2-star line of {_yuan(lines.two_star_spend)}"
        elif star == 4 and brand and average < lines.four_star_spend:
            reason = f"4 stars: {brand} customer below the 5-star line; {spent} reaches {_yuan(line)}"
        else:
            reason = f"{star} stars: {spent} reaches the {star}-star line of {_yuan(line)}"
    if name != "default":
        reason += f" (rule set {name})"
    return Star(star, reason, name, lines, used, average, brand, year)


def tier_as_of(facts: TierFacts, rules: Rules, today: date) -> Tier:
    """The level on ``today`` with the reason in words and what the next level takes."""
    level = star_as_of(facts, rules, today)
    tags = tags_of(facts, rules)
    return Tier(
        star=level.star,
        as_of=today,
        rule_set=level.rule_set,
        months=tuple(MonthSpend(m, round(a, 2)) for m, a in level.months.items()),
        average_spend=round(level.average, 2),
        points_year=level.points_year,
        points=facts.points,
        notable=facts.notable,
        brand=level.brand,
        vip_card=facts.vip_card,
        tags=tags,
        entitlements=tuple(entitlements(level.star, facts.vip_card, tags, rules)),
        reason=level.reason,
        next_level=_next_level(level.star, level.average, facts.points, level.brand, level.lines, rules),
    )
