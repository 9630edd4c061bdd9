"""Every id the product mints, and the content hash of a source row: one place, so two paths
never name the same thing two ways.

Ids are stable where they must be (a record's id from its source, a customer's from its first
record, a candidate's from its pair) and random where two events may otherwise collide.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import orjson

from app import clock


def _digest(text: str, size: int = 8) -> str:
    return hashlib.blake2b(text.encode(), digest_size=size).hexdigest().upper()


def record_id(source: str, kind: str, source_id: str) -> str:
    """A source record: the same row from the same system is the same record on every load."""
    return f"{source}:{kind}:{source_id}"


def record_kind(rid: str) -> str:
    return rid.split(":", 2)[1]


def content_hash(original: dict[str, Any]) -> str:
    """A row's fields as given: an unchanged row is recognised and not written again."""
    return hashlib.blake2b(orjson.dumps(original, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def new_customer_id(first_record: str) -> str:
    """A customer named after the record that founded it, so re-running resolution keeps ids."""
    return "C" + _digest(first_record)


def split_customer_id(event: str) -> str:
    """The customer a steward's split creates, named after the split event."""
    return "C" + _digest(f"split|{event}")


def candidate_id(left: str, right: str) -> str:
    """A merge candidate for a pair of records, whichever order they come in."""
    a, b = sorted((left, right))
    return "MC" + _digest(f"{a}|{b}")


def merge_event_id(kind: str, *parts: str) -> str:
    salt = secrets.token_hex(4)  # two events on the same customers within one clock tick stay distinct
    return "ME" + _digest("|".join((kind, clock.now_iso(), salt, *parts)))


def steward_decision_id(kind: str, left: str, right: str) -> str:
    """A steward's decision on a pair of records; a later decision on the same pair is a new one."""
    a, b = sorted((left, right))
    return "SD" + _digest("|".join((kind, a, b, clock.now_iso(), secrets.token_hex(4))))


def api_contact_id(customer_id: str, at: str, now: str, caller: str) -> str:
    """A contact a channel records through the API (its source id within the channel's source)."""
    return "K" + _digest(f"{customer_id}|{at}|{now}|{caller}")


def api_customer_source_id(fields: dict[str, Any]) -> str:
    """A customer record a channel submits without its own id: the same details, the same record."""
    return "S" + _digest("|".join(str(fields.get(k) or "") for k in ("name", "cert_no", "phones", "local_network")))


def contact_check_id(candidate: str, decided_by: str) -> str:
    """A check a channel made at the contact on a candidate (never derived from the number it read)."""
    return "CK" + _digest("|".join((candidate, decided_by, clock.now_iso(), secrets.token_hex(4))))


def opportunity_step_id(opportunity: str, kind: str) -> str:
    """A step of an opportunity's hand-off, or the opportunity a channel captures (kind "captured"),
    or its call-back (kind "call_back"): two at once on one opportunity stay distinct."""
    return "OP" + _digest("|".join((opportunity, kind, clock.now_iso(), secrets.token_hex(4))))


def resolution_run_id(at: str) -> str:
    """A resolution run: its time first, so the ids sort as the runs ran, and a salt, since a batch run
    and a run of the changes may begin in one clock tick."""
    return f"R{at}-{secrets.token_hex(4)}"
