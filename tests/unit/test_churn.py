"""Churn warnings (app/churn.py, DOMAIN.md §7) rule by rule: each fires at its threshold and not just
below it, can be switched off, and names its evidence.

The thresholds are set here explicitly (a copy of the shipped rules with this file's values), so the
boundaries below do not move when a province tunes its rules.toml.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.care_schedule import Contact, CustomerFacts, Subscription
from app.churn import churn_warnings
from app.months import complete_months
from app.rules import (
    ChurnRules,
    CompetitorHotlineRule,
    ContractExpiryRule,
    FaultReportRule,
    Rules,
    SpendDropRule,
    get_rules,
)

CHINA = timezone(timedelta(hours=8))
CHURN = ChurnRules(
    spend_drop=SpendDropRule(months=3, drop_percent=30, min_average=10),
    competitor_hotline=CompetitorHotlineRule(numbers=["10010", "10000"], days=30, min_calls=2),
    repeated_faults=FaultReportRule(product_types=["broadband"], min_reports=3, days=30),
    contract_expiry=ContractExpiryRule(days=30),
)
RULES = get_rules().model_copy(update={"churn": CHURN})
TODAY = date(2026, 2, 10)
BROADBAND = Subscription("0571-88001234", "broadband", "active")
MOBILE = Subscription("13900001111", "mobile", "active")


def only(rule: str, rules: Rules = RULES) -> Rules:
    """The rules with every churn rule but ``rule`` switched off, so a test sees one rule at a time."""
    off = {name: getattr(CHURN, name).model_copy(update={"enabled": name == rule}) for name in type(CHURN).model_fields}
    return rules.model_copy(update={"churn": CHURN.model_copy(update=off)})


def warned(facts: CustomerFacts, rule: str, today: date = TODAY) -> list[str]:
    return [w.evidence for w in churn_warnings(facts, only(rule), today)]


def test_the_shipped_rules_name_the_competitors_not_the_operator() -> None:
    shipped = get_rules().churn
    assert "10086" not in shipped.competitor_hotline.numbers
    assert {"10010", "10000"} <= set(shipped.competitor_hotline.numbers)


@pytest.mark.parametrize(
    ("today", "months"),
    [
        (date(2026, 1, 31), ["2025-10", "2025-11", "2025-12"]),
        (date(2026, 3, 1), ["2025-12", "2026-01", "2026-02"]),
    ],
)
def test_complete_months_never_include_the_current_one(today: date, months: list[str]) -> None:
    assert complete_months(today, 3) == tuple(months)


def spend(last: float | None, earlier: float = 100.0) -> CustomerFacts:
    monthly = {"2025-10": earlier, "2025-11": earlier, "2025-12": earlier}
    return CustomerFacts("c1", monthly_spend=monthly if last is None else {**monthly, "2026-01": last})


def test_spend_drop_fires_at_its_share_and_names_the_months() -> None:
    [warning] = churn_warnings(spend(70.0), only("spend_drop"), TODAY)
    assert (warning.rule, warning.since) == ("spend_drop", date(2026, 1, 1))
    assert "2026-01: 70.00" in warning.evidence and "2025-10: 100.00" in warning.evidence
    assert "100.00 yuan" in warning.evidence and "down 30%" in warning.evidence
    assert warned(spend(70.01), "spend_drop") == []


def test_a_month_without_bills_is_a_drop_to_nothing() -> None:
    [evidence] = warned(spend(None), "spend_drop")
    assert "2026-01: 0.00 (no bill)" in evidence


def test_no_spend_drop_below_the_minimum_average_or_when_switched_off() -> None:
    assert warned(spend(0.0, earlier=9.99), "spend_drop") == []
    assert len(warned(spend(0.0, earlier=10.0), "spend_drop")) == 1
    assert churn_warnings(spend(0.0), only("none"), TODAY) == []


def call(day: date, number: str, kind: str = "query", service_no: str | None = None) -> Contact:
    return Contact(
        datetime(day.year, day.month, day.day, 12, tzinfo=CHINA),
        kind,
        "call",
        "outbound",
        called_number=number,
        service_no=service_no,
    )


def test_calls_to_a_competitors_hotline_fire_from_the_second_in_the_window() -> None:
    first, second = TODAY - timedelta(days=29), TODAY
    [warning] = churn_warnings(
        CustomerFacts("c1", contacts=(call(first, "10010"), call(second, "10000"))), only("competitor_hotline"), TODAY
    )
    assert warning.since == first
    assert f"{first} to 10010" in warning.evidence and f"{second} to 10000" in warning.evidence
    outside = CustomerFacts("c1", contacts=(call(TODAY - timedelta(days=30), "10010"), call(second, "10000")))
    assert warned(outside, "competitor_hotline") == []
    own = CustomerFacts("c1", contacts=(call(first, "10086"), call(second, "10000")))
    assert warned(own, "competitor_hotline") == []


def fault(day: date, service_no: str) -> Contact:
    return Contact(
        datetime(day.year, day.month, day.day, 9, tzinfo=CHINA),
        "fault_report",
        "call",
        "inbound",
        service_no=service_no,
    )


def test_repeated_broadband_faults_fire_at_three_in_thirty_days() -> None:
    days = [TODAY - timedelta(days=29), TODAY - timedelta(days=10), TODAY]
    facts = CustomerFacts(
        "c1", contacts=tuple(fault(d, BROADBAND.service_no) for d in days), subscriptions=(BROADBAND, MOBILE)
    )
    [warning] = churn_warnings(facts, only("repeated_faults"), TODAY)
    assert (warning.rule, warning.since) == ("repeated_faults", days[0])
    assert "3 fault reports" in warning.evidence and str(days[1]) in warning.evidence
    assert BROADBAND.service_no not in warning.evidence
    assert warned(facts, "repeated_faults", TODAY + timedelta(days=1)) == []
    on_mobile = CustomerFacts(
        "c1",
        contacts=(*(fault(d, BROADBAND.service_no) for d in days[1:]), fault(days[0], MOBILE.service_no)),
        subscriptions=(BROADBAND, MOBILE),
    )
    assert warned(on_mobile, "repeated_faults") == []


def test_contract_expiry_fires_from_thirty_days_before_the_end() -> None:
    def ending(day: date, status: str = "active") -> CustomerFacts:
        return CustomerFacts("c1", subscriptions=(Subscription("13900001111", "mobile", status, end_date=day),))

    [warning] = churn_warnings(ending(TODAY + timedelta(days=30)), only("contract_expiry"), TODAY)
    assert (warning.rule, warning.since) == ("contract_expiry", TODAY)
    assert f"ends {TODAY + timedelta(days=30)}" in warning.evidence
    # Every channel reads the evidence: a line's number (a phone) is never in it.
    assert "13900001111" not in warning.evidence
    assert warned(ending(TODAY), "contract_expiry") != []
    assert warned(ending(TODAY + timedelta(days=31)), "contract_expiry") == []
    assert warned(ending(TODAY - timedelta(days=1)), "contract_expiry") == []
    assert warned(ending(TODAY + timedelta(days=5), "cancelled"), "contract_expiry") == []


def test_every_rule_fires_together_in_the_rules_order() -> None:
    facts = CustomerFacts(
        "c1",
        contacts=(
            call(TODAY, "10010"),
            call(TODAY, "10010"),
            *(fault(TODAY - timedelta(days=n), BROADBAND.service_no) for n in range(3)),
        ),
        subscriptions=(Subscription(BROADBAND.service_no, "broadband", "active", end_date=TODAY),),
        monthly_spend=spend(0.0).monthly_spend,
    )
    assert [w.rule for w in churn_warnings(facts, RULES, TODAY)] == [
        "spend_drop",
        "competitor_hotline",
        "repeated_faults",
        "contract_expiry",
    ]
