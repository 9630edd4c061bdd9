"""Steward decisions in the graph: read the ones in force, make new ones, end them.

The decisions themselves are written by the statements of the steward actions that make them (a
merge, a rejection, a split, an unmerge), so an action and its decision land together or not at all;
this module builds their rows and reads them back for every resolution path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app import clock
from app.errors import NotFoundError
from app.ids import candidate_id, steward_decision_id
from app.resolution.constraints import (
    CANNOT,
    LAPSED,
    SUSPENDED,
    InForce,
    Kind,
    StewardDecision,
    identity_fingerprint,
    in_force,
)
from app.resolution.merge_rules import Refusal
from app.services.source_records import customer_records
from app.store import Store, cypher

STANDING = cypher("steward/decisions_standing")
OF_RECORDS = cypher("steward/decisions_of_records")
OF_EVENT = cypher("steward/decisions_of_event")
BY_ID = cypher("steward/decision_by_id")
PAGE = cypher("steward/decisions_page")
COUNT = cypher("steward/decisions_count")
END = cypher("steward/end_decisions")
WITHDRAW = cypher("steward/withdraw_decision")


def _decisions(rows: list[dict[str, Any]]) -> list[StewardDecision]:
    return [StewardDecision.from_row(row["decision"]) for row in rows]


async def standing(store: Store) -> list[StewardDecision]:
    return _decisions(await store.read(STANDING))


async def standing_for(store: Store, record_ids: Collection[str]) -> list[StewardDecision]:
    return _decisions(await store.read(OF_RECORDS, {"ids": sorted(record_ids)}))


async def by_id(store: Store, decision_id: str) -> StewardDecision | None:
    found = _decisions(await store.read(BY_ID, {"id": decision_id}))
    return found[0] if found else None


async def of_event(store: Store, event: str) -> list[StewardDecision]:
    return _decisions(await store.read(OF_EVENT, {"event": event}))


async def count(store: Store, *, status: str | None, record: str | None) -> int:
    rows = await store.read(COUNT, {"status": status, "record": record})
    return int(rows[0]["decisions"]) if rows else 0


async def page(
    store: Store, *, status: str | None, record: str | None, first: int, after: tuple[str, str] | None
) -> tuple[list[StewardDecision], bool]:
    rows = await store.read(
        PAGE,
        {
            "status": status,
            "record": record,
            "limit": first + 1,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
        },
    )
    found = _decisions(rows)
    return found[:first], len(found) > first


def decision(
    kind: Kind,
    left: str,
    right: str,
    *,
    decided_by: str,
    why: str,
    candidate: str | None = None,
    event: str | None = None,
    departments: Collection[str] = (),
    fingerprints: tuple[str, str] = ("", ""),
    same_location: bool = False,
) -> StewardDecision:
    return StewardDecision(
        id=steward_decision_id(kind, left, right),
        kind=kind,
        left=left,
        right=right,
        decided_by=decided_by,
        decided_at=clock.now_iso(),
        why=why,
        candidate=candidate,
        event=event,
        left_fingerprint=fingerprints[0],
        right_fingerprint=fingerprints[1],
        departments=tuple(sorted(departments)),
        same_location=same_location,
    )


async def rejection(
    store: Store, left: str, right: str, *, decided_by: str, why: str, candidate: str
) -> StewardDecision:
    """Not the same customer, on the identifying fields both records have now."""
    rows = {row["id"]: row for row in await customer_records(store, [left, right])}
    return decision(
        CANNOT,
        left,
        right,
        decided_by=decided_by,
        why=why,
        candidate=candidate,
        fingerprints=(identity_fingerprint(rows.get(left, {})), identity_fingerprint(rows.get(right, {}))),
    )


@dataclass(frozen=True, slots=True)
class Returned:
    """A pair sent back to the review queue as pending, with why."""

    left: str
    right: str
    note: str
    rule: str
    department: str | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": candidate_id(self.left, self.right),
            "left": self.left,
            "right": self.right,
            "note": self.note,
            "props": {
                "left_record": self.left,
                "right_record": self.right,
                "probability": 0.0,
                "rule": self.rule,
                "department": self.department or "data_stewards",
                "explanation": orjson.dumps({"decision": "review", "policy_rule": self.rule}).decode(),
            },
        }


def suspension(decision: StewardDecision, refusal: Refusal) -> dict[str, Any]:
    """An approval a hard rule now forbids: suspended, its pair back in the queue with the rule."""
    return {
        "id": decision.id,
        "status": SUSPENDED,
        "reason": refusal.message(),
        "returned": Returned(
            decision.left,
            decision.right,
            f"approval {decision.id} suspended: {refusal.message()}",
            refusal.rule,
            refusal.department,
        ).row(),
    }


def lapse(decision: StewardDecision) -> dict[str, Any]:
    """A rejection whose record changed its identifying fields: the pair may be proposed again."""
    return {"id": decision.id, "status": LAPSED, "reason": "a record changed its identifying fields", "returned": None}


async def end(store: Store, ended: Sequence[Mapping[str, Any]]) -> int:
    """``ended``: {id, status, reason, returned (a Returned row or None)}."""
    if not ended:
        return 0
    rows = await store.write(END, {"ended": list(ended), "now": clock.now_iso()})
    return int(rows[0]["ended"]) if rows else 0


async def withdraw(store: Store, decision_id: str, *, decided_by: str, reason: str) -> StewardDecision:
    rows = await store.write(
        WITHDRAW, {"id": decision_id, "decided_by": decided_by, "reason": reason, "now": clock.now_iso()}
    )
    if not rows:
        raise NotFoundError(f"no steward decision {decision_id!r} in force")
    return StewardDecision.from_row(rows[0]["decision"])


async def in_force_for(store: Store, record_ids: Collection[str]) -> InForce:
    """The decisions naming these records that hold, with their current identifying fields."""
    found = await standing_for(store, record_ids)
    if not found:
        return InForce()
    named = sorted({r for d in found for r in (d.left, d.right)})
    fingerprint = {row["id"]: identity_fingerprint(row) for row in await customer_records(store, named)}
    return in_force(found, fingerprint.get)
