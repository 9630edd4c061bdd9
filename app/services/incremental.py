"""Incremental resolution: new and changed customer records find their customer as they land.

Each record is scored against the stored records it shares a certificate, phone, e-mail or
name with, using the model of the last batch run; the linker's decision (policy first, then
thresholds) says whether it joins the best customer, goes to the steward's queue, or starts
a customer of its own. A later batch run may revise these decisions; this keeps the view
current in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app import clock
from app.golden.derive import GoldenDeriver
from app.ids import new_customer_id
from app.resolution.linker import Linker, PairDecision
from app.resolution.prepare import match_record
from app.rules import Rules, get_rules
from app.services.matching import NoModelError, candidates_for
from app.services.resolve import WRITE_CANDIDATES, WRITE_CUSTOMERS, _candidate_row, attach_holdings, latest_model
from app.services.source_records import customer_records
from app.store import Store, cypher

CUSTOMER_OF = cypher("resolve/customers_of_records")
RECORDS_OF_CUSTOMER = cypher("resolve/records_of_customers")
RETIRE_IF_EMPTY = cypher("resolve/retire_if_empty")


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
    linker = Linker(rules.resolution, model)
    deriver = GoldenDeriver(rules)
    now = clock.now_iso()
    rows = await customer_records(store, list(record_ids))
    owners = {r["id"]: r["customer_id"] for r in await store.read(CUSTOMER_OF, {"ids": list(record_ids)})}
    decisions = []
    for row in rows:
        probe = match_record(row)
        stored = [
            r
            for r in await candidates_for(store, probe, str(row.get("name") or "") or None)
            if r["id"] != row["id"] and r.get("customer_id")
        ]
        scored = linker.score_against(probe, [match_record(r) for r in stored])
        customer_of = {r["id"]: r["customer_id"] for r in stored}
        best = next((d for d in scored if d.decision == "merge"), None)
        review = next((d for d in scored if d.decision == "review"), None)
        current = owners.get(row["id"])
        why: PairDecision | None
        if best is not None:
            target, decision, why = customer_of[best.right], "merge", best
        else:
            target = current or new_customer_id(row["id"])
            decision, why = ("review" if review else "new") if current is None else "unchanged", review
        members = await store.read(RECORDS_OF_CUSTOMER, {"ids": [target]})
        record_rows = await customer_records(store, sorted({m["record"] for m in members} | {row["id"]}))
        props, manager = deriver.derive(record_rows)
        reason = why.explanation() if isinstance(why, PairDecision) else {"decision": decision}
        await store.write(
            WRITE_CUSTOMERS,
            {
                "now": now,
                "customers": [
                    {
                        "id": target,
                        "props": props,
                        "records": [{"id": row["id"], "why": _why_json(reason, decision, why)}],
                    }
                ],
            },
        )
        await attach_holdings(store, [{"id": target, "records": [row["id"]], "manager": manager}])
        if review is not None and best is None:
            await store.write(
                WRITE_CANDIDATES,
                {"now": now, "candidates": [_candidate_row(review, {**customer_of, row["id"]: target}, now)]},
            )
        if current and current != target:
            await store.write(RETIRE_IF_EMPTY, {"ids": [current], "now": now})
        decisions.append(RecordDecision(row["id"], target, decision, why.probability if why else None, reason))
    return decisions


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
