"""What channels write: a touch with a customer (recordContact) and new or changed customer
details (submitCustomerRecord). Both become source records like any file's rows, so nothing a
channel said is lost and a batch re-resolution sees them too."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from app import clock
from app.errors import ConflictError, NotFoundError
from app.services.incremental import RecordDecision, resolve_records
from app.store import Store, cypher
from loaders.ingest import ingest_row, record_id
from loaders.validation import Invalid, a_time, one_of
from app import vocabulary as v

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


async def record_contact(store: Store, contact: ContactInput, caller: str) -> str:
    """Returns the customer id the contact was recorded on (the survivor, for a merged id)."""
    try:
        channel = one_of(v.CHANNELS)(contact.channel)
        kind = one_of(v.CONTACT_KINDS)(contact.kind)
        outcome = one_of(v.CONTACT_OUTCOMES)(contact.outcome) if contact.outcome else None
        at = a_time(contact.at) if contact.at else clock.now_iso()
    except Invalid as exc:
        raise ContactRejected(str(exc)) from None
    now = clock.now_iso()
    source = api_source(channel)
    source_id = "K" + hashlib.blake2b(f"{contact.customer_id}|{at}|{now}|{caller}".encode(),
                                      digest_size=8).hexdigest().upper()
    rid = record_id(source, "contacts", source_id)
    fields = {"customer_id": contact.customer_id, "channel": channel, "kind": kind, "at": at,
              "summary": contact.summary, "outcome": outcome, "employee_id": contact.employee_id,
              "recorded_by": caller}
    rows = await store.write(RECORD_CONTACT, {
        "customer": contact.customer_id, "id": rid, "source": source, "source_id": source_id, "now": now,
        "record": {k: val for k, val in fields.items() if val is not None},
        "node": {k: val for k, val in {"id": rid, "source": source, "channel": channel, "kind": kind, "at": at,
                                       "summary": contact.summary, "outcome": outcome}.items() if val is not None}})
    if not rows:
        raise NotFoundError(f"no active customer with id {contact.customer_id!r}")
    return str(rows[0]["customer_id"])


class ContactRejected(ConflictError):
    code = "BAD_USER_INPUT"


async def submit_customer_record(store: Store, channel: str, fields: dict[str, Any]) -> RecordDecision:
    """Validated like a file row; then resolved at once, so the answer names the customer."""
    source = api_source(channel)
    if not fields.get("source_id"):
        basis = "|".join(str(fields.get(k) or "") for k in ("name", "cert_no", "phones", "local_network"))
        fields["source_id"] = "S" + hashlib.blake2b(basis.encode(), digest_size=8).hexdigest().upper()
    summary = await ingest_row(store, source, "customers", fields)
    rid = record_id(source, "customers", str(fields["source_id"]))
    decisions = await resolve_records(store, [rid])
    decision = decisions[0]
    if not summary.written:
        return RecordDecision(rid, decision.customer_id, "unchanged", decision.probability, decision.explanation)
    return decision
