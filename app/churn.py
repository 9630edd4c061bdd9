"""Churn warnings (DOMAIN.md §7): the signals of a customer about to leave that the data holds.

Each signal is a rule in [churn] that a province can switch off or tune, and each warning carries its
evidence in words (the months, amounts, numbers and dates used), because a manager calling within 24
hours has to know what to talk about. Zero calls, call forwarding and arrears are not in the data (no
usage records, no payment status): docs/service-standards.md says so rather than a rule guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.care_schedule import Contact, CustomerFacts
from app.months import complete_months
from app.rules import ChurnRules, Rules
from app.tiers import fen

FAULT_REPORT = "fault_report"
CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ChurnWarning:
    rule: str
    evidence: str
    # The first day the signal stood (the dropped month's first day, the first call counted, ...).
    since: date


def yuan(amount_fen: float) -> str:
    return f"{amount_fen / 100:.2f}"


def _spend_drop(facts: CustomerFacts, rules: ChurnRules, today: date) -> ChurnWarning | None:
    rule = rules.spend_drop
    *earlier, last = complete_months(today, rule.months + 1)
    spend = {month: fen(facts.monthly_spend.get(month, 0.0)) for month in (*earlier, last)}
    total = sum(spend[month] for month in earlier)
    if total <= 0 or total < fen(rule.min_average) * len(earlier):
        return None
    if spend[last] * 100 * len(earlier) > total * (100 - rule.drop_percent):
        return None
    average = total / len(earlier)
    listed = ", ".join(f"{month}: {_billed(facts, month, spend[month])}" for month in earlier)
    evidence = (
        f"spend {last}: {_billed(facts, last, spend[last])} yuan against an average of {yuan(average)} yuan over "
        f"{listed}; down {100 - 100 * spend[last] / average:.0f}%, the rule warns from {rule.drop_percent}%"
    )
    year, month = map(int, last.split("-"))
    return ChurnWarning("spend_drop", evidence, date(year, month, 1))


def _billed(facts: CustomerFacts, month: str, amount_fen: int) -> str:
    return yuan(amount_fen) if month in facts.monthly_spend else f"{yuan(0)} (no bill)"


def _in_window(contacts: Sequence[Contact], days: int, today: date) -> list[Contact]:
    """The contacts of the ``days`` days ending with ``today``, oldest first."""
    first = today - timedelta(days=days - 1)
    return sorted((c for c in contacts if first <= c.day <= today), key=lambda c: c.at)


def _competitor_hotline(facts: CustomerFacts, rules: ChurnRules, today: date) -> ChurnWarning | None:
    rule = rules.competitor_hotline
    numbers = {number.strip() for number in rule.numbers}
    calls = [c for c in _in_window(facts.contacts, rule.days, today) if (c.called_number or "").strip() in numbers]
    if len(calls) < rule.min_calls:
        return None
    listed = ", ".join(f"{c.day} to {c.called_number}" for c in calls)
    evidence = f"{len(calls)} call(s) to a competitor's hotline in the {rule.days} days to {today}: {listed}"
    return ChurnWarning("competitor_hotline", evidence, calls[0].day)


def _repeated_faults(facts: CustomerFacts, rules: ChurnRules, today: date) -> ChurnWarning | None:
    rule = rules.repeated_faults
    lines = {s.service_no for s in facts.subscriptions if s.product_type in rule.product_types}
    reports = [
        c for c in _in_window(facts.contacts, rule.days, today) if c.kind == FAULT_REPORT and c.service_no in lines
    ]
    if len(reports) < rule.min_reports:
        return None
    # Days, not numbers: a line's number is personal and the evidence is shown to every channel.
    listed = ", ".join(str(c.day) for c in reports)
    evidence = (
        f"{len(reports)} fault reports on {'/'.join(rule.product_types)} in the {rule.days} days to {today} "
        f"(the rule warns from {rule.min_reports}): {listed}"
    )
    return ChurnWarning("repeated_faults", evidence, reports[0].day)


def _contract_expiry(facts: CustomerFacts, rules: ChurnRules, today: date) -> ChurnWarning | None:
    rule = rules.contract_expiry
    horizon = today + timedelta(days=rule.days)
    due = sorted(
        (
            (s.end_date, s)
            for s in facts.subscriptions
            if s.status != CANCELLED and s.end_date and today <= s.end_date <= horizon
        ),
        key=lambda pair: (pair[0], pair[1].service_no),
    )
    if not due:
        return None
    listed = ", ".join(f"a {s.product_type} line ends {end}" for end, s in due)
    evidence = f"contract(s) ending within {rule.days} days of {today}: {listed}"
    return ChurnWarning("contract_expiry", evidence, due[0][0] - timedelta(days=rule.days))


RULES: dict[str, Callable[[CustomerFacts, ChurnRules, date], ChurnWarning | None]] = {
    "spend_drop": _spend_drop,
    "competitor_hotline": _competitor_hotline,
    "repeated_faults": _repeated_faults,
    "contract_expiry": _contract_expiry,
}


def churn_warnings(facts: CustomerFacts, rules: Rules, today: date) -> list[ChurnWarning]:
    """The warnings that stand for the customer on ``today``, in the order of the rules."""
    found = []
    for name, check in RULES.items():
        if getattr(rules.churn, name).enabled:
            warning = check(facts, rules.churn, today)
            if warning is not None:
                found.append(warning)
    return found
