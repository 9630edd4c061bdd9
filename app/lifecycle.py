"""Lifecycle stages (DOMAIN.md §7): joining, growth, maturity, decline, from tenure, spend trend and
churn signals.

The stage picks the kind of care (a welcome call, value-added services, higher-value offers,
retention), so it must be explainable: the reasons name the rule that decided and what the others
found. The rules and their order are [lifecycle] configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.care_schedule import CustomerFacts
from app.churn import ChurnWarning, churn_warnings, yuan
from app.months import add_months, complete_months
from app.rules import Rules
from app.tiers import fen

StageName = Literal["joining", "growth", "maturity", "decline"]
Finding = tuple[StageName | None, str]


@dataclass(frozen=True, slots=True)
class Stage:
    stage: StageName
    # The deciding rule's reason first, then what the other rules found.
    reasons: tuple[str, ...]


def joined(facts: CustomerFacts) -> date | None:
    """The customer's first day with the operator: the earliest account opened or subscription started."""
    starts = [*facts.accounts_opened, *(s.start_date for s in facts.subscriptions if s.start_date is not None)]
    return min(starts, default=None)


def _churn(warnings: Sequence[ChurnWarning]) -> Finding:
    if not warnings:
        return None, "no churn warning"
    return "decline", "churn warning: " + "; ".join(w.rule for w in warnings)


def _joining(facts: CustomerFacts, rules: Rules, today: date) -> Finding:
    start = joined(facts)
    if start is None:
        return None, "tenure unknown (no account opened or subscription start on record)"
    months = rules.lifecycle.joining_months
    if today < add_months(start, months):
        return "joining", f"joined {start}, within the first {months} month(s)"
    return None, f"joined {start}"


def _spend_trend(facts: CustomerFacts, rules: Rules, today: date) -> Finding:
    """The last months against the ones before, both whole months of tenure: a customer's first, partial
    month would read as growth."""
    lifecycle = rules.lifecycle
    months = complete_months(today, 2 * lifecycle.trend_months)
    previous, recent = months[: lifecycle.trend_months], months[lifecycle.trend_months :]
    start = joined(facts)
    first_year, first_month = map(int, previous[0].split("-"))
    if start is None or start > date(first_year, first_month, 1):
        return None, f"spend trend needs tenure from {previous[0]}"
    before = sum(fen(facts.monthly_spend.get(month, 0.0)) for month in previous)
    after = sum(fen(facts.monthly_spend.get(month, 0.0)) for month in recent)
    words = (
        f"spend {recent[0]}..{recent[-1]} {yuan(after)} yuan against {yuan(before)} yuan "
        f"in {previous[0]}..{previous[-1]}"
    )
    if after * 100 >= before * lifecycle.growth_percent and after > before:
        return "growth", f"{words}: up to {lifecycle.growth_percent}% or more"
    if after * 100 <= before * lifecycle.decline_percent and before > 0:
        return "decline", f"{words}: down to {lifecycle.decline_percent}% or less"
    return None, f"{words}: steady"


def lifecycle_stage(
    facts: CustomerFacts, rules: Rules, today: date, warnings: Sequence[ChurnWarning] | None = None
) -> Stage:
    """The stage on ``today``; ``warnings`` when the caller has computed them already."""
    found = warnings if warnings is not None else churn_warnings(facts, rules, today)
    findings = {
        "churn_warning": _churn(found),
        "joining": _joining(facts, rules, today),
        "spend_trend": _spend_trend(facts, rules, today),
    }
    ordered = [findings[name] for name in rules.lifecycle.order]
    deciding = next((finding for finding in ordered if finding[0] is not None), None)
    if deciding is None:
        return Stage("maturity", ("no rule found joining, growth or decline", *(text for _, text in ordered)))
    stage, reason = deciding
    assert stage is not None
    return Stage(stage, (reason, *(finding[1] for finding in ordered if finding is not deciding)))
