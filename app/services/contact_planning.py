"""No repeated disturbance (不重复打扰) and the unified contact work list (统一客户接触派单, DOMAIN.md §1,
§6, §9): the permission of a touch read from the store and answered by app/contact_permission.py,
plans put on and taken off the work list, consents and opt-outs recorded with their evidence.

Everything is keyed on the resolved customer: a merged id answers for its survivor, whose contacts a
merge moved to it and whose plans and consents are read together with those of every customer merged
into it. A plan is written only if the customer's plans are still as its permission read them (a
version checked in the write), else judged again: two desks planning one customer at once keep one plan.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from app import clock
from app import vocabulary as v
from app.contact_permission import Ask, Consent, Permission, Touch, permission
from app.errors import BadInput, ConflictError, NotFoundError
from app.fields import EARLIEST_TIME, Invalid, one_of
from app.months import add_months
from app.rules import Rules
from app.store import CypherQuery, Store, cypher
from app.working_calendar import working_calendar

FACTS = cypher("contacts/permission_facts")
PLAN = cypher("contacts/plan_contact")
CANCEL = cypher("contacts/cancel_plan")
WORK_LIST = cypher("contacts/work_list")
CONSENT = cypher("contacts/record_consent")
PLANNED = "planned"
# The longest stretch one work-list read covers.
WORK_LIST_DAYS = 31
SUMMARY_MAX = 500
# How often a plan is judged again when other plans for the customer keep arriving meanwhile.
PLAN_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PermissionFacts:
    customer_id: str
    touches: list[Touch]
    consents: list[Consent]
    plan_ids: frozenset[str]
    # The customer's plans as read: a plan judged on these facts is written only if it is still this.
    plans_version: int = 0


@dataclass(frozen=True, slots=True)
class Answer:
    customer_id: str
    permission: Permission


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    customer_id: str
    permission: Permission
    # The plan as stored; None when the permission refused it.
    plan: dict[str, Any] | None


async def read_facts(store: Store, customer_id: str, at: datetime) -> PermissionFacts:
    """Marketing contacts from 30 days before ``at`` (the longest window) onwards, open plans, consents."""
    since = clock.instant(at - timedelta(days=31))
    rows = await store.read(FACTS, {"customer": customer_id, "since": since})
    if not rows:
        raise NotFoundError(f"no active customer with id {customer_id!r}")
    row = rows[0]
    touches = [
        Touch(clock.parse(k["at"]), k["channel"], k.get("purpose"), k.get("direction"), False, k["id"])
        for k in row["contacts"]
        if k.get("id")
    ]
    plans = [p for p in row["plans"] if p.get("id")]
    touches += [
        Touch(clock.parse(p["at"]), p["channel"], p.get("purpose"), p.get("direction"), True, p["id"]) for p in plans
    ]
    consents = [
        Consent(clock.parse(x["at"]), bool(x["granted"]), x.get("mode"), x.get("channel"))
        for x in row["consents"]
        if x.get("id")
    ]
    return PermissionFacts(
        row["customer_id"], touches, consents, frozenset(p["id"] for p in plans), int(row["plans_version"])
    )


async def consents_of(store: Store, customer_id: str) -> tuple[str, list[dict[str, Any]]]:
    """(the live customer's id, its consents and withdrawals as kept, a merged customer's included)."""
    rows = await store.read(FACTS, {"customer": customer_id, "since": clock.now_iso()})
    if not rows:
        raise NotFoundError(f"no active customer with id {customer_id!r}")
    return str(rows[0]["customer_id"]), [dict(x) for x in rows[0]["consents"] if x.get("id")]


EARLIEST_TOUCH = datetime.fromisoformat(EARLIEST_TIME)


def _ask(rules: Rules, channel: str, purpose: str, mode: str | None, at: datetime, planning: bool) -> Ask:
    """A question about a touch; its moment within the days the rules look (a touch in year 1 or 9999
    is a typing error, and the caps' windows around it would fall off the calendar)."""
    moment = clock.aware(at)
    horizon = rules.contact_rules.plan_horizon_days
    if moment < EARLIEST_TOUCH or moment > clock.now() + timedelta(days=horizon):
        reason = f"{moment.isoformat()} is not a plausible time of a touch: from 1900 to {horizon} days from now"
        raise BadInput(f"at {reason}", [("at", reason)])
    return Ask(
        one_of(v.CHANNELS)(channel),
        one_of(v.CONTACT_PURPOSES)(purpose),
        moment,
        one_of(v.CONTACT_MODES)(mode) if mode else None,
        planning,
    )


def judge(rules: Rules, facts: PermissionFacts, ask: Ask, leaving_out: str | None = None) -> Permission:
    """The permission of ``ask`` against ``facts``; ``leaving_out``: the plan the touch carries out."""
    touches = [t for t in facts.touches if t.id != leaving_out]
    quiet = working_calendar(rules).quiet_hours
    return permission(ask, touches, facts.consents, rules.contact_rules, quiet)


async def contact_permission(
    store: Store, rules: Rules, customer_id: str, channel: str, purpose: str, mode: str | None, at: datetime | None
) -> Answer:
    """May ``channel`` touch the customer at ``at`` (now if not given) for ``purpose``?"""
    ask = _ask(rules, channel, purpose, mode, at or clock.now(), True)
    facts = await read_facts(store, customer_id, ask.at)
    return Answer(facts.customer_id, judge(rules, facts, ask))


async def violations(
    store: Store, rules: Rules, customer_id: str, channel: str, contact: dict[str, Any], plan_id: str | None
) -> list[str]:
    """The rules a touch already made broke (codes of app/vocabulary.CONTACT_RULES): only outbound
    marketing can break one. ``plan_id``, when given, must be an open plan of the customer."""
    if plan_id is None and contact.get("purpose") != "marketing":
        return []
    at = clock.parse(contact["at"])
    facts = await read_facts(store, customer_id, at)
    if plan_id is not None and plan_id not in facts.plan_ids:
        raise BadInput(
            f"plan {plan_id!r} is not an open plan of customer {customer_id!r}", [("plan_id", "not an open plan")]
        )
    if contact.get("purpose") != "marketing" or contact.get("direction") == "inbound":
        return []
    ask = _ask(rules, channel, "marketing", contact.get("mode"), at, False)
    return [r.rule for r in judge(rules, facts, ask, leaving_out=plan_id).reasons]


@dataclass(frozen=True, slots=True)
class PlanInput:
    customer_id: str
    channel: str
    purpose: str
    at: datetime
    mode: str | None = None
    employee_id: str | None = None
    summary: str | None = None


async def plan_contact(store: Store, rules: Rules, plan: PlanInput, caller: str) -> PlanOutcome:
    """Put a touch on the work list, unless a rule forbids it then: the answer says why and from when.
    Judged again when another plan for the customer was written between the read and the write."""
    if plan.summary is not None and len(plan.summary) > SUMMARY_MAX:
        raise BadInput(f"summary has more than {SUMMARY_MAX} characters", [("summary", "too long")])
    ask = _ask(rules, plan.channel, plan.purpose, plan.mode, plan.at, True)
    for _ in range(PLAN_ATTEMPTS):
        facts = await read_facts(store, plan.customer_id, ask.at)
        answer = judge(rules, facts, ask)
        if not answer.allowed:
            return PlanOutcome(facts.customer_id, answer, None)
        now = clock.now_iso()
        fields = {
            "channel": ask.channel,
            "purpose": ask.purpose,
            "mode": ask.mode,
            "direction": "outbound",
            "at": clock.instant(ask.at),
            "employee_id": plan.employee_id,
            "summary": plan.summary,
            "status": PLANNED,
            "planned_at": now,
            "planned_by": caller,
        }
        kept = await _kept_on_customer(store, PLAN, facts.customer_id, "CP", fields, seen=facts.plans_version)
        if kept is not None:
            return PlanOutcome(kept[0], answer, kept[1])
    raise ConflictError(f"customer {plan.customer_id!r}: its plans kept changing while this one was judged; try again")


async def _kept_on_customer(
    store: Store, query: CypherQuery, customer_id: str, prefix: str, fields: dict[str, Any], seen: int | None = None
) -> tuple[str, dict[str, Any]] | None:
    """A new plan or consent on the live customer: (its id, the node as kept). A plan (``seen``, the
    plans' version its rules were judged on) is not written, None, when the version moved since."""
    params: dict[str, Any] = {
        "customer": customer_id,
        "id": prefix + secrets.token_hex(8),
        "fields": {k: val for k, val in fields.items() if val is not None},
    }
    rows = await store.write(query, params if seen is None else {**params, "seen": seen})
    if rows:
        return str(rows[0]["customer_id"]), dict(rows[0]["kept"])
    if seen is None:
        raise NotFoundError(f"no active customer with id {customer_id!r}")
    return None


async def cancel_plan(
    store: Store, plan_id: str, reason: str | None, channel: str | None, caller: str
) -> tuple[str, dict[str, Any]]:
    """(customer id, plan) of a plan taken off the list; ``channel``: only a plan of that channel."""
    params = {"id": plan_id, "channel": channel, "now": clock.now_iso(), "caller": caller, "reason": reason}
    rows = await store.write(CANCEL, params)
    if not rows:
        raise NotFoundError(f"no contact plan with id {plan_id!r}" + (f" of channel {channel}" if channel else ""))
    if rows[0]["before"] != PLANNED:
        raise ConflictError(f"contact plan {plan_id!r} is {rows[0]['before']}, not planned: nothing to cancel")
    return str(rows[0]["customer_id"]), dict(rows[0]["plan"])


async def work_list(
    store: Store, channel: str | None, employee: str | None, start: date, end: date
) -> list[tuple[str, dict[str, Any]]]:
    """(customer id, plan) of the days from ``start`` to ``end`` (both in, the operator's calendar)."""
    if end < start or (end - start).days >= WORK_LIST_DAYS:
        raise BadInput(f"from must not be after to, at most {WORK_LIST_DAYS} days", [("to", "out of range")])
    zone = clock.operator_zone()
    bounds = [clock.instant(datetime.combine(d, time(0), tzinfo=zone)) for d in (start, end + timedelta(days=1))]
    rows = await store.read(WORK_LIST, {"channel": channel, "employee": employee, "from": bounds[0], "to": bounds[1]})
    return [(str(r["customer_id"]), dict(r["plan"])) for r in rows]


@dataclass(frozen=True, slots=True)
class ConsentInput:
    customer_id: str
    granted: bool
    evidence: str
    evidence_reference: str
    channel: str
    at: datetime | None = None
    mode: str | None = None
    scope_channel: str | None = None
    employee_id: str | None = None


async def record_consent(store: Store, rules: Rules, consent: ConsentInput, caller: str) -> tuple[str, dict[str, Any]]:
    """A consent to marketing or its withdrawal, for all marketing or one mode or channel, with what
    shows it was given; kept at least the rules' months from when it was given."""
    if not consent.evidence_reference.strip() or len(consent.evidence_reference) > SUMMARY_MAX:
        raise BadInput(
            "evidenceReference must name the form, recording or message (at most 500 characters)",
            [("evidence_reference", "required")],
        )
    at = clock.aware(consent.at) if consent.at else clock.now()
    if at > clock.now() + timedelta(days=1):
        raise BadInput("a consent cannot be given more than a day from now", [("at", "in the future")])
    try:
        fields = {
            "granted": consent.granted,
            "scope": "marketing",
            "mode": one_of(v.CONTACT_MODES)(consent.mode) if consent.mode else None,
            "channel": one_of(v.CHANNELS)(consent.scope_channel) if consent.scope_channel else None,
            "evidence": one_of(v.CONSENT_EVIDENCE)(consent.evidence),
            "evidence_reference": consent.evidence_reference.strip(),
            "evidence_channel": one_of(v.CHANNELS)(consent.channel),
            "employee_id": consent.employee_id,
            "at": clock.instant(at),
            "kept_until": clock.instant(add_months(at, rules.contact_rules.consent_kept_months)),
            "recorded_at": clock.now_iso(),
            "recorded_by": caller,
        }
    except Invalid as exc:
        raise BadInput(str(exc)) from None
    kept = await _kept_on_customer(store, CONSENT, consent.customer_id, "CS", fields)
    assert kept is not None  # a consent is judged on no version: only a missing customer stops it
    return kept
