"""The graph's invariants, checked by `c360 check` and by tests after every merge, unmerge and split."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.rules import Rules, get_rules
from app.store import Store, cypher

CHECKS = {
    "every resolved source record belongs to exactly one live customer": cypher(
        "check/records_without_one_live_customer"
    ),
    "no relationship hangs on a merged-away customer": cypher("check/relationships_on_merged_customers"),
    "every merge event can be undone": cypher("check/merges_that_cannot_be_undone"),
    "a customer points to a survivor exactly while it is merged away": cypher("check/merged_into_without_merge"),
    "accounts, subscriptions, contacts, opportunities and cases hang on their record's customer": cypher(
        "check/holdings_not_on_their_customer"
    ),
    "no live customer holds two different valid certificates": cypher("check/customers_with_two_certificates"),
    "no customer holds public records of two local networks": cypher("check/public_customers_across_networks"),
    "every steward decision in force holds": cypher("check/steward_decisions_broken"),
}
# Not violations: what awaits resolution (records loaded, holdings of those records).
PENDING = (cypher("check/records_pending"), cypher("check/holdings_pending"))


@dataclass(slots=True)
class InvariantReport:
    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # label -> (how many await resolution, a few of their ids)
    pending: dict[str, tuple[int, list[str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())


async def check_invariants(store: Store, limit: int = 20, rules: Rules | None = None) -> InvariantReport:
    """Each check returns up to ``limit`` offending rows: enough to investigate, never a flood."""
    groups = (rules or get_rules()).resolution.policy.groups
    params = {"limit": limit, "ids": None, "public": sorted(s for s, group in groups.items() if group == "public")}
    report = InvariantReport()
    for name, query in CHECKS.items():
        report.violations[name] = (await store.read(query, params))[:limit]
    for query in PENDING:
        for row in await store.read(query, {"limit": min(limit, 5)}):
            if row["pending"]:
                report.pending[row["label"]] = (int(row["pending"]), list(row["examples"]))
    return report
