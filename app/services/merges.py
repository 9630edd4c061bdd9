"""Merge, unmerge and split customers: reversible, audited, one atomic statement each.

Each operation first reads the customers it touches (status, version, what hangs on
them), computes the golden records that will result, then writes in one statement that
re-checks the versions it read. A concurrent change makes the statement match nothing,
which is reported as a conflict, never a half-done merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app import clock
from app.errors import BadInput, ConflictError, NotFoundError
from app.golden.derive import GoldenDeriver
from app.ids import merge_event_id, split_customer_id
from app.rules import Rules, get_rules
from app.services.source_records import customer_records
from app.store import Store, cypher

CUSTOMER_STATE = cypher("merge/customer_state")
MERGE = cypher("merge/merge_customers")
UNMERGE = cypher("merge/unmerge")
SPLIT = cypher("merge/split")
EVENT = cypher("merge/event")
HISTORY = cypher("merge/history_of_customers")

MOVABLE = (
    "records",
    "accounts",
    "subscriptions",
    "contacts",
    "opportunities",
    "managers",
    "member_of",
    "members",
    "households",
)


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    event_id: str
    survivor: str
    absorbed: str
    moved: int


class Merges:
    def __init__(self, store: Store, rules: Rules | None = None) -> None:
        self.store = store
        self.deriver = GoldenDeriver(rules or get_rules())

    async def _state(self, *ids: str) -> dict[str, dict[str, Any]]:
        rows = await self.store.read(CUSTOMER_STATE, {"ids": list(ids)})
        state = {row["id"]: row for row in rows}
        for wanted in ids:
            if wanted not in state:
                raise NotFoundError(f"no customer with id {wanted!r}")
        return state

    async def _golden(self, record_ids: Sequence[str]) -> dict[str, Any]:
        golden, _ = self.deriver.derive(await customer_records(self.store, sorted(record_ids)))
        return golden

    async def merge(
        self,
        survivor: str,
        absorbed: str,
        *,
        decided_by: str,
        explanation: dict[str, Any] | None = None,
        candidate: str | None = None,
    ) -> MergeOutcome:
        if survivor == absorbed:
            raise BadInput(f"cannot merge customer {survivor!r} into itself")
        state = await self._state(survivor, absorbed)
        for cid in (survivor, absorbed):
            if state[cid]["status"] != "active":
                raise ConflictError(
                    f"customer {cid!r} is {state[cid]['status']}"
                    + (f" into {state[cid]['merged_into']!r}" if state[cid].get("merged_into") else "")
                    + "; only active customers merge"
                )
        s, a = state[survivor], state[absorbed]
        moved = {key: sorted(a[key]) for key in MOVABLE}
        golden = await self._golden([*s["records"], *a["records"]])
        event = merge_event_id("merge", survivor, absorbed)
        rows = await self.store.write(
            MERGE,
            {
                "survivor": survivor,
                "absorbed": absorbed,
                "event": event,
                "now": clock.now_iso(),
                "decided_by": decided_by,
                "explanation": orjson.dumps(explanation or {}).decode(),
                "survivor_version": s["version"],
                "absorbed_version": a["version"],
                "moved": moved,
                "candidate": candidate,
                "survivor_golden": golden,
                "survivor_before": orjson.dumps({k: s[k] for k in MOVABLE}).decode(),
                "absorbed_before": orjson.dumps({k: a[k] for k in MOVABLE}).decode(),
            },
        )
        if not rows:
            what = f"candidate {candidate!r} was decided or " if candidate else ""
            raise ConflictError(
                f"{what}customers {survivor!r} and {absorbed!r} changed while merging; nothing was merged"
            )
        return MergeOutcome(event, survivor, absorbed, int(rows[0]["moved"]))

    async def unmerge(self, event: str, *, decided_by: str) -> MergeOutcome:
        found = await self.store.read(EVENT, {"event": event})
        if not found:
            raise NotFoundError(f"no merge event {event!r}")
        data = found[0]["event"]
        if data.get("kind") != "merge":
            raise BadInput(f"event {event!r} is a {data.get('kind')}, not a merge")
        if data.get("undone_at"):
            raise ConflictError(f"merge event {event!r} was already undone at {data['undone_at']}")
        survivor, absorbed = data["survivor"], data["absorbed"]
        state = await self._state(survivor, absorbed)
        moved_records = set(data.get("moved_records") or [])
        survivor_records = [r for r in state[survivor]["records"] if r not in moved_records]
        absorbed_records = sorted(set(state[absorbed]["records"]) | moved_records)
        rows = await self.store.write(
            UNMERGE,
            {
                "event": event,
                "now": clock.now_iso(),
                "decided_by": decided_by,
                "absorbed_golden": await self._golden(absorbed_records),
                "survivor_golden": await self._golden(survivor_records),
            },
        )
        if not rows:
            raise ConflictError(f"merge event {event!r} could not be undone: it was undone meanwhile")
        return MergeOutcome(event, survivor, absorbed, int(rows[0]["moved"]))

    async def split(
        self, customer: str, record_ids: Sequence[str], *, decided_by: str, reason: str = ""
    ) -> MergeOutcome:
        """Move chosen source records (and what hangs on them) out into a new customer."""
        state = (await self._state(customer))[customer]
        if state["status"] != "active":
            raise ConflictError(f"customer {customer!r} is {state['status']}; only active customers split")
        chosen = sorted(set(record_ids))
        unknown = [r for r in chosen if r not in state["records"]]
        if unknown:
            raise BadInput(f"records {unknown} do not belong to customer {customer!r}")
        if not chosen:
            raise BadInput("name at least one source record to split out")
        if len(chosen) == len(state["records"]):
            raise BadInput(f"cannot split out every record of customer {customer!r}; it would be left empty")
        event = merge_event_id("split", customer, *chosen)
        new_id = split_customer_id(event)
        remaining = [r for r in state["records"] if r not in chosen]
        rows = await self.store.write(
            SPLIT,
            {
                "customer": customer,
                "new_customer": new_id,
                "records": chosen,
                "event": event,
                "now": clock.now_iso(),
                "decided_by": decided_by,
                "version": state["version"],
                "explanation": orjson.dumps({"reason": reason, "records": chosen}).decode(),
                "new_golden": await self._golden(chosen),
                "old_golden": await self._golden(remaining),
            },
        )
        if not rows:
            raise ConflictError(f"customer {customer!r} changed while splitting; nothing was split")
        return MergeOutcome(event, customer, new_id, int(rows[0]["moved"]))

    async def history(self, customer: str) -> list[dict[str, Any]]:
        return (await merge_histories(self.store, [customer]))[0]


async def merge_histories(store: Store, customers: Sequence[str]) -> list[list[dict[str, Any]]]:
    """Each customer's merge events, newest first, in one read for all of them."""
    found: dict[str, list[dict[str, Any]]] = {c: [] for c in customers}
    for row in await store.read(HISTORY, {"ids": list(customers)}):
        found[row["id"]].append(row["event"])
    return [found[c] for c in customers]
