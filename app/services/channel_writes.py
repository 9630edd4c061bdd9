"""What channels write: a touch with a customer (recordContact) and new or changed customer
details (submitCustomerRecord). Both become source records like any file's rows, so nothing a
channel said is lost and a batch re-resolution sees them too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import clock
from app import vocabulary as v
from app.errors import NotFoundError
from app.fields import Invalid, a_time, one_of
from app.ids import api_contact_id, api_customer_source_id, record_id
from app.rules import Rules, get_rules
from app.services.contact_planning import violations
from app.services.incremental import RecordDecision, resolve_records
from app.services.source_records import upsert_row
from app.store import Store, cypher

RECORD_CONTACT = cypher("channel/record_contact")


def api_source(channel: str) -> str:
    """Records that arrive through the API are kept under their channel's own source name."""
    return f"api_{channel}"


@dataclass(frozen=True, slots=True)
class ContactInput:
    customer_id: str
    channel: str
    kind: str
    at: str | None
    summary: str | None
    outcome: str | None
    employee_id: str | None
    # How it was made and who started it (visit, call, ...; inbound or outbound). Left out, it stays
    # unset: a channel's kind does not say whether the customer or the employee picked up the phone.
    mode: str | None = None
    direction: str | None = None
    # Marketing touches are the ones the no-repeated-disturbance rules count (app/contact_permission.py);
    # satisfaction is the customer's survey answer about the contact.
    purpose: str | None = None
    satisfaction: str | None = None
    # The plan on the contact work list this touch carries out: marked done and linked.
    plan_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedContact:
    customer_id: str
    contact_id: str
    # The no-repeated-disturbance rules the touch broke (app/vocabulary.CONTACT_RULES): it is
    # recorded all the same, flagged, so nothing a channel did is lost and analysts count it.
    violations: list[str]


async def record_contact(store: Store, contact: ContactInput, caller: str) -> str:
    """Returns the customer id the contact was recorded on (the survivor, for a merged id)."""
    return (await record_touch(store, get_rules(), contact, caller)).customer_id


async def record_touch(store: Store, rules: Rules, contact: ContactInput, caller: str) -> RecordedContact:
    """Records the contact, with the rules it broke when it is outbound marketing."""
    channel = one_of(v.CHANNELS)(contact.channel)
    kind = one_of(v.CONTACT_KINDS)(contact.kind)
    outcome = one_of(v.CONTACT_OUTCOMES)(contact.outcome) if contact.outcome else None
    mode = one_of(v.CONTACT_MODES)(contact.mode) if contact.mode else None
    direction = one_of(v.CONTACT_DIRECTIONS)(contact.direction) if contact.direction else None
    purpose = one_of(v.CONTACT_PURPOSES)(contact.purpose) if contact.purpose else None
    satisfaction = one_of(v.SATISFACTION_RESULTS)(contact.satisfaction) if contact.satisfaction else None
    now = clock.now_iso()
    try:
        # The same rule as a file's contacts, so both store one instant the same way.
        at = a_time(contact.at) if contact.at else now
    except Invalid as exc:
        raise Invalid(f"at: {exc}", [("at", str(exc))]) from None
    source = api_source(channel)
    source_id = api_contact_id(contact.customer_id, at, now, caller)
    rid = record_id(source, "contacts", source_id)
    touch = {"at": at, "purpose": purpose, "direction": direction, "mode": mode}
    broken = await violations(store, rules, contact.customer_id, channel, touch, contact.plan_id) or None
    fields = {
        "customer_id": contact.customer_id,
        "channel": channel,
        "kind": kind,
        "at": at,
        "summary": contact.summary,
        "outcome": outcome,
        "mode": mode,
        "direction": direction,
        "purpose": purpose,
        "satisfaction": satisfaction,
        "employee_id": contact.employee_id,
        "plan_id": contact.plan_id,
        "violations": broken,
        "recorded_by": caller,
    }
    rows = await store.write(
        RECORD_CONTACT,
        {
            "customer": contact.customer_id,
            "id": rid,
            "source": source,
            "source_id": source_id,
            "now": now,
            "plan": contact.plan_id,
            "record": {k: val for k, val in fields.items() if val is not None},
            "node": {
                k: val
                for k, val in {
                    "id": rid,
                    "source": source,
                    "channel": channel,
                    "kind": kind,
                    "at": at,
                    "summary": contact.summary,
                    "outcome": outcome,
                    "mode": mode,
                    "direction": direction,
                    "purpose": purpose,
                    "satisfaction": satisfaction,
                    "violations": broken,
                }.items()
                if val is not None
            },
        },
    )
    if not rows:
        raise NotFoundError(f"no active customer with id {contact.customer_id!r}")
    return RecordedContact(str(rows[0]["customer_id"]), rid, broken or [])


async def submit_customer_record(
    store: Store, channel: str, fields: dict[str, Any]
) -> tuple[RecordDecision, list[tuple[str, str]]]:
    """Validated like a file row; then resolved at once, so the answer names the customer. Also the
    fields set aside (field, reason): the record was kept without them."""
    source = api_source(channel)
    if not fields.get("source_id"):
        fields["source_id"] = api_customer_source_id(fields)
    summary, set_aside = await upsert_row(store, source, "customers", fields)
    rid = record_id(source, "customers", str(fields["source_id"]))
    decisions = await resolve_records(store, [rid])
    decision = decisions[0]
    if not summary.written:
        decision = RecordDecision(rid, decision.customer_id, "unchanged", decision.probability, decision.explanation)
    return decision, set_aside
