"""Star levels, tags and entitlements (app/tiers.py, DOMAIN.md §4) of hand-built customers at fixed dates.

The shipped rules (app/config/rules.toml) are the operator's table as this product ships it, so the
levels and entitlements here are pinned literally against them: a changed line or a lost entitlement
fails a test. Rules a test needs changed are changed on a copy (``with_lines``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import clock
from app.rules import Entitlement, Rules, StarRules, load_rules
from app.services.customer_view import Relations, TierInputs, tier_of, tier_params
from app.tiers import (
    TierFacts,
    average_monthly_spend,
    entitlements,
    monthly_spend,
    months_back,
    spend_window,
    tier_as_of,
)

RULES = load_rules()
CHINA = timezone(timedelta(hours=8))
# 2026-12-02: the window is June to November 2026, the points year 2025.
DAY = date(2026, 12, 2)
WINDOW = ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")


def spending(monthly: float, months: tuple[str, ...] = WINDOW) -> dict[str, float]:
    return {m: monthly for m in months}


def star(facts: TierFacts, day: date = DAY, rules: Rules = RULES) -> int:
    return tier_as_of(facts, rules, day).star


def with_lines(**lines: object) -> Rules:
    default = RULES.tiers.rule_sets["default"]
    changed = StarRules.model_validate({**default.model_dump(), **lines})
    return RULES.model_copy(update={"tiers": RULES.tiers.model_copy(update={"rule_sets": {"default": changed}})})


def step_back(day: date, months: int) -> str:
    """An independent oracle for months_back: walk back one calendar month at a time."""
    year, month = day.year, day.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year:04d}-{month:02d}"


@pytest.fixture
def set_now() -> Iterator[Callable[[datetime], clock.FixedClock]]:
    previous = clock.set_clock(clock.FixedClock(datetime(2026, 1, 15, 12, 0, tzinfo=UTC)))

    def at(moment: datetime) -> clock.FixedClock:
        fixed = clock.FixedClock(moment)
        clock.set_clock(fixed)
        return fixed

    yield at
    clock.set_clock(previous)


@pytest.mark.parametrize(
    ("monthly", "brands", "expected"),
    [
        (0.0, (), 1),
        (49.99, (), 1),
        (50.0, (), 2),
        (99.99, (), 2),
        (100.0, (), 3),
        (199.99, (), 3),
        (200.0, (), 4),
        (399.99, (), 4),
        (400.0, (), 5),
        (5000.0, (), 5),
        # 全球通 customers below the five-star line are four stars whatever they spend.
        (0.0, ("全球通",), 4),
        (120.0, ("全球通",), 4),
        (399.99, ("全球通",), 4),
        (400.0, ("全球通",), 5),
        # Another brand earns nothing of its own.
        (120.0, ("动感地带",), 3),
    ],
)
def test_the_operators_table_by_average_spend_and_brand(monthly: float, brands: tuple[str, ...], expected: int) -> None:
    assert star(TierFacts(monthly_spend=spending(monthly), brands=frozenset(brands))) == expected


def test_six_stars_from_last_years_points_or_the_manual_flag() -> None:
    assert star(TierFacts(points=50_000)) == 6
    assert star(TierFacts(points=49_999)) == 1
    assert star(TierFacts(notable=True)) == 6
    tier = tier_as_of(TierFacts(points=61_000, monthly_spend=spending(10)), RULES, DAY)
    assert (tier.points_year, tier.next_level) == (2025, None)
    assert tier.reason == "6 stars: 2025 points 61,000 reach the line of 50,000"


def test_the_current_month_never_counts_and_the_window_is_six_complete_months() -> None:
    """December's bills (the month in progress) and May's (a seventh month back) leave the level alone."""
    bills = {**spending(400.0), "2026-12": 100_000.0, "2026-05": 100_000.0}
    tier = tier_as_of(TierFacts(monthly_spend=bills), RULES, DAY)
    assert tier.star == 5
    assert [m.month for m in tier.months] == list(WINDOW)
    assert tier.average_spend == 400.0
    assert spend_window(DAY, RULES) == ("2026-06", "2026-11")


def test_a_missing_month_counts_as_zero() -> None:
    """Five months at 480 and one without bills average 400: five stars, not more."""
    bills = spending(480.0, WINDOW[1:])
    tier = tier_as_of(TierFacts(monthly_spend=bills), RULES, DAY)
    assert (tier.star, tier.average_spend, tier.months[0].amount) == (5, 400.0, 0.0)


@pytest.mark.parametrize(
    ("moment", "window_start", "expected"),
    [
        # 2026-11-30 23:59 in Beijing: November is not complete, the window is May-October.
        (datetime(2026, 11, 30, 23, 59, tzinfo=CHINA), "2026-05", 4),
        # A minute later it is December in Beijing (still 16:00 on 30 November in UTC): June-November.
        (datetime(2026, 12, 1, 0, 0, tzinfo=CHINA), "2026-06", 5),
    ],
)
def test_the_level_turns_at_the_operators_month_end(
    set_now: Callable[[datetime], clock.FixedClock], moment: datetime, window_start: str, expected: int
) -> None:
    """May billed 100, June-November 400 each: May's leaving the window lifts the customer to five stars."""
    set_now(moment.astimezone(UTC))
    bills = {"2026-05": 100.0, **spending(400.0)}
    inputs = TierInputs(spend=bills)
    tier = tier_of({"local_network": "0591"}, inputs, Relations(), RULES)
    assert (tier.months[0].month, tier.star) == (window_start, expected)
    assert tier_params(RULES)["since"] == window_start


def test_the_points_year_turns_at_new_year_in_beijing(set_now: Callable[[datetime], clock.FixedClock]) -> None:
    set_now(datetime(2026, 12, 31, 23, 59, tzinfo=CHINA).astimezone(UTC))
    assert tier_params(RULES)["points_year"] == 2025
    set_now(datetime(2027, 1, 1, 0, 0, tzinfo=CHINA).astimezone(UTC))
    assert tier_params(RULES)["points_year"] == 2026
    assert tier_params(RULES)["since"] == "2026-07"
    assert tier_params(RULES)["until"] == "2026-12"


def test_the_reason_names_the_months_and_amounts_and_the_next_level() -> None:
    tier = tier_as_of(TierFacts(monthly_spend=spending(185.0)), RULES, DAY)
    assert tier.star == 3
    assert (
        tier.reason
        == "3 stars: average monthly spend 185.00 yuan over 2026-06 to 2026-11 reaches the 3-star line of 100.00"
    )
    following = tier.next_level
    assert following is not None
    assert (following.star, following.spend_line, following.spend_gap, following.near) == (4, 200.0, 15.0, True)
    assert "or from 0.00 holding 全球通" in following.text


def test_near_star_is_within_the_configured_share() -> None:
    """Ten per cent of the 400 line is 40: 360 is near five stars, 359.99 is not."""
    near = tier_as_of(TierFacts(monthly_spend=spending(360.0)), RULES, DAY).next_level
    far = tier_as_of(TierFacts(monthly_spend=spending(359.99)), RULES, DAY).next_level
    assert near is not None and far is not None
    assert (near.star, near.near, far.near) == (5, True, False)


def test_five_stars_next_level_is_points() -> None:
    following = tier_as_of(TierFacts(monthly_spend=spending(500.0), points=46_000), RULES, DAY).next_level
    assert following is not None
    assert (following.star, following.points_line, following.points_gap, following.near) == (6, 50_000, 4_000, True)


def test_a_local_networks_rule_set_replaces_the_default_there_only() -> None:
    default = RULES.tiers.rule_sets["default"]
    fuzhou = StarRules.model_validate({**default.model_dump(), "local_networks": ["0591"], "five_star_spend": 300})
    rules = RULES.model_copy(
        update={"tiers": RULES.tiers.model_copy(update={"rule_sets": {"default": default, "fuzhou": fuzhou}})}
    )
    facts = TierFacts(monthly_spend=spending(320.0), local_network="0591")
    tier = tier_as_of(facts, rules, DAY)
    assert (tier.star, tier.rule_set) == (5, "fuzhou")
    assert tier.reason.endswith("(rule set fuzhou)")
    assert tier_as_of(TierFacts(monthly_spend=spending(320.0), local_network="0592"), rules, DAY).star == 4


def test_rule_sets_must_ascend_and_have_one_default() -> None:
    with pytest.raises(ValueError, match="must not fall"):
        with_lines(three_star_spend=20)
    default = RULES.tiers.rule_sets["default"]
    with pytest.raises(ValueError, match="exactly one"):
        RULES.tiers.model_validate(
            {**RULES.tiers.model_dump(), "rule_sets": {"a": default.model_dump(), "b": default.model_dump()}}
        )


def test_bills_adding_up_to_a_line_reach_it_in_every_order() -> None:
    """Summed in fen: bills a float sum puts a hair below 300.00 still average exactly 50.00."""
    bills = [78.46, 41.93, 45.45, 59.76, 72.44, 1.96]
    assert sum(bills) < 300
    averages = {
        average_monthly_spend({f"m{i}": amount for i, amount in enumerate(order)}, 6)
        for order in itertools.permutations(bills)
    }
    assert averages == {50.0}
    assert star(TierFacts(monthly_spend=dict(zip(WINDOW, bills)))) == 2


@settings(max_examples=200, derandomize=True)
@given(today=st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)), months=st.integers(0, 60))
def test_months_back_agrees_with_walking_back_month_by_month(today: date, months: int) -> None:
    assert months_back(today, months) == step_back(today, months)


# The operator's table: what each level (without card or tag) is entitled to, in the configured order.
ALL = ["basic_reminders", "subscribed_reminders", "priority_hotline_access"]
FIVE = [
    "priority_handling",
    "dedicated_counter",
    "special_number_choice",
    "fast_international_roaming",
    "exclusive_large_capacity_card",
    "no_suspension_at_night",
    "delayed_suspension",
    "free_sim_replacement",
    "new_service_rewards",
    "simplified_procedures",
]
SIX = [
    "lounges",
    "clubs",
    "self_set_credit",
    "dedicated_account_manager",
    "handset_repair",
    "mailed_bills",
    "points_rewards",
]
CARD = [
    "delayed_suspension",
    "mailed_bills",
    "points_rewards",
    "airport_service",
    "international_roaming_and_long_distance",
    "spare_sim",
    "suspend_and_resume",
    "dedicated_seat",
    "account_manager_7x24",
]


@pytest.mark.parametrize(
    ("level", "granted"),
    [
        (1, ALL),
        (3, ALL),
        # Outbound service calls by the phone account manager from four stars, not three.
        (4, [*ALL, "outbound_service_calls"]),
        (5, [*ALL, "outbound_service_calls", *FIVE]),
        (6, [*ALL, "outbound_service_calls", *FIVE, *SIX]),
    ],
)
def test_entitlements_by_level(level: int, granted: list[str]) -> None:
    assert entitlements(level, None, [], RULES) == granted


@pytest.mark.parametrize("card", ["diamond", "gold", "silver"])
def test_every_card_brings_the_same_nine_entitlements(card: str) -> None:
    assert set(entitlements(1, card, [], RULES)) == set(ALL) | set(CARD)


def test_an_organisation_key_person_gets_the_five_star_service_at_any_level() -> None:
    assert entitlements(1, None, ["organisation_key_person"], RULES) == [*ALL, *FIVE]
    assert entitlements(1, None, ["frequent_flyer"], RULES) == ALL


def test_an_entitlement_without_min_star_is_never_reached_by_stars() -> None:
    rules = RULES.model_copy(
        update={"entitlements": {"club": Entitlement(tags=["member"]), "reminders": Entitlement(min_star=1)}}
    )
    assert entitlements(6, "diamond", [], rules) == ["reminders"]
    assert entitlements(1, None, ["member"], rules) == ["club", "reminders"]


def test_a_hand_built_key_person_with_a_gold_card() -> None:
    """tier_of (the view's tier): the key-person link becomes its tag, the card 'vip', the segment
    'organisation' only for organisations; entitlements are the union of level, card and tag."""
    customer = {"vip_card": "gold", "segment": "individual", "local_network": "0591"}
    with_clock = clock.set_clock(clock.FixedClock(datetime(2026, 12, 2, 4, 0, tzinfo=UTC)))
    try:
        tier = tier_of(customer, TierInputs(spend=spending(120.0)), Relations(member_of=[{"key_person": True}]), RULES)
    finally:
        clock.set_clock(with_clock)
    assert tier.star == 3
    assert tier.tags == ("organisation_key_person", "vip")
    assert list(tier.entitlements) == [*ALL, *FIVE, "mailed_bills", "points_rewards", *CARD[3:]]


def test_tags_come_from_configuration() -> None:
    rules = RULES.model_copy(
        update={
            "tags": {
                **RULES.tags,
                "gotone": RULES.tags["vip"].model_copy(update={"when": "brand", "brands": ["全球通"]}),
            }
        }
    )
    tier = tier_as_of(TierFacts(brands=frozenset({"全球通"}), segment="enterprise", notable=True), rules, DAY)
    assert tier.tags == ("organisation", "notable", "gotone")


def test_a_rules_file_of_the_release_before_keeps_its_amounts() -> None:
    """[tiers] star_spend_thresholds and six_star_points of release 0.x become the default rule set."""
    old = {"months": 6, "star_spend_thresholds": [0, 60, 120, 240, 480], "six_star_points": 40000}
    tiers = RULES.tiers.model_validate(old)
    lines = tiers.rule_sets["default"]
    assert (lines.two_star_spend, lines.three_star_spend, lines.four_star_spend, lines.five_star_spend) == (
        60,
        120,
        240,
        480,
    )
    assert (lines.six_star_points, lines.four_star_brands) == (40000, [])
    rules = RULES.model_copy(update={"tiers": tiers})
    assert star(TierFacts(monthly_spend=spending(479.99)), rules=rules) == 4
    assert star(TierFacts(monthly_spend=spending(480.0)), rules=rules) == 5


def test_monthly_spend_adds_a_months_bills_in_fen_whatever_their_order() -> None:
    """Two reads of the same bills (a view's, per account; customer_facts', in the graph's order)
    give the same amounts: a float sum would differ in the last digits."""
    june = [120.13, 356.13, 45.67]
    assert june[0] + june[1] + june[2] != june[2] + june[1] + june[0]
    bills = [{"month": "2026-06", "amount": a} for a in june] + [{"month": "2026-07", "amount": 9.99}]
    forward, backward = monthly_spend(bills), monthly_spend(list(reversed(bills)))
    assert forward == backward == {"2026-06": 521.93, "2026-07": 9.99}
