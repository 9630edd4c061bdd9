"""Incremental resolution: new and changed customer records find their customer as they land.

Each record is scored against the stored records it shares a certificate, phone, e-mail or
name with, using the model of the last batch run; the linker's decision (policy first, then
thresholds) says whether it joins the best customer, goes to the steward's queue, or starts
a customer of its own. As in a batch run, the steward's decisions on the record come first and
every join asks the hard merge rules about the whole customer, not only the best-matching
record. A later batch run may revise these decisions; this keeps the view current in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from app import clock
from app.errors import ConflictError
from app.golden.derive import GoldenDeriver, for_update
from app.resolution.clustering import KEPT_APART
from app.resolution.linker import Linker, PairDecision
from app.resolution.merge_rules import Refusal, check_sides
from app.resolution.prepare import match_record
from app.resolution.records import MatchRecord
from app.rules import Rules, get_rules
from app.services import steward_decisions
from app.services.matching import REVIEWABLE, NoModelError, candidates_for, customer_refusal
from app.services.resolve import (
    WRITE_CANDIDATES,
    WRITE_CUSTOMERS,
    _candidate_row,
    _fresh_customer_id,
    attach_holdings,
    latest_model,
)
from app.services.source_records import customer_records
from app.store import Store, cypher

CUSTOMER_OF = cypher("resolve/customers_of_records")
RECORDS_OF_CUSTOMER = cypher("resolve/records_of_customers")
RETIRE_IF_EMPTY = cypher("resolve/retire_if_empty")
CUSTOMER_VERSIONS = cypher("view/customer_versions")
# How often a record is placed again when the customer it was to join changed meanwhile.
PLACING_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class RecordDecision:
    record_id: str
    customer_id: str
    decision: str  # merge | review | new | unchanged
    probability: float | None
    explanation: dict[str, Any]


async def resolve_records(store: Store, record_ids: Sequence[str], rules: Rules | None = None) -> list[RecordDecision]:
    rules = rules or get_rules()
    model = await latest_model(store)
    if model is None:
        raise NoModelError(
            "no resolution run has trained a model for the current comparisons yet; run `c360 resolve` once"
        )
    placing = _Placing(store, Linker(rules.resolution, model), rules)
    now = clock.now_iso()
    rows = await customer_records(store, list(record_ids))
    owners = {r["id"]: r["customer_id"] for r in await store.read(CUSTOMER_OF, {"ids": list(record_ids)})}
    decisions = []
    for row in rows:
        for _ in range(PLACING_ATTEMPTS):
            placed = await placing.place(row, owners.get(row["id"]))
            manager = await _write_placed(store, placing, row, placed, now)
            if manager is not _CHANGED:
                break
        else:
            raise ConflictError(
                f"record {row['id']}: the customers it could join kept changing while it was placed "
                f"({PLACING_ATTEMPTS} tries); run it again"
            )
        target, decision, why, review = placed.customer, placed.decision, placed.why, placed.review
        reason = placed.explanation()
        await attach_holdings(store, [{"id": target, "records": [row["id"]], "manager": manager}])
        if review is not None:
            await store.write(
                WRITE_CANDIDATES,
                {"now": now, "candidates": [_candidate_row(review, {**placing.customer_of, row["id"]: target}, now)]},
            )
        if placed.suspended:
            await steward_decisions.end(store, placed.suspended)
        current = owners.get(row["id"])
        if current and current != target:
            await store.write(RETIRE_IF_EMPTY, {"ids": [current], "now": now})
        decisions.append(RecordDecision(row["id"], target, decision, why.probability if why else None, reason))
    return decisions


@dataclass(slots=True)
class _Placed:
    customer: str
    decision: str
    why: PairDecision | None = None
    review: PairDecision | None = None
    reason: dict[str, Any] = field(default_factory=dict)
    suspended: list[dict[str, Any]] = field(default_factory=list)
    # How the hard rules were asked about joining ``customer`` (a steward's must-link: as reviewed).
    departments: Sequence[str] = ()
    reviewed: bool = False

    def explanation(self) -> dict[str, Any]:
        """Why the record went where it did: the pair's comparison, or the rule that placed it."""
        if isinstance(self.why, PairDecision):
            return self.why.explanation()
        return {"decision": self.decision, **self.reason}


_CHANGED = object()


async def _write_placed(store: Store, placing: _Placing, row: dict[str, Any], placed: _Placed, now: str) -> Any:
    """Link the record to the customer it was placed on, with the customer's new golden record; the
    manager the record names, or ``_CHANGED`` when that customer changed since it was asked about.

    Two records placed at once (two ingests, an ingest and the API) may each be allowed to join one
    customer and together break a hard rule (two certificates). So the customer's version is read,
    the rules are asked again of its records as of that version, and the write links the record only
    if the version still holds: the later of the two finds it changed and is placed again.
    """
    target = placed.customer
    live = await store.read(CUSTOMER_VERSIONS, {"ids": [target]})
    version = live[0]["version"] if live else None
    if live and live[0]["id"] != target:
        return _CHANGED  # merged into another since it was chosen
    members = await store.read(RECORDS_OF_CUSTOMER, {"ids": [target]}) if live else []
    record_rows = await customer_records(store, sorted({m["record"] for m in members} | {row["id"]}))
    if placed.decision in ("merge", "unchanged"):
        others = [match_record(r) for r in record_rows if r["id"] != row["id"]]
        refusal = check_sides(others, [match_record(row)], placing.policy, placed.departments, reviewed=placed.reviewed)
        if refusal is not None:
            return _CHANGED
    golden, manager = placing.deriver.derive(record_rows)
    props, cleared = for_update(golden)
    customer = {
        "id": target,
        "props": props,
        "cleared": cleared,
        "records": [{"id": row["id"], "why": _why_json(placed.explanation(), placed.decision, placed.why)}],
        "version": version,
    }
    linked = await store.write(WRITE_CUSTOMERS, {"now": now, "customers": [customer]})
    return manager if linked and linked[0]["linked"] else _CHANGED


class _Placing:
    """Where one record belongs, asking what batch resolution asks: the steward's decisions first,
    then the best match whose customer the hard rules let it join."""

    def __init__(self, store: Store, linker: Linker, rules: Rules) -> None:
        self.store = store
        self.linker = linker
        self.policy = rules.resolution.policy
        self.deriver = GoldenDeriver(rules)
        self.customer_of: dict[str, str] = {}

    async def place(self, row: dict[str, Any], current: str | None) -> _Placed:
        probe = match_record(row)
        decisions = await steward_decisions.in_force_for(self.store, [row["id"]])
        lapsed = [steward_decisions.lapse(d) for d in decisions.lapsed]
        partners = {d.right if d.left == row["id"] else d.left: d for d in decisions.must}
        apart = {d.right if d.left == row["id"] else d.left for d in decisions.cannot}
        named = sorted(partners.keys() | apart)
        owners = (
            {r["id"]: r["customer_id"] for r in await self.store.read(CUSTOMER_OF, {"ids": named})} if named else {}
        )
        suspended: list[dict[str, Any]] = lapsed
        for partner, must in partners.items():
            customer = owners.get(partner)
            if not customer:
                continue
            refusal = await self._refusal(customer, probe, must.departments, reviewed=True)
            if refusal is None and await self._kept_apart(customer, apart, owners):
                refusal = Refusal(KEPT_APART, (row["id"], partner))
            if refusal is None:
                return _Placed(
                    customer,
                    "merge",
                    reason={"steward_decision": must.id},
                    suspended=suspended,
                    departments=must.departments,
                    reviewed=True,
                )
            suspended.append(steward_decisions.suspension(must, refusal))
        stored = [
            r
            for r in await candidates_for(self.store, probe, str(row.get("name") or "") or None)
            if r["id"] != row["id"] and r.get("customer_id")
        ]
        self.customer_of = {r["id"]: r["customer_id"] for r in stored}
        scored = self.linker.score_against(probe, [match_record(r) for r in stored])
        review = next((d for d in scored if d.decision == "review"), None)
        refused_review: PairDecision | None = None
        tried: set[str] = set()
        for candidate in (d for d in scored if d.decision == "merge"):
            customer = self.customer_of[candidate.right]
            if customer in tried:
                continue
            tried.add(customer)
            if customer in {owners.get(r) for r in apart}:
                continue
            refusal = await self._refusal(customer, probe, ())
            if refusal is None:
                return _Placed(customer, "merge", candidate, suspended=suspended)
            if refusal.rule in REVIEWABLE and refused_review is None:
                refused_review = candidate
                candidate.decision, candidate.rule = "review", refusal.rule
                candidate.department = refusal.department
        review = refused_review or review
        if review is not None and self.customer_of.get(review.right) in {owners.get(r) for r in apart}:
            review = None
        if current is not None and await self._refusal(current, probe, ()) is None:
            if not await self._kept_apart(current, apart, owners):
                return _Placed(current, "unchanged", None, None if review is None else review, suspended=suspended)
        decision = "review" if review else "new"
        if current is not None:
            # The record may no longer stay where it was (a changed certificate, a decision): its own customer.
            decision = "moved_out" if review is None else "review"
        fresh = _fresh_customer_id(row["id"], {current} if current else set())
        return _Placed(fresh, decision, review, review, suspended=suspended)

    async def _refusal(
        self, customer: str, probe: MatchRecord, departments: Sequence[str], *, reviewed: bool = False
    ) -> Refusal | None:
        return await customer_refusal(self.store, self.policy, customer, probe, departments, reviewed=reviewed)

    async def _kept_apart(self, customer: str, apart: set[str], owners: dict[str, str]) -> bool:
        return any(owners.get(other) == customer for other in apart)


def _why_json(reason: dict[str, Any], decision: str, why: PairDecision | None) -> str:
    """The same JSON as a batch run writes (the API's source records parse it), saying which
    record it was matched with and that it was decided one record at a time."""
    return orjson.dumps(
        {
            **reason,
            "decision": decision,
            "mode": "incremental",
            **({"matched_record": why.right} if why is not None else {}),
        }
    ).decode()
