"""Star levels, the spend window and entitlements (app/tiers.py, DOMAIN.md §4), called directly.

The thresholds are the province's configuration, so every expectation here is computed from the values
get_rules() reads: a province that moves a threshold changes what is expected, not whether the tests
pass. Time comes from a FixedClock (app/clock.py), set around a month end and a year end.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import clock
from app.rules import Entitlement, get_rules
from app.services.customer_view import Relations, spend_since, tier_of
from app.tiers import average_monthly_spend, entitlements, months_back, star_level

RULES = get_rules()
THRESHOLDS = RULES.tiers.star_spend_thresholds
MONTHS = RULES.tiers.months
CHINA = timezone(timedelta(hours=8))


def step_back(day: date, months: int) -> str:
    """An independent oracle for months_back: walk back one calendar month at a time."""
    year, month = day.year, day.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year:04d}-{month:02d}"


@pytest.fixture
def set_now() -> Iterator[Callable[[datetime], clock.FixedClock]]:
    """Installs a FixedClock at the given moment; the previous clock comes back after the test."""
    previous = clock.set_clock(clock.FixedClock(datetime(2026, 1, 15, 12, 0, tzinfo=UTC)))

    def at(moment: datetime) -> clock.FixedClock:
        fixed = clock.FixedClock(moment)
        clock.set_clock(fixed)
        return fixed

    yield at
    clock.set_clock(previous)


def test_the_configured_thresholds_are_ascending_and_start_at_one_star() -> None:
    """The level is counted as 'thresholds reached', which only means a level if they ascend."""
    assert THRESHOLDS == sorted(THRESHOLDS) and len(set(THRESHOLDS)) == len(THRESHOLDS)
    assert 1 <= len(THRESHOLDS) <= 5 and MONTHS >= 1


@pytest.mark.parametrize("level", range(1, len(THRESHOLDS) + 1))
def test_reaching_a_threshold_gives_its_star_and_a_fen_less_does_not(level: int) -> None:
    threshold = THRESHOLDS[level - 1]
    assert star_level(threshold, RULES) == level
    assert star_level(threshold - 0.01, RULES) == max(level - 1, 1)


def test_no_spend_or_a_refund_is_still_one_star_and_no_spend_reaches_six() -> None:
    assert star_level(0.0, RULES) == 1
    assert star_level(-120.0, RULES) == 1
    assert star_level(THRESHOLDS[-1] * 1000, RULES) == len(THRESHOLDS)


def test_six_stars_come_from_last_years_points_not_spend() -> None:
    points = RULES.tiers.six_star_points
    assert star_level(0.0, RULES, points=points) == 6
    assert star_level(0.0, RULES, points=points - 1) == 1
    assert star_level(THRESHOLDS[-1], RULES, points=points - 1) == len(THRESHOLDS)


def test_the_average_is_over_the_whole_window_so_a_missing_month_counts_as_zero() -> None:
    bills = {"2025-10": 120.0, "2025-11": 60.5, "2025-12": 19.5}
    assert average_monthly_spend(bills, MONTHS) == pytest.approx(200.0 / MONTHS)
    assert average_monthly_spend(bills, 0) == 0.0
    assert average_monthly_spend({}, MONTHS) == 0.0


def test_bills_adding_up_to_a_threshold_reach_it_in_every_order() -> None:
    """Summed in fen: six bills a float sum puts a hair below 300.00 (78.46 + 41.93 + ... in this order) still
    average exactly 50.00, and every order of the same bills gives the same amount."""
    bills = [78.46, 41.93, 45.45, 59.76, 72.44, 1.96]
    assert sum(bills) < 300  # the naive float sum falls short
    averages = {
        average_monthly_spend({f"m{i}": amount for i, amount in enumerate(order)}, 6)
        for order in itertools.permutations(bills)
    }
    assert averages == {50.0}


@settings(max_examples=100, derandomize=True, deadline=None)
@given(data=st.data(), level=st.integers(1, len(THRESHOLDS)))
def test_a_window_of_bills_summing_to_a_threshold_reaches_its_star(data: st.DataObject, level: int) -> None:
    """Any split in whole fen of exactly the threshold times the window's months reaches that star."""
    total = round(THRESHOLDS[level - 1] * 100 * MONTHS)
    cuts = sorted(data.draw(st.lists(st.integers(0, total), min_size=MONTHS - 1, max_size=MONTHS - 1)))
    fen = [b - a for a, b in zip([0, *cuts], [*cuts, total])]
    bills = {f"2025-{i + 1:02d}": amount / 100 for i, amount in enumerate(fen)}
    assert star_level(average_monthly_spend(bills, MONTHS), RULES) == level


@pytest.mark.parametrize(
    ("today", "months", "first"),
    [
        (date(2026, 1, 15), 6, "2025-07"),  # across the year end: July to December, six complete months
        (date(2026, 6, 30), 6, "2025-12"),
        (date(2026, 7, 1), 6, "2026-01"),
        (date(2026, 3, 31), 1, "2026-02"),
        (date(2026, 12, 31), 12, "2025-12"),
        (date(2026, 1, 1), 13, "2024-12"),
        (date(2026, 5, 20), 0, "2026-05"),
    ],
)
def test_months_back_gives_the_first_month_of_the_window(today: date, months: int, first: str) -> None:
    assert months_back(today, months) == first


@settings(max_examples=200, derandomize=True)
@given(today=st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)), months=st.integers(0, 60))
def test_months_back_agrees_with_walking_back_month_by_month(today: date, months: int) -> None:
    assert months_back(today, months) == step_back(today, months)


def test_the_spend_window_follows_the_clock_across_a_month_end(set_now: Callable[[datetime], clock.FixedClock]) -> None:
    """Noon UTC to midnight UTC: the same days in UTC and in China (+08:00), so this holds in either."""
    fixed_clock = set_now(datetime(2026, 2, 28, 12, 0, tzinfo=UTC))
    assert spend_since(RULES) == step_back(date(2026, 2, 28), MONTHS)
    fixed_clock.advance(timedelta(hours=12))
    assert spend_since(RULES) == step_back(date(2026, 3, 1), MONTHS)
    assert step_back(date(2026, 3, 1), MONTHS) != step_back(date(2026, 2, 28), MONTHS)


def test_the_spend_window_follows_the_clock_across_a_year_end(set_now: Callable[[datetime], clock.FixedClock]) -> None:
    fixed_clock = set_now(datetime(2025, 12, 31, 12, 0, tzinfo=UTC))
    december = spend_since(RULES)
    fixed_clock.advance(timedelta(days=1))
    january = spend_since(RULES)
    assert (december, january) == (step_back(date(2025, 12, 31), MONTHS), step_back(date(2026, 1, 1), MONTHS))
    if MONTHS == 6:
        assert (december, january) == ("2025-06", "2025-07")


def test_the_spend_window_turns_with_chinas_month_not_utcs(set_now: Callable[[datetime], clock.FixedClock]) -> None:
    """The system clock answers in UTC; 2026-01-31T20:00Z is 2026-02-01 04:00 in China, where January is over."""
    set_now(datetime(2026, 2, 1, 4, 0, tzinfo=CHINA).astimezone(UTC))
    assert spend_since(RULES) == step_back(date(2026, 2, 1), MONTHS)


def test_star_levels_grant_exactly_the_entitlements_they_reach() -> None:
    """Without a card or tag, an entitlement is granted from its min_star up, never below, in config order."""
    for star in range(1, 7):
        granted = entitlements(star, None, [], RULES)
        assert granted == [name for name, rule in RULES.entitlements.items() if star >= rule.min_star], star
    lowest = min(RULES.entitlements.values(), key=lambda rule: rule.min_star)
    assert entitlements(lowest.min_star - 1, None, [], RULES) == []


def test_a_vip_card_grants_its_entitlements_at_one_star() -> None:
    for name, rule in RULES.entitlements.items():
        for card in rule.vip_cards:
            assert name in entitlements(1, card, [], RULES), (name, card)
    carded = {name for name, rule in RULES.entitlements.items() if rule.vip_cards}
    assert carded, "rules.toml grants nothing by VIP card: this test would prove nothing"
    assert set(entitlements(1, "bronze", [], RULES)) == set(entitlements(1, None, [], RULES))


def test_a_tag_grants_its_entitlements_and_an_unknown_tag_grants_nothing() -> None:
    tagged = {name for name, rule in RULES.entitlements.items() if "organisation_key_person" in rule.tags}
    assert tagged
    one_star = set(entitlements(1, None, [], RULES))
    assert set(entitlements(1, None, ["organisation_key_person"], RULES)) == one_star | tagged
    assert set(entitlements(1, None, iter(["frequent_flyer"]), RULES)) == one_star


def test_an_entitlement_without_min_star_is_never_reached_by_stars() -> None:
    rules = RULES.model_copy(
        update={"entitlements": {"club": Entitlement(tags=["member"]), "reminders": Entitlement(min_star=1)}}
    )
    assert entitlements(6, "diamond", [], rules) == ["reminders"]
    assert entitlements(1, None, ["member"], rules) == ["club", "reminders"]


def test_a_customers_tier_combines_spend_card_and_key_person_tag() -> None:
    """tier_of (the view's tier) reads the same rules: the key-person link becomes the tag its
    entitlements name, the card shows as 'vip', and the level comes from the window's bills."""
    spend = {"2025-08": THRESHOLDS[-1] * MONTHS}
    tier = tier_of(
        {"vip_card": "gold", "is_organisation": False},
        spend,
        Relations(member_of=[{"customer_id": "org", "key_person": True}]),
        RULES,
    )
    assert tier.star == len(THRESHOLDS)
    assert tier.average_spend == THRESHOLDS[-1]
    assert tier.tags == ["organisation_key_person", "vip"]
    assert tier.entitlements == entitlements(len(THRESHOLDS), "gold", ["organisation_key_person"], RULES)
