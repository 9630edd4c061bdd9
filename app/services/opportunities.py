"""The hand-off of opportunities between channels (商机转移, DOMAIN.md §8): a channel captures one, the
system routes it (the first transfer, app/opportunity_routing.py), the receiver claims or returns it,
the operations centre dispatches (second transfers and returned ones), the owner closes it won or lost,
and a won sale gets a call-back (售后回访). Each step is one statement that checks the stage it moves
from, so two claims at once cannot both win, and leaves an event saying who, when, why and to whom.

A captured opportunity is a source record of kind ``opportunities`` under its channel's API source, like
a file's, so a batch re-resolution keeps it on whoever holds the customer's record. Lateness is never
stored: it is computed from the events when read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app import clock
from app import vocabulary as v
from app.errors import BadInput, ConflictError, NotFoundError
from app.fields import Invalid, one_of
from app.ids import opportunity_step_id, record_id
from app.opportunity_routing import (
    CHANNEL_OF_ROLE,
    CLOSED,
    OPERATIONS_CENTRE,
    Escalation,
    Manager,
    RoutingFacts,
    Step,
    due,
    escalation,
    route,
)
from app.record_kinds import KINDS
from app.rules import Rules
from app.services.channel_writes import ContactInput, api_source, record_contact
from app.store import Store, cypher
from app.working_calendar import UnknownCalendarYear, working_calendar

ROUTING_FACTS = cypher("opportunities/routing_facts")
CAPTURE = cypher("opportunities/capture")
CLAIM = cypher("opportunities/claim")
RETURN = cypher("opportunities/return")
DISPATCH = cypher("opportunities/dispatch")
CLOSE = cypher("opportunities/close")
COMPLETE_CALL_BACK = cypher("opportunities/complete_call_back")
BY_IDS = cypher("opportunities/by_ids")
INBOX = cypher("opportunities/inbox")
BOARD = cypher("opportunities/board")
CAPTURED_BY = cypher("opportunities/captured_by")
CALL_BACKS = cypher("opportunities/call_backs")
EMPLOYEE = cypher("opportunities/employee")
KIND = "opportunities"
# The free-text fields a channel gives, checked by the record kind's own rules and lengths.
FREE_TEXT = ("product", "contact_person", "key_person_name", "enterprise_facts")
REASON_MAX = KINDS[KIND].fields["enterprise_facts"].max_length


@dataclass(frozen=True, slots=True)
class Actor:
    """Who takes a step: the channel, the employee (when the key is bound to one) and the key's name."""

    channel: str
    employee: str | None
    caller: str


@dataclass(frozen=True, slots=True)
class Capture:
    kind: str
    need: str
    customer_id: str | None = None
    product: str | None = None
    contact_person: str | None = None
    key_person: bool = False
    key_person_name: str | None = None
    enterprise_facts: str | None = None
    # The capturing channel completed the sale itself: closed won at once, routed for the follow-up.
    completed_by_channel: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class HandOff:
    """One opportunity as read, with its history and its lateness as of the read."""

    opportunity: dict[str, Any]
    customer_id: str | None
    events: list[dict[str, Any]]
    call_back: dict[str, Any] | None
    claimed_by: dict[str, Any] | None
    escalation: Escalation

    @property
    def id(self) -> str:
        return str(self.opportunity["id"])

    @property
    def stage(self) -> str:
        return str(self.opportunity["stage"])

    def involves(self, employee: str | None) -> bool:
        o = self.opportunity
        return employee is not None and employee in (o.get("routed_to"), o.get("covered_by"), o.get("owner"))


@dataclass(frozen=True, slots=True)
class CallBack:
    call_back: dict[str, Any]
    opportunity: str
    customer_id: str | None
    overdue: bool = field(default=False)


def _text(name: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    spec = KINDS[KIND].fields[name]
    cleaned = str(spec.rule(value))
    if len(cleaned) > spec.max_length:
        raise BadInput(f"{name} has {len(cleaned):,} characters, at most {spec.max_length}", [(name, "too long")])
    return cleaned


def _reason(reason: str | None, required: bool) -> str | None:
    if reason is None or not reason.strip():
        if required:
            raise BadInput("say why (reason)", [("reason", "required")])
        return None
    if len(reason) > REASON_MAX:
        raise BadInput(f"reason has {len(reason):,} characters, at most {REASON_MAX}", [("reason", "too long")])
    return reason.strip()


def _event(
    opportunity: str,
    kind: str,
    actor: Actor | None,
    now: str,
    reason: str | None = None,
    to_channel: str | None = None,
    to_employee: str | None = None,
) -> dict[str, Any]:
    """One step's event: who (the actor's channel and employee, or the system), when, why, to whom."""
    event = {
        "id": opportunity_step_id(opportunity, kind),
        "kind": kind,
        "at": now,
        "at_ms": _ms(now),
        "channel": actor.channel if actor else None,
        "employee": actor.employee if actor else None,
        "by_system": actor is None,
        "reason": reason,
        "to_channel": to_channel,
        "to_employee": to_employee,
    }
    return {k: val for k, val in event.items() if val is not None}


def _ms(stored: str) -> int:
    """A stored time in milliseconds, kept beside it so analysts' Cypher can subtract two times."""
    return int(clock.parse(stored).timestamp() * 1000)


def _call_back(opportunity: str, employee: str | None, channel: str, rules: Rules, now: str) -> dict[str, Any]:
    """The call-back after a won sale, due within [opportunities] call_back_within."""
    try:
        due_at: str | None = clock.instant(
            due(clock.parse(now), rules.opportunities.call_back_within, working_calendar(rules))
        )
    except UnknownCalendarYear:
        due_at = None
    task = {
        "id": opportunity_step_id(opportunity, "call_back"),
        "employee": employee,
        "channel": channel,
        "created_at": now,
        "due_at": due_at,
    }
    return {k: val for k, val in task.items() if val is not None}


async def routing_facts(store: Store, customer_id: str | None) -> RoutingFacts:
    if customer_id is None:
        return RoutingFacts(None)
    rows = await store.read(ROUTING_FACTS, {"customer": customer_id, "today": clock.today().isoformat()})
    if not rows:
        raise NotFoundError(f"no active customer with id {customer_id!r}")
    row = rows[0]
    return RoutingFacts(
        str(row["customer_id"]),
        [Manager(m["employee"], m["role"], bool(m["on_leave"])) for m in row["managers"]],
        sorted(row["core_agents"]),
        sorted(row["phone_account_managers"]),
    )


async def capture(store: Store, rules: Rules, captured: Capture, actor: Actor) -> str:
    """Returns the new opportunity's id. Routed at once; a sale the channel completed is won at once and
    routed for its follow-up call-back (a sale in the hall still gets an agent, DOMAIN.md §8)."""
    try:
        kind = one_of(v.OPPORTUNITY_KINDS)(captured.kind)
        need = one_of(v.CONTACT_KINDS)(captured.need)
        texts = {name: _text(name, getattr(captured, name)) for name in FREE_TEXT}
    except Invalid as exc:
        raise BadInput(str(exc)) from None
    note = _reason(captured.note, False)
    facts = await routing_facts(store, captured.customer_id)
    receiver = route(facts, rules)
    now = clock.now_iso()
    source = api_source(actor.channel)
    source_id = opportunity_step_id(facts.customer_id or "", "captured")
    rid = record_id(source, KIND, source_id)
    won = captured.completed_by_channel
    events = [_event(rid, "captured", actor, now, note)]
    if won:
        events.append(_event(rid, "won", actor, now, "the capturing channel completed the sale"))
    events.append(
        _event(
            rid,
            "routed",
            None,
            now,
            ("follow-up of the sale: " if won else "") + receiver.reason,
            receiver.channel,
            receiver.employee,
        )
    )
    stage = "won" if won else ("handed_over" if receiver.employee else "captured")
    node = {
        "id": rid,
        "source": source,
        "kind": kind,
        "need": need,
        "stage": stage,
        "channel": actor.channel,
        "captured_at": now,
        "captured_ms": _ms(now),
        "key_person": captured.key_person,
        "steps": len(events),
        "queue": receiver.channel,
        "routed_to": receiver.employee,
        "covered_by": receiver.covering,
        "captured_by": actor.employee,
        "closed_at": now if won else None,
        **texts,
    }
    record = {
        **{k: val for k, val in node.items() if k in KINDS[KIND].fields},
        "id": rid,
        "source": source,
        "kind": KIND,
        "source_id": source_id,
        "loaded_at": now,
        "changed_at": now,
        "version": 1,
        "recorded_by": actor.caller,
        "captured_by": actor.employee,
    }
    rows = await store.write(
        CAPTURE,
        {
            "customer": facts.customer_id,
            "now": now,
            "record": {k: val for k, val in record.items() if val is not None},
            "node": {k: val for k, val in node.items() if val is not None},
            "events": [{**event, "seq": seq} for seq, event in enumerate(events, 1)],
            "routed": receiver.employee,
            "covering": receiver.covering,
            "call_back": _call_back(rid, receiver.employee, receiver.channel, rules, now) if won else None,
        },
    )
    if not rows:
        raise NotFoundError(f"no active customer with id {captured.customer_id!r}")
    return str(rows[0]["id"])


async def _refused(
    store: Store, rules: Rules, opportunity: str, step: str, actor: Actor
) -> ConflictError | NotFoundError:
    """Why a step found nothing to move: the opportunity as it stands now."""
    found = await read_opportunities(store, rules, [opportunity])
    if not found:
        return NotFoundError(f"no opportunity with id {opportunity!r}")
    o = found[0].opportunity
    holder = o.get("owner") or o.get("routed_to") or o.get("queue")
    if o["stage"] in CLOSED:
        why = f"it is closed ({o['stage']}): a closed opportunity takes no more steps"
    else:
        why = f"it is {o['stage']} with {holder or 'nobody'}, not {actor.employee or actor.channel}"
    return ConflictError(f"cannot {step} opportunity {opportunity}: {why}")


async def claim(store: Store, rules: Rules, opportunity: str, actor: Actor) -> str:
    """The receiver takes responsibility for it (认领): it owns it from then on."""
    if not actor.employee:
        raise BadInput("a claim is an employee's: this key is bound to no employee")
    now = clock.now_iso()
    params = {
        "id": opportunity,
        "employee": actor.employee,
        "now": now,
        "event": _event(opportunity, "claimed", actor, now),
    }
    if not await store.write(CLAIM, params):
        raise await _refused(store, rules, opportunity, "claim", actor)
    return opportunity


async def return_to_centre(store: Store, rules: Rules, opportunity: str, reason: str | None, actor: Actor) -> str:
    """The receiver (or owner) gives it back to the operations centre for re-dispatch, saying why."""
    why = _reason(reason, True)
    if not actor.employee:
        raise BadInput("a return is an employee's: this key is bound to no employee")
    now = clock.now_iso()
    event = _event(opportunity, "returned", actor, now, why, OPERATIONS_CENTRE)
    if not await store.write(RETURN, {"id": opportunity, "employee": actor.employee, "now": now, "event": event}):
        raise await _refused(store, rules, opportunity, "return", actor)
    return opportunity


async def dispatch(
    store: Store, rules: Rules, opportunity: str, employee: str, reason: str | None, actor: Actor
) -> str:
    """The operations centre's transfer to ``employee``, whose role names the receiving channel."""
    why = _reason(reason, False)
    found = await store.read(EMPLOYEE, {"employee": employee})
    channel = CHANNEL_OF_ROLE.get(str(found[0]["role"])) if found else None
    if channel is None:
        raise NotFoundError(f"no employee {employee!r} with a role that takes opportunities")
    now = clock.now_iso()
    event = _event(opportunity, "dispatched", actor, now, why, channel, employee)
    params = {"id": opportunity, "employee": employee, "channel": channel, "now": now, "event": event}
    if not await store.write(DISPATCH, params):
        raise await _refused(store, rules, opportunity, "dispatch", actor)
    return opportunity


async def close(store: Store, rules: Rules, opportunity: str, won: bool, reason: str | None, actor: Actor) -> str:
    """The owner closes it won or lost; a won sale gets its call-back, for the owner."""
    why = _reason(reason, False)
    if not actor.employee:
        raise BadInput("closing is the owner's: this key is bound to no employee")
    stage = "won" if won else "lost"
    now = clock.now_iso()
    params = {
        "id": opportunity,
        "employee": actor.employee,
        "stage": stage,
        "now": now,
        "event": _event(opportunity, stage, actor, now, why),
        "call_back": _call_back(opportunity, actor.employee, actor.channel, rules, now) if won else None,
    }
    if not await store.write(CLOSE, params):
        raise await _refused(store, rules, opportunity, "close", actor)
    return opportunity


def _steps(events: Sequence[dict[str, Any]]) -> list[Step]:
    return [Step(str(e["kind"]), clock.parse(str(e["at"]))) for e in events]


async def read_opportunities(store: Store, rules: Rules, ids: Sequence[str]) -> list[HandOff]:
    """The opportunities with their hand-off, in the order asked (missing ones left out)."""
    if not ids:
        return []
    rows = await store.read(BY_IDS, {"ids": list(ids)})
    calendar, now = working_calendar(rules), clock.now()
    found = {}
    for row in rows:
        o = row["opportunity"]
        events = sorted(row["events"], key=lambda e: (int(e.get("seq") or 0), str(e["at"])))
        late = escalation(str(o["stage"]), _steps(events), rules, calendar, now)
        found[str(o["id"])] = HandOff(o, row["customer_id"], events, row["call_back"], row["claimed_by"], late)
    return [found[i] for i in ids if i in found]


async def hand_offs(store: Store, rules: Rules, ids: Sequence[str]) -> list[HandOff | None]:
    """Each id's opportunity with its hand-off, None where there is none (a DataLoader's batch)."""
    found = {h.id: h for h in await read_opportunities(store, rules, ids)}
    return [found.get(i) for i in ids]


async def inbox(store: Store, rules: Rules, employee: str) -> list[HandOff]:
    """What is routed to, covered by or claimed by the employee, open, newest first."""
    rows = await store.read(INBOX, {"employee": employee})
    return await read_opportunities(store, rules, [str(r["id"]) for r in rows])


async def board(store: Store, rules: Rules) -> list[HandOff]:
    """The operations centre's board: its queue (unassigned), the returned and the escalated, newest first."""
    rows = await store.read(BOARD, {})
    found = await read_opportunities(store, rules, [str(r["id"]) for r in rows])
    return [h for h in found if on_board(h)]


def on_board(found: HandOff) -> bool:
    o = found.opportunity
    return o.get("queue") == OPERATIONS_CENTRE or o["stage"] == "returned" or found.escalation.escalated


async def captured_by(store: Store, rules: Rules, channel: str) -> list[HandOff]:
    """What the channel captured through the API, newest first: it can always see how far it got."""
    rows = await store.read(CAPTURED_BY, {"source": api_source(channel)})
    return await read_opportunities(store, rules, [str(r["id"]) for r in rows])


async def call_backs(store: Store, rules: Rules, employee: str | None, unassigned: bool) -> list[CallBack]:
    """Call-backs not yet done, for the employee (and those for nobody when ``unassigned``), earliest due first."""
    rows = await store.read(CALL_BACKS, {"employee": employee, "unassigned": unassigned})
    return [CallBack(r["call_back"], str(r["opportunity"]), r["customer_id"], overdue(r["call_back"])) for r in rows]


def overdue(call_back: dict[str, Any]) -> bool:
    """Not done and past its due time, as of now."""
    due_at = call_back.get("due_at")
    return not call_back.get("done_at") and bool(due_at) and clock.parse(str(due_at)) < clock.now()


@dataclass(frozen=True, slots=True)
class CallBackDone:
    summary: str | None
    outcome: str | None
    satisfaction: str | None


async def complete_call_back(store: Store, call_back: str, done: CallBackDone, actor: Actor, anyone: bool) -> str:
    """Marks the call-back done (once: a second completion is refused) and records the call as a contact
    on the customer, with the survey's answer. Returns the customer id."""
    now = clock.now_iso()
    params = {"id": call_back, "employee": actor.employee, "anyone": anyone, "now": now, "done_by": actor.caller}
    rows = await store.write(COMPLETE_CALL_BACK, params)
    if not rows:
        raise ConflictError(f"call-back {call_back} is done already, is another employee's, or does not exist")
    customer = rows[0]["customer_id"]
    if customer is None:
        raise NotFoundError(f"call-back {call_back} is done; its opportunity has no customer to record the call on")
    contact = ContactInput(
        str(customer),
        actor.channel,
        str(rows[0]["need"]),
        None,
        done.summary or f"call-back after the sale (opportunity {rows[0]['opportunity']})",
        done.outcome,
        actor.employee,
        mode="call",
        direction="outbound",
        purpose="service",
        satisfaction=done.satisfaction,
    )
    return await record_contact(store, contact, actor.caller)
