"""match(record): "is this someone we know?" for a record that is not stored.

Read-only: finds stored source records sharing a certificate, phone, e-mail or name,
scores the probe against them with the model of the last batch run, and answers the
best customers with their scores and explanations. A "merge" answer has also passed the hard
merge rules against the whole customer (all its records, as incremental resolution asks them),
so a channel is never told "merge" for a customer the record could not join.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.customer import RECORD_COLUMNS, as_record
from app.errors import C360Error
from app.resolution.linker import Linker, PairDecision
from app.resolution.merge_rules import (
    DIFFERENT_CERTIFICATES,
    INVALID_AGAINST_VALID,
    ORGANISATIONS_ACROSS_NETWORKS,
    Refusal,
    check_sides,
)
from app.resolution.model import MatchModel
from app.resolution.prepare import match_record
from app.resolution.records import MatchRecord
from app.rules import PolicyRules, Rules, get_rules
from app.services.resolve import latest_model
from app.services.source_records import customer_records
from app.store import Store, cypher
from app.store.queries import backend_cypher

CANDIDATE_RECORDS = backend_cypher("match/candidate_records")
RECORDS_OF_CUSTOMER = cypher("resolve/records_of_customers")
MAX_CANDIDATES = 200
# Refusals a steward may overrule: the join goes to review instead of being refused outright.
REVIEWABLE = (DIFFERENT_CERTIFICATES, INVALID_AGAINST_VALID, ORGANISATIONS_ACROSS_NETWORKS)


class NoModelError(C360Error):
    code = "NO_MODEL"


@dataclass(slots=True)
class CustomerMatch:
    customer_id: str
    decision: str
    probability: float
    best: PairDecision
    records_compared: int


def lookup_params(probe: MatchRecord, raw_name: str | None = None) -> dict[str, Any]:
    """Each lookup key as a list, empty when the probe has none (see the query's header for why)."""
    name = raw_name or probe.name
    return {
        "cert_nos": [probe.cert_no] if probe.cert_no else [],
        "phones": list(probe.phones),
        "emails": [probe.email] if probe.email else [],
        "names": [name] if name else [],
        "local_network": probe.local_network or None,
        "limit": MAX_CANDIDATES,
    }


async def candidates_for(store: Store, probe: MatchRecord, raw_name: str | None = None) -> list[dict[str, Any]]:
    rows = await store.read(
        CANDIDATE_RECORDS[store.backend], {**lookup_params(probe, raw_name), "columns": RECORD_COLUMNS}
    )
    return [as_record(row) for row in rows]


async def members_of(store: Store, customer: str, leaving: str | None = None) -> list[MatchRecord]:
    """A customer's records as the linker sees them, without ``leaving`` (the record being placed)."""
    members = await store.read(RECORDS_OF_CUSTOMER, {"ids": [customer]})
    ids = sorted({m["record"] for m in members} - {leaving})
    return [match_record(r) for r in await customer_records(store, ids)]


async def customer_refusal(
    store: Store,
    policy: PolicyRules,
    customer: str,
    probe: MatchRecord,
    departments: Sequence[str] = (),
    *,
    reviewed: bool = False,
) -> Refusal | None:
    """Why ``probe`` may not join ``customer`` as a whole (None: it may)."""
    members = await members_of(store, customer, probe.id)
    return check_sides(members, [probe], policy, departments, reviewed=reviewed) if members else None


class Matcher:
    """Holds the model between calls; reload it after a batch run with :meth:`refresh`."""

    def __init__(self, store: Store, rules: Rules | None = None) -> None:
        self.store = store
        self.rules = rules or get_rules()
        self.model: MatchModel | None = None

    async def refresh(self) -> None:
        self.model = await latest_model(self.store)

    async def match(self, fields: Mapping[str, Any], limit: int = 5) -> list[CustomerMatch]:
        if self.model is None:
            await self.refresh()
        if self.model is None:
            raise NoModelError(
                "no resolution run has trained a model for the current comparisons yet; run `c360 resolve` first"
            )
        probe = match_record({**fields, "id": fields.get("id") or "probe"})
        rows = await candidates_for(self.store, probe, str(fields.get("name") or "") or None)
        customer_of = {row["id"]: row.get("customer_id") for row in rows}
        decisions = Linker(self.rules.resolution, self.model).score_against(probe, [match_record(r) for r in rows])
        best: dict[str, CustomerMatch] = {}
        for decision in decisions:
            customer = customer_of.get(decision.right)
            if not customer:
                continue
            found = best.get(customer)
            if found is None:
                best[customer] = CustomerMatch(customer, decision.decision, decision.probability, decision, 1)
            else:
                found.records_compared += 1
        ranked = sorted(best.values(), key=lambda m: (-m.probability, m.customer_id))[:limit]
        for found in ranked:
            if found.decision != "merge":
                continue
            refusal = await customer_refusal(self.store, self.rules.resolution.policy, found.customer_id, probe)
            if refusal is not None:
                found.decision = "review" if refusal.rule in REVIEWABLE else "apart"
                found.best.decision, found.best.rule, found.best.department = (
                    found.decision,
                    refusal.rule,
                    refusal.department,
                )
        return ranked
