"""Opportunity routing and escalation (app/opportunity_routing.py) under the shipped rules.toml
[opportunities], rule by rule (DOMAIN.md §5, §8), with a fixed clock across a weekend and the 2026
National Day holiday (1-7 October off, Saturday 10 October worked). Times are Beijing time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from app.opportunity_routing import Manager, RoutingFacts, Step, escalation, route
from app.rules import OpportunityRules, load_rules
from app.working_calendar import WorkingCalendar

BEIJING = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
CALENDAR = WorkingCalendar(RULES.calendar, BEIJING)


def bj(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def test_the_customers_account_manager_takes_it() -> None:
    facts = RoutingFacts("C1", [Manager("A1", "A", False), Manager("B1", "B", False)], ["agent1"], ["pam1"])
    found = route(facts, RULES)
    assert (found.rule, found.channel, found.employee) == ("account_manager", "account_manager", "A1")
    assert found.covering is None


def test_the_backup_takes_it_only_while_the_primary_is_on_leave() -> None:
    facts = RoutingFacts("C1", [Manager("A1", "A", True), Manager("B1", "B", False)], ["agent1"], ["pam1"])
    found = route(facts, RULES)
    assert (found.channel, found.employee) == ("account_manager", "B1") and "leave" in found.reason
    # A backup alone (its A absent) is no account manager of the customer; both on leave: nobody.
    assert route(RoutingFacts("C1", [Manager("B1", "B", False)], ["agent1"]), RULES).rule == "core_agent"
    both_away = RoutingFacts("C1", [Manager("A1", "A", True), Manager("B1", "B", True)], ["agent1"], ["pam1"])
    assert route(both_away, RULES).employee == "agent1"


def test_without_an_account_manager_a_core_agent_with_the_phone_account_manager_covering() -> None:
    found = route(RoutingFacts("C1", [], ["agent9", "agent2"], ["pam7", "pam3"]), RULES)
    assert (found.rule, found.channel, found.employee, found.covering) == ("core_agent", "agent", "agent2", "pam3")
    alone = route(RoutingFacts("C1", [], ["agent2"], []), RULES)
    assert (alone.employee, alone.covering) == ("agent2", None)


def test_otherwise_or_without_a_customer_the_operations_centre() -> None:
    nobody = route(RoutingFacts("C1", [], [], ["pam3"]), RULES)
    assert (nobody.rule, nobody.channel, nobody.employee) == ("operations_centre", "operations_centre", None)
    unknown = route(RoutingFacts(None), RULES)
    assert unknown.channel == "operations_centre" and "no customer" in unknown.reason


def test_the_routing_order_is_data() -> None:
    rules = RULES.model_copy(update={"opportunities": OpportunityRules(routing=["core_agent", "operations_centre"])})
    facts = RoutingFacts("C1", [Manager("A1", "A", False)], ["agent1"], [])
    assert route(facts, rules).employee == "agent1"
    with pytest.raises(ValidationError):
        OpportunityRules(routing=["operations_centre", "account_manager"])
    with pytest.raises(ValidationError):
        OpportunityRules(routing=["account_manager", "account_manager", "operations_centre"])


def test_unclaimed_past_a_working_day_across_a_weekend() -> None:
    # Handed over on Friday 4 December 15:00: claim due by the end of Monday 7 December.
    steps = [Step("captured", bj(12, 4, 14)), Step("routed", bj(12, 4, 15))]
    sunday = escalation("handed_over", steps, RULES, CALENDAR, bj(12, 6, 20))
    assert (sunday.escalated, sunday.due_at) == (False, bj(12, 8, 0))
    tuesday = escalation("handed_over", steps, RULES, CALENDAR, bj(12, 8, 0, 30))
    assert tuesday.reason == "unclaimed"


def test_unclaimed_across_the_national_day_holiday() -> None:
    # Returned on Wednesday 30 September 17:00: the next working day is Thursday 8 October.
    steps = [Step("routed", bj(9, 30, 9)), Step("returned", bj(9, 30, 17))]
    assert not escalation("returned", steps, RULES, CALENDAR, bj(10, 8, 23)).escalated
    assert escalation("returned", steps, RULES, CALENDAR, bj(10, 9, 0, 1)).reason == "unclaimed"


def test_stalled_after_five_working_days_without_a_step() -> None:
    # Claimed Monday 28 September: 29, 30 September, 8, 9 and Saturday 10 October (worked) are the five.
    steps = [Step("routed", bj(9, 28, 9)), Step("claimed", bj(9, 28, 10))]
    on_time = escalation("claimed", steps, RULES, CALENDAR, bj(10, 10, 23))
    assert (on_time.escalated, on_time.due_at) == (False, bj(10, 11, 0))
    assert escalation("claimed", steps, RULES, CALENDAR, bj(10, 11, 9)).reason == "stalled"


def test_a_closed_opportunity_is_never_escalated_and_later_steps_are_not_yet_known() -> None:
    steps = [Step("routed", bj(9, 1, 9)), Step("claimed", bj(9, 1, 10)), Step("won", bj(9, 2, 10))]
    assert escalation("won", steps, RULES, CALENDAR, bj(12, 1, 9)) == escalation(
        "lost", steps, RULES, CALENDAR, bj(12, 1, 9)
    )
    assert not escalation("won", steps, RULES, CALENDAR, bj(12, 1, 9)).escalated
    # As of 1 September 11:00 the claim was the last step: due five working days on.
    assert escalation("claimed", steps, RULES, CALENDAR, bj(9, 1, 11)).due_at == bj(9, 9, 0)


def test_hours_count_the_clock_not_the_calendar() -> None:
    rules = RULES.model_copy(
        update={"opportunities": OpportunityRules(claim_within={"limit": 4, "unit": "hours"})}  # type: ignore[arg-type]
    )
    steps = [Step("routed", bj(12, 5, 20))]  # a Saturday evening
    assert escalation("handed_over", steps, rules, CALENDAR, bj(12, 6, 0, 1)).reason == "unclaimed"


def test_a_year_no_calendar_knows_is_flagged_not_guessed() -> None:
    steps = [Step("routed", bj(12, 30, 9, year=2030))]
    found = escalation("handed_over", steps, RULES, CALENDAR, bj(12, 31, 9, year=2030))
    assert (found.escalated, found.unknown_calendar) == (False, True)
