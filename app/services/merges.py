"""Merge, unmerge and split customers: reversible, audited, one atomic statement each.

Each operation first reads the customers it touches (status, version, what hangs on
them), asks the hard merge rules and the standing steward decisions, computes the golden
records that will result, then writes in one statement that re-checks the versions it read
and records the steward's decision with the change. A concurrent change makes the statement
match nothing, which is reported as a conflict, never a half-done merge.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app import clock
from app.errors import BadInput, ConflictError, MergeRuleError, NotFoundError
from app.golden.derive import GoldenDeriver, for_update
from app.ids import candidate_id, merge_event_id, new_customer_id, split_customer_id
from app.resolution.constraints import CANNOT, MUST, STANDING, StewardDecision, refuse_joining, refuse_splitting
from app.resolution.merge_rules import check_sides
from app.resolution.prepare import match_record
from app.rules import Rules, get_rules
from app.services import steward_decisions
from app.services.source_records import customer_records
from app.store import Store, cypher

CUSTOMER_STATE = cypher("merge/customer_state")
MERGE = cypher("merge/merge_customers")
UNMERGE = cypher("merge/unmerge")
SPLIT = cypher("merge/split")
EVENT = cypher("merge/event")
HISTORY = cypher("merge/history_of_customers")
EVENT_BY_ID = cypher("merge/event_by_id")

MOVABLE = (
    "records",
    "accounts",
    "subscriptions",
    "contacts",
    "opportunities",
    "cases",
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
        self.rules = rules or get_rules()
        self.deriver = GoldenDeriver(self.rules)

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

    async def check_rules(
        self, left: Sequence[str], right: Sequence[str], departments: Collection[str], what: str
    ) -> None:
        """Refuse, naming the rule and the two values, a join of two sets of records the operator's
        hard rules forbid (the one decision every path asks: app/resolution/merge_rules.py)."""
        rows = {row["id"]: row for row in await customer_records(self.store, sorted({*left, *right}))}
        refusal = check_sides(
            [match_record(rows[r]) for r in left if r in rows],
            [match_record(rows[r]) for r in right if r in rows],
            self.rules.resolution.policy,
            departments,
            reviewed=True,
        )
        if refusal is not None:
            raise MergeRuleError(
                f"{what} refused: {refusal.message()}",
                rule=refusal.rule,
                values=refusal.values,
                department=refusal.department,
            )

    async def _refuse(
        self,
        state: dict[str, Any],
        survivor: str,
        absorbed: str,
        departments: Collection[str],
        candidate: str | None,
    ) -> tuple[list[str], list[StewardDecision]]:
        """The records the two customers would hold together and the standing decisions on them, once the
        hard rules and those decisions allow it; else the refusal (MergeRuleError, or ConflictError
        naming the decisions)."""
        s, a = state[survivor], state[absorbed]
        what = f"merging customer {absorbed!r} into {survivor!r}"
        await self.check_rules(s["records"], a["records"], departments, what)
        together = [*s["records"], *a["records"]]
        standing = await steward_decisions.standing_for(self.store, together)
        refuse_joining(together, standing, ignore=candidate)
        return together, standing

    async def preview(
        self, survivor: str, absorbed: str, departments: Collection[str] = (), candidate: str | None = None
    ) -> tuple[dict[str, Any], MergeRuleError | ConflictError | None]:
        """The golden record merging would write, nothing written, and the refusal the merge would meet."""
        state = await self._state(survivor, absorbed)
        together = [*state[survivor]["records"], *state[absorbed]["records"]]
        try:
            await self._refuse(state, survivor, absorbed, departments, candidate)
            refusal = None
        except (MergeRuleError, ConflictError) as exc:
            refusal = exc
        return await self._golden(together), refusal

    async def merge(
        self,
        survivor: str,
        absorbed: str,
        *,
        decided_by: str,
        departments: Collection[str] = (),
        explanation: dict[str, Any] | None = None,
        candidate: str | None = None,
        pair: tuple[str, str] | None = None,
    ) -> MergeOutcome:
        """``pair``: the two source records the steward's decision names (a candidate's); a manual
        merge names the first record of each customer."""
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
        together, standing = await self._refuse(state, survivor, absorbed, departments, candidate)
        moved = {key: sorted(a[key]) for key in MOVABLE}
        golden = await self._golden(together)
        event = merge_event_id("merge", survivor, absorbed)
        left, right = pair or (_representative(survivor, s["records"]), _representative(absorbed, a["records"]))
        decisions = (
            [
                steward_decisions.decision(
                    MUST,
                    left,
                    right,
                    decided_by=decided_by,
                    why=(explanation or {}).get("reason") or ("approved" if candidate else "merged by hand"),
                    candidate=candidate or candidate_id(left, right),
                    event=event,
                    departments=departments,
                    # The rules were just asked about the two customers as a whole, location included.
                    same_location=True,
                ).row()
            ]
            if left and right
            else []
        )
        ended = [d.id for d in standing if d.kind == CANNOT and candidate and d.candidate == candidate]
        survivor_golden, survivor_cleared = for_update(golden)
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
                "survivor_golden": survivor_golden,
                "survivor_cleared": survivor_cleared,
                "survivor_before": orjson.dumps({k: s[k] for k in MOVABLE}).decode(),
                "absorbed_before": orjson.dumps({k: a[k] for k in MOVABLE}).decode(),
                "decisions": decisions,
                "ended": ended,
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
        # Later decisions must not be broken by giving the absorbed records back.
        made = [d for d in await steward_decisions.of_event(self.store, event) if d.kind == MUST]
        later = [
            d
            for d in await steward_decisions.standing_for(self.store, [*survivor_records, *absorbed_records])
            if d.event != event
        ]
        refuse_splitting(absorbed_records, survivor_records, later)
        # The pair goes back to the queue, kept apart until a steward decides it again.
        keep_apart = [
            steward_decisions.decision(
                CANNOT,
                d.left,
                d.right,
                decided_by=decided_by,
                why=f"merge {event} undone; apart until candidate {d.candidate} is decided",
                candidate=d.candidate,
                event=event,
            ).row()
            for d in made
            if d.status == STANDING
        ]
        returned = [
            steward_decisions.Returned(d.left, d.right, f"merge {event} undone by {decided_by}", "unmerged").row()
            for d in made
            if d.status == STANDING
        ]
        absorbed_golden, absorbed_cleared = for_update(await self._golden(absorbed_records))
        survivor_golden, survivor_cleared = for_update(await self._golden(survivor_records))
        rows = await self.store.write(
            UNMERGE,
            {
                "event": event,
                "now": clock.now_iso(),
                "decided_by": decided_by,
                "absorbed_golden": absorbed_golden,
                "absorbed_cleared": absorbed_cleared,
                "survivor_golden": survivor_golden,
                "survivor_cleared": survivor_cleared,
                "decisions": keep_apart,
                "returned": returned,
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
        remaining = [r for r in state["records"] if r not in chosen]
        refuse_splitting(chosen, remaining, await steward_decisions.standing_for(self.store, state["records"]))
        event = merge_event_id("split", customer, *chosen)
        new_id = split_customer_id(event)
        why = reason or "split by hand"
        first = chosen[0]
        decisions = [
            steward_decisions.decision(MUST, first, other, decided_by=decided_by, why=why, event=event).row()
            for other in chosen[1:]
        ] + [
            steward_decisions.decision(CANNOT, first, other, decided_by=decided_by, why=why, event=event).row()
            for other in remaining
        ]
        old_golden, old_cleared = for_update(await self._golden(remaining))
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
                "old_golden": old_golden,
                "old_cleared": old_cleared,
                "decisions": decisions,
            },
        )
        if not rows:
            raise ConflictError(f"customer {customer!r} changed while splitting; nothing was split")
        return MergeOutcome(event, customer, new_id, int(rows[0]["moved"]))

    async def history(self, customer: str) -> list[dict[str, Any]]:
        return (await merge_histories(self.store, [customer]))[0]


def _representative(customer: str, records: Sequence[str]) -> str:
    """The record a manual merge's decision names for a customer: the one that founded it (the
    customer is named after it), which later merges into it do not change; else its first."""
    return next((r for r in records if new_customer_id(r) == customer), min(records, default=""))


async def merge_histories(store: Store, customers: Sequence[str]) -> list[list[dict[str, Any]]]:
    """Each customer's merge events, newest first, in one read for all of them."""
    found: dict[str, list[dict[str, Any]]] = {c: [] for c in customers}
    for row in await store.read(HISTORY, {"ids": list(customers)}):
        found[row["id"]].append(row["event"])
    return [found[c] for c in customers]


async def merge_event_by_id(store: Store, event_id: str) -> dict[str, Any] | None:
    rows = await store.read(EVENT_BY_ID, {"id": event_id})
    return rows[0]["event"] if rows else None
