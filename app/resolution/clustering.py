"""Turning pairwise merge decisions into customers, without chaining through weak links.

Steward decisions come first: each must-link pair is joined unless a hard rule now forbids it
(reported, so the decision can be suspended); cannot-link pairs are never joined, whatever links
them. Merge edges follow, strongest first (policy merges, then by probability). Every join asks the
hard rules (merge_rules.py) about the two clusters as a whole: an edge that would put two different
valid certificates in one customer goes to review (the weakest link is what a steward should look
at), one that needs a department's decision goes to that department, the others stay apart.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from app.resolution.merge_rules import (
    CROSS_GROUP_ELSEWHERE,
    DIFFERENT_CERTIFICATES,
    INVALID_AGAINST_VALID,
    ORGANISATIONS_ACROSS_NETWORKS,
    PUBLIC_ACROSS_NETWORKS,
    Facts,
    MergeRules,
    Refusal,
    join,
)
from app.resolution.records import RecordTable
from app.resolution.union_find import UnionFind
from app.rules import PolicyRules

JOIN = 0
REFUSED_CERTIFICATES = 1
REFUSED_NETWORKS = 2
ALREADY_TOGETHER = 3
REFUSED_DEPARTMENT = 4
REFUSED_LOCATION = 5
REFUSED_DECIDED = 6
VERDICT_OF_RULE = {
    DIFFERENT_CERTIFICATES: REFUSED_CERTIFICATES,
    INVALID_AGAINST_VALID: REFUSED_CERTIFICATES,
    PUBLIC_ACROSS_NETWORKS: REFUSED_NETWORKS,
    ORGANISATIONS_ACROSS_NETWORKS: REFUSED_DEPARTMENT,
    CROSS_GROUP_ELSEWHERE: REFUSED_LOCATION,
}
KEPT_APART = "steward_decision"


@dataclass(frozen=True, slots=True)
class Link:
    """A steward decision between two records of the table, by position."""

    left: int
    right: int
    departments: tuple[str, ...] = ()
    # The steward's action found the two customers at one location (the cross-group rule).
    same_location: bool = False


class Clusters(UnionFind):
    """Records joined so far, with each multi-record cluster's facts for the hard rules and the
    records each cluster must not be joined with."""

    def __init__(self, table: RecordTable, rules: MergeRules, apart: Sequence[Link] = ()) -> None:
        super().__init__(len(table))
        self.rules = rules
        self.facts: dict[int, Facts] = {}
        self.apart: dict[int, set[int]] = {}
        self._ids: list[str] | None = None
        self.table = table
        for link in apart:
            self.apart.setdefault(link.left, set()).add(link.right)
            self.apart.setdefault(link.right, set()).add(link.left)

    def facts_of(self, root: int) -> Facts:
        facts = self.facts.get(root)
        return facts if facts is not None else self.rules.facts(root)

    def join(
        self,
        first: int,
        second: int,
        *,
        same_location: bool,
        departments: Collection[str] = (),
        reviewed: bool = False,
    ) -> tuple[int, Refusal | None]:
        """Join the clusters of two records if the rules and the steward's decisions allow it."""
        a, b = self.find(first), self.find(second)
        if a == b:
            return ALREADY_TOGETHER, None
        if self.apart and self.kept_apart(a, b):
            if self._ids is None:
                self._ids = self.table.ids()
            return REFUSED_DECIDED, Refusal(KEPT_APART, (self._ids[first], self._ids[second]))
        facts_a, facts_b = self.facts_of(a), self.facts_of(b)
        refusal = self.rules.conflict(
            facts_a, facts_b, same_location=same_location, departments=departments, reviewed=reviewed
        )
        if refusal is not None:
            return VERDICT_OF_RULE[refusal.rule], refusal
        root, gone = (a, b) if a < b else (b, a)
        self.parent[gone] = root
        self.facts.pop(gone, None)
        self.facts[root] = join(facts_a, facts_b)
        moved = self.apart.pop(gone, None)
        if moved:
            self.apart.setdefault(root, set()).update(moved)
        return JOIN, None

    def kept_apart(self, a: int, b: int) -> bool:
        for x, y in ((a, b), (b, a)):
            for other in self.apart.get(x, ()):
                if self.find(other) == y:
                    return True
        return False


def cluster(
    table: RecordTable,
    left: np.ndarray,
    right: np.ndarray,
    order: np.ndarray,
    policy: PolicyRules,
    *,
    must: Sequence[Link] = (),
    cannot: Sequence[Link] = (),
) -> tuple[Clusters, np.ndarray, list[Refusal | None]]:
    """Apply the steward's must-links, then merge edges in ``order``; return the clusters, per edge
    JOIN or why it was refused, and per must-link None or the rule that stopped it."""
    rules = MergeRules(table, policy)
    clusters = Clusters(table, rules, cannot)
    must_refusals: list[Refusal | None] = []
    for link in must:
        outcome, refusal = clusters.join(
            link.left,
            link.right,
            same_location=link.same_location or rules.same_location([link.left], [link.right]),
            departments=link.departments,
            reviewed=True,
        )
        must_refusals.append(refusal if outcome not in (JOIN, ALREADY_TOGETHER) else None)
    verdict = np.full(len(left), JOIN, dtype=np.int8)
    # A merge edge across groups passed the pairwise policy only at one location: it vouches for it.
    for edge, first, second in zip(order.tolist(), left[order].tolist(), right[order].tolist()):
        verdict[edge] = clusters.join(first, second, same_location=True)[0]
    return clusters, verdict, must_refusals
