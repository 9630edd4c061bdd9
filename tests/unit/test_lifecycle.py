"""Lifecycle stages (app/lifecycle.py, DOMAIN.md §7): each rule at its threshold, and the order of the
rules deciding between them. Thresholds are set here, not read from the shipped rules.toml."""

from __future__ import annotations

from datetime import date

from app.care_schedule import CustomerFacts, Subscription
from app.churn import ChurnWarning
from app.lifecycle import lifecycle_stage
from app.rules import LifecycleRules, Rules, get_rules

LIFECYCLE = LifecycleRules(
    order=["churn_warning", "joining", "spend_trend"],
    joining_months=3,
    trend_months=3,
    growth_percent=110,
    decline_percent=80,
)
RULES = get_rules().model_copy(update={"lifecycle": LIFECYCLE})
TODAY = date(2026, 2, 10)
PREVIOUS = ("2025-08", "2025-09", "2025-10")
RECENT = ("2025-11", "2025-12", "2026-01")
WARNING = ChurnWarning("competitor_hotline", "2 calls to 10010", date(2026, 2, 1))


def customer(opened: date = date(2024, 1, 1), before: float = 100.0, after: float = 100.0) -> CustomerFacts:
    monthly = {**dict.fromkeys(PREVIOUS, before), **dict.fromkeys(RECENT, after)}
    return CustomerFacts("c1", accounts_opened=(opened,), monthly_spend=monthly)


def stage(
    facts: CustomerFacts, today: date = TODAY, rules: Rules = RULES, warnings: tuple[ChurnWarning, ...] = ()
) -> str:
    return lifecycle_stage(facts, rules, today, list(warnings)).stage


def test_joining_for_the_first_months_counted_from_a_month_end() -> None:
    facts = CustomerFacts("c1", subscriptions=(Subscription("1", "mobile", "active", start_date=date(2026, 1, 31)),))
    assert stage(facts, date(2026, 4, 29)) == "joining"
    assert stage(facts, date(2026, 4, 30)) == "maturity"
    assert lifecycle_stage(facts, RULES, date(2026, 4, 29), []).reasons[0].startswith("joined 2026-01-31")


def test_tenure_is_the_earliest_account_or_subscription() -> None:
    facts = CustomerFacts(
        "c1",
        accounts_opened=(date(2026, 1, 20),),
        subscriptions=(Subscription("1", "mobile", "active", start_date=date(2025, 6, 1)),),
    )
    assert stage(facts) == "maturity"


def test_growth_from_110_percent_of_the_months_before() -> None:
    assert stage(customer(after=110.0)) == "growth"
    assert stage(customer(after=109.99)) == "maturity"
    assert stage(customer(before=0.0, after=1.0)) == "growth"
    assert stage(customer(before=0.0, after=0.0)) == "maturity"


def test_decline_at_80_percent_and_the_reason_names_the_months() -> None:
    declined = lifecycle_stage(customer(after=80.0), RULES, TODAY, [])
    assert declined.stage == "decline"
    assert "2025-11..2026-01 240.00 yuan against 300.00 yuan in 2025-08..2025-10" in declined.reasons[0]
    assert stage(customer(after=80.01)) == "maturity"


def test_no_trend_before_whole_months_of_tenure() -> None:
    assert stage(customer(opened=date(2025, 8, 1), before=10.0)) == "growth"
    assert stage(customer(opened=date(2025, 8, 2), before=10.0)) == "maturity"


def test_a_churn_warning_is_decline_first_unless_the_order_says_otherwise() -> None:
    new = customer(opened=date(2026, 1, 5))
    assert stage(new, warnings=(WARNING,)) == "decline"
    assert lifecycle_stage(new, RULES, TODAY, [WARNING]).reasons[0] == "churn warning: competitor_hotline"
    joining_first = RULES.model_copy(
        update={"lifecycle": LIFECYCLE.model_copy(update={"order": ["joining", "churn_warning"]})}
    )
    assert stage(new, rules=joining_first, warnings=(WARNING,)) == "joining"


def test_the_warnings_are_computed_when_not_given() -> None:
    facts = CustomerFacts(
        "c1",
        accounts_opened=(date(2024, 1, 1),),
        subscriptions=(Subscription("1", "mobile", "active", end_date=date(2026, 2, 20)),),
        monthly_spend=customer().monthly_spend,
    )
    found = lifecycle_stage(facts, RULES, TODAY)
    assert found.stage == "decline" and "contract_expiry" in found.reasons[0]
