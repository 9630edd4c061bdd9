"""The service standards of customers as of now: their open cases with their clocks, the VIP care
they are owed, their churn warnings and lifecycle stage, read in one round trip and computed by the
pure rules (app/sla, app/care_schedule, app/churn, app/lifecycle) at read time, so a deadline or a
breach is never older than the request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app import clock
from app.care_schedule import CareItem, Contact, CustomerFacts, Subscription, care_due
from app.churn import ChurnWarning, churn_warnings
from app.lifecycle import Stage, lifecycle_stage
from app.months import complete_months, months_back
from app.rules import Rules
from app.services.in_flight import started
from app.sla import Case, CaseEvent, SlaState, sla_state
from app.store import Store, cypher
from app.tiers import monthly_spend
from app.working_calendar import working_calendar

CUSTOMER_FACTS = cypher("service/customer_facts")
CARE_OF_EMPLOYEE = cypher("service/care_of_employee")
CARE_CONTACTS_OF_EMPLOYEE = cypher("service/care_contacts_of_employee")
OPEN_CASES_OF_EMPLOYEE = cypher("service/open_cases_of_employee")


@dataclass(frozen=True, slots=True)
class OpenCase:
    """A case with its events and clocks as of the read."""

    case: Case
    events: tuple[CaseEvent, ...]
    customer_id: str | None
    summary: str | None
    state: SlaState


@dataclass(frozen=True, slots=True)
class CustomerService:
    customer_id: str
    facts: CustomerFacts
    cases: tuple[OpenCase, ...]
    care: tuple[CareItem, ...]
    churn: tuple[ChurnWarning, ...]
    stage: Stage


def is_open_item(state: SlaState) -> bool:
    """Work still owed on a case: a deadline not yet met (or one no calendar can place), or its work
    paused. A case whose deadlines were all met waits only for its closing event: no one's work."""
    return state.open and (state.next_due is not None or state.unknown_calendar or state.paused)


def closing_events(rules: Rules) -> list[str]:
    """Events that close a case of some kind; a case with one is no open item."""
    return sorted({"closed", *(e for events in rules.sla.closing_events.values() for e in events)})


def _care_months(rules: Rules) -> int:
    """The longest care interval of any card, in months."""
    cards = rules.care.cards.values()
    return max((max(c.first_visit_months, c.visit_every_months, c.call_every_months) for c in cards), default=0)


def _months_read(rules: Rules) -> int:
    """How many complete months back the rules look: the longest care interval, the churn and
    lifecycle windows."""
    care = _care_months(rules)
    churn_days = max(rules.churn.competitor_hotline.days, rules.churn.repeated_faults.days)
    return max(care + 1, rules.churn.spend_drop.months + 1, 2 * rules.lifecycle.trend_months, churn_days // 28 + 1)


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def open_case(row: dict[str, Any], customer_id: str | None, rules: Rules, now: datetime) -> OpenCase:
    """A case read as maps (``case``, ``events``) with its clocks as of ``now``."""
    raw = row["case"]
    events = [[e["id"], e["event"], e["at"], e.get("employee_record"), e.get("reason")] for e in row["events"]]
    fields = [
        raw["id"],
        raw["kind"],
        raw.get("channel"),
        raw["opened_at"],
        raw.get("employee_record"),
        raw.get("summary"),
    ]
    return clocked([*fields, events], customer_id, rules, now)


def clocked(values: list[Any], customer_id: str | None, rules: Rules, now: datetime) -> OpenCase:
    """A case read as a list ``[id, kind, channel, opened_at, owner, summary, events]``, each event
    ``[id, event, at, employee, reason]``, with its clocks as of ``now``."""
    case_id, kind, channel, opened_at, owner, summary, raw_events = values
    case = Case(case_id, kind, clock.parse(opened_at), owner, channel)
    events = tuple(CaseEvent(e[0], e[1], clock.parse(e[2]), e[3], e[4]) for e in raw_events)
    state = sla_state(case, events, rules, working_calendar(rules), now)
    return OpenCase(case, events, customer_id, summary, state)


def _contact_order(contact: dict[str, Any]) -> tuple[str, str]:
    return contact["at"], contact["id"]


def _facts(row: dict[str, Any]) -> CustomerFacts:
    customer = row["customer"]
    return CustomerFacts(
        customer_id=customer["id"],
        vip_card=customer.get("vip_card") or None,
        vip_card_since=_day(customer.get("vip_card_since")),
        birth_date=_day(customer.get("birth_date")),
        # Oldest first, whichever read brought them (a view's newest-first page or customer_facts).
        contacts=tuple(
            Contact(
                clock.parse(k["at"]),
                k["kind"],
                k.get("mode"),
                k.get("direction"),
                k.get("outcome"),
                k.get("employee_record"),
                k.get("service_no"),
                k.get("called_number"),
            )
            for k in sorted(row["contacts"], key=_contact_order)
        ),
        subscriptions=tuple(
            Subscription(
                s.get("service_no") or "",
                s.get("product_type") or "",
                s.get("status") or "",
                _day(s.get("start_date")),
                _day(s.get("end_date")),
            )
            for s in sorted(row["subscriptions"], key=lambda s: (s.get("service_no") or "", s.get("start_date") or ""))
        ),
        accounts_opened=tuple(sorted(d for d in map(_day, row["opened"]) if d is not None)),
        monthly_spend=monthly_spend(row["bills"]),
    )


@dataclass(frozen=True, slots=True)
class ServiceWindow:
    """How far back a service standing reads as of a day: contacts since an instant, bills of a
    span of months (the longest care interval, the churn and lifecycle windows)."""

    contacts_since: str
    since_month: str
    until_month: str

    @classmethod
    def as_of(cls, rules: Rules, today: date, contacts_since: date | None = None) -> ServiceWindow:
        """Contacts back as far as the rules look, or to ``contacts_since`` when that is earlier."""
        months = _months_read(rules)
        first = min(today - timedelta(days=31 * months), contacts_since or today)
        since = datetime.combine(first, datetime.min.time(), clock.operator_zone())
        return cls(clock.instant(since), complete_months(today, months)[0], months_back(today, 0))


def standing(row: dict[str, Any], rules: Rules, now: datetime, today: date) -> CustomerService:
    """A customer's service standing from what customer_facts (or the view's service parts) read of it:
    ``customer``, ``contacts``, ``subscriptions``, ``opened``, ``bills`` and ``cases``."""
    facts = _facts(row)
    warnings = churn_warnings(facts, rules, today)
    return CustomerService(
        customer_id=facts.customer_id,
        facts=facts,
        cases=tuple(
            sorted(
                (clocked(c, facts.customer_id, rules, now) for c in row["cases"]),
                key=lambda o: (o.state.next_due or datetime.max.replace(tzinfo=UTC), o.case.id),
            )
        ),
        care=tuple(care_due(facts, rules, working_calendar(rules), today)),
        churn=tuple(warnings),
        stage=lifecycle_stage(facts, rules, today, warnings),
    )


async def read_service(
    store: Store, ids: Sequence[str], rules: Rules, *, contacts_since: date | None = None
) -> list[CustomerService | None]:
    """Each customer's service standing as of now, in the order of ``ids`` (None where there is none);
    contacts are read back as far as the rules look, or to ``contacts_since`` when that is earlier."""
    now = clock.now()
    today = clock.today()
    rows = await _customer_facts(store, ids, rules, today, contacts_since)
    found = {row["id"]: standing(row, rules, now, today) for row in rows}
    return [found.get(i) for i in ids]


async def read_facts(
    store: Store, ids: Sequence[str], rules: Rules, *, contacts_since: date | None = None
) -> list[CustomerFacts | None]:
    """The facts alone, as :func:`read_service` reads them: a recompute of care done on time needs
    no churn warnings, case clocks or lifecycle (half the work of a card holder's standing)."""
    rows = await _customer_facts(store, ids, rules, clock.today(), contacts_since)
    found = {row["id"]: _facts(row) for row in rows}
    return [found.get(i) for i in ids]


async def _customer_facts(
    store: Store, ids: Sequence[str], rules: Rules, today: date, contacts_since: date | None
) -> list[dict[str, Any]]:
    window = ServiceWindow.as_of(rules, today, contacts_since)
    return await store.read(
        CUSTOMER_FACTS,
        {
            "ids": list(ids),
            "contacts_since": window.contacts_since,
            "since_month": window.since_month,
            "until_month": window.until_month,
            "closing": closing_events(rules),
        },
    )


@dataclass(frozen=True, slots=True)
class CareStanding:
    """The part of a customer's service standing an employee's due work reads: care owed and cases,
    and how the employee acts for the customer (A; or B, with the colleague's leaves)."""

    customer_id: str
    role: str
    leaves: tuple[tuple[str, str], ...]
    care: tuple[CareItem, ...]
    cases: tuple[OpenCase, ...]


def care_horizon(rules: Rules, today: date) -> date:
    """The first day whose care contacts count: the longest care interval back, and a month more."""
    return today - timedelta(days=31 * (_care_months(rules) + 1))


async def read_care(store: Store, employee: str, start: date, end: date, rules: Rules) -> list[CareStanding]:
    """Care owed by ``end`` and open cases as of now of each customer ``employee`` acts for on a day of
    ``start``..``end``: three reads anchored on the employee, sent at once and worked on as they come
    back (the store executes the later ones while this process reads the contacts and works out care).
    The contacts of a backup's customers it does not act for are read too: that happens while the store
    works, and waiting to know whom it acts for measured 0.5-2.5 ms slower."""
    now = clock.now()
    today = clock.today()
    since = datetime.combine(care_horizon(rules, today), datetime.min.time(), clock.operator_zone())
    days = {"employee": employee, "from": start.isoformat(), "to": end.isoformat()}
    calendar = working_calendar(rules)
    owed: list[tuple[dict[str, Any], tuple[CareItem, ...]]] = []
    async with started(
        store.read(CARE_CONTACTS_OF_EMPLOYEE, {"employee": employee, "since": clock.instant(since)}),
        store.read(CARE_OF_EMPLOYEE, days),
        store.read(OPEN_CASES_OF_EMPLOYEE, {"employee": employee, "closing": closing_events(rules)}),
    ) as (with_contacts, acted_for, with_cases):
        contacts_of = {
            row["id"]: tuple(
                Contact(clock.parse(at), "", mode, "outbound", outcome) for at, mode, outcome in row["contacts"]
            )
            for row in await with_contacts
        }
        for row in await acted_for:
            card, card_since, birth = row["customer"]
            facts = CustomerFacts(
                customer_id=row["id"],
                vip_card=card or None,
                vip_card_since=_day(card_since),
                birth_date=_day(birth),
                contacts=contacts_of.get(row["id"], ()),
            )
            care = tuple(care_due(facts, rules, calendar, today, end)) if facts.vip_card or facts.contacts else ()
            owed.append((row, care))
        cases_of = {row["id"]: row["cases"] for row in await with_cases}
    return [
        CareStanding(
            row["id"],
            row["role"],
            tuple((first, last) for first, last in row["leaves"]),
            care,
            tuple(clocked(c, row["id"], rules, now) for c in cases_of.get(row["id"], ())),
        )
        for row, care in owed
    ]
