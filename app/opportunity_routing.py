"""Where an opportunity goes and when it is late (DOMAIN.md §8), as pure functions of facts, rules and
a clock, so the capture, the board and the unit tests decide alike.

Routing (the system's first transfer) tries rules.toml [opportunities] routing in order: the customer's
account manager (A; its backup B only while A is on leave, DOMAIN.md §5), else a core agent of the
customer's local network with the network's phone account manager covering, else the operations centre,
which also takes whatever the capturing channel cannot place (no customer). Escalation is computed when
read from the opportunity's events, never stored: a claim deadline turns late while nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import clock
from app.rules import Rules, TimeLimit
from app.working_calendar import UnknownCalendarYear, WorkingCalendar

OPERATIONS_CENTRE = "operations_centre"
# Stages still waiting for a claim, the claimed one, and the two that close an opportunity.
UNCLAIMED = ("captured", "handed_over", "returned")
CLAIMED = "claimed"
CLOSED = ("won", "lost")
# The employee roles of the receivers and the channel each works in.
CHANNEL_OF_ROLE = {
    "account_manager": "account_manager",
    "phone_account_manager": "phone_account_manager",
    "agent": "agent",
    "hall_staff": "service_hall",
    "hotline_agent": "hotline",
    "operations": OPERATIONS_CENTRE,
}


@dataclass(frozen=True, slots=True)
class Manager:
    employee: str
    # A or B (DOMAIN.md §5).
    role: str
    # Whether the employee is on leave today.
    on_leave: bool


@dataclass(frozen=True, slots=True)
class RoutingFacts:
    """What routing knows of the customer; all empty when the channel named none."""

    customer_id: str | None
    managers: Sequence[Manager] = ()
    # Core agents (核心代理商) of the customer's local network, and its phone account managers, by id.
    core_agents: Sequence[str] = ()
    phone_account_managers: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Route:
    # Which rule placed it (app/vocabulary.OPPORTUNITY_ROUTES) and the receiving channel.
    rule: str
    channel: str
    employee: str | None
    covering: str | None
    reason: str


def route(facts: RoutingFacts, rules: Rules) -> Route:
    """The receiver of the first transfer."""
    for rule in rules.opportunities.routing:
        found = _by_rule(rule, facts)
        if found is not None:
            return found
    raise AssertionError("the routing rules end with the operations centre")  # OpportunityRules checks it


def _by_rule(rule: str, facts: RoutingFacts) -> Route | None:
    if rule == "account_manager":
        primary = next((m for m in facts.managers if m.role == "A"), None)
        backup = next((m for m in facts.managers if m.role == "B" and not m.on_leave), None)
        if primary is not None and not primary.on_leave:
            return Route(rule, "account_manager", primary.employee, None, "the customer's account manager (A)")
        if primary is not None and backup is not None:
            why = "the customer's backup account manager (B): A is on leave"
            return Route(rule, "account_manager", backup.employee, None, why)
        return None
    if rule == "core_agent":
        if not facts.core_agents:
            return None
        covering = min(facts.phone_account_managers, default=None)
        return Route(
            rule,
            "agent",
            min(facts.core_agents),
            covering,
            "a core agent of the customer's local network"
            + (", its phone account manager covering" if covering else "")
            + ": the customer has no account manager acting today",
        )
    why = "the channel named no customer" if facts.customer_id is None else "no account manager or core agent"
    return Route(rule, OPERATIONS_CENTRE, None, None, f"the operations centre dispatches: {why}")


def due(start: datetime, limit: TimeLimit, calendar: WorkingCalendar) -> datetime:
    """When a time limit that starts at ``start`` runs out. Raises UnknownCalendarYear for working
    days in a year no calendar knows."""
    if limit.unit == "hours":
        return clock.aware(start) + timedelta(hours=limit.limit)
    return calendar.end_of_working_days(start, limit.limit)


@dataclass(frozen=True, slots=True)
class Step:
    """One event of an opportunity's history, as the escalation rule needs it."""

    kind: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Escalation:
    # app/vocabulary.OPPORTUNITY_ESCALATIONS, or None while on time (or closed).
    reason: str | None
    # When the pending claim or the next step is due; None when closed or in an unknown calendar year.
    due_at: datetime | None
    unknown_calendar: bool

    @property
    def escalated(self) -> bool:
        return self.reason is not None


def escalation(stage: str, steps: Sequence[Step], rules: Rules, calendar: WorkingCalendar, now: datetime) -> Escalation:
    """Whether an open opportunity is late as of ``now``: not claimed within claim_within of its last
    transfer (or capture, or return), or claimed with no step since for stall_after. Steps later than
    ``now`` are not yet known."""
    known = sorted((s for s in steps if clock.aware(s.at) <= clock.aware(now)), key=lambda s: clock.aware(s.at))
    if stage in CLOSED or not known:
        return Escalation(None, None, False)
    last = clock.aware(known[-1].at)
    limit, reason = (
        (rules.opportunities.stall_after, "stalled")
        if stage == CLAIMED
        else (rules.opportunities.claim_within, "unclaimed")
    )
    try:
        deadline = due(last, limit, calendar)
    except UnknownCalendarYear:
        return Escalation(None, None, True)
    return Escalation(reason if clock.aware(now) > deadline else None, deadline, False)
