"""The linker: records in, customers and explained decisions out. Pure and deterministic.

normalise (done by the caller) -> block -> compare -> estimate (u by sampling, m by EM)
-> policy -> decide by thresholds -> cluster under the certificate and network
constraints. This is the only place that decides whether records merge.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app import allocator
from app.resolution.blocking import RULE_FIELDS, BlockingResult, block
from app.resolution.clustering import (
    JOIN,
    REFUSED_CERTIFICATES,
    REFUSED_DEPARTMENT,
    Clusters,
    Link,
    cluster,
)
from app.resolution.comparisons import COMPARISONS, MISSING, compare_all
from app.resolution.constraints import InForce, StewardDecision
from app.resolution.merge_rules import Refusal
from app.resolution.model import MatchModel, estimate_u, train_by_rule
from app.resolution.policy import APART, MERGE, OUTCOME_NAMES, REVIEW, RULES, SCORE, apply_policy
from app.resolution.records import MatchRecord, RecordTable, id_order
from app.rules import ResolutionRules

DECISION_NAMES = OUTCOME_NAMES


@dataclass(slots=True)
class PairDecision:
    """One explained decision about two records."""

    left: str
    right: str
    decision: str
    probability: float
    match_weight: float
    rule: str
    blocking_rule: str
    fields: dict[str, dict[str, Any]]
    department: str | None = None

    def explanation(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "policy_rule": self.rule,
            "blocking_rule": self.blocking_rule,
            "probability": round(self.probability, 6),
            "match_weight": round(self.match_weight, 3),
            "fields": self.fields,
            "department": self.department,
        }


def cluster_members(roots: np.ndarray) -> dict[int, list[int]]:
    """Each cluster's root to its records' positions, in order."""
    members: dict[int, list[int]] = {}
    for i, root in enumerate(roots.tolist()):
        members.setdefault(root, []).append(i)
    return members


@dataclass(slots=True)
class Resolution:
    table: RecordTable
    roots: np.ndarray
    model: MatchModel
    blocking: BlockingResult
    reviews: list[PairDecision]
    decisions: dict[str, int]
    rules_applied: dict[str, int]
    refused_joins: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    singleton_reasons: dict[int, str] = field(default_factory=dict)
    # Must-link decisions a hard rule now stops, with the rule: to be suspended and reviewed again.
    suspended: list[tuple[StewardDecision, Refusal]] = field(default_factory=list)
    # The candidate pairs that joined records, by their index in ``blocking``, in the order applied.
    joined: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    explain: _Explainer | None = None
    _links: list[PairDecision] | None = None

    @property
    def links(self) -> list[PairDecision]:
        """The joins explained, one decision each, made when first asked: a first load's run only needs
        their distinct explanations (:meth:`_Explainer.distinct`), and a million decisions with their
        records' ids were about 160 MB of the linker's peak."""
        if self._links is None:
            self._links = [] if self.explain is None else self.explain.many(self.joined, "merge")
        return self._links

    def cluster_members(self) -> dict[int, list[int]]:
        return cluster_members(self.roots)

    def assignment(self) -> dict[str, str]:
        """Record id -> the id of the first record of its cluster (a stable cluster key)."""
        ids = self.table.ids()
        return {ids[i]: ids[root] for i, root in enumerate(self.roots.tolist())}

    def summary(self) -> dict[str, Any]:
        return {
            "records": len(self.table),
            "customers": len(np.unique(self.roots)),
            "candidate_pairs": len(self.blocking),
            "pairs_by_rule": self.blocking.pairs_by_rule,
            "capped_blocks": self.blocking.capped_blocks,
            "capped_records": self.blocking.capped_records,
            "pairs_skipped_different_certificates": self.blocking.skipped_different_certificates,
            "decisions": self.decisions,
            "policy_rules_applied": self.rules_applied,
            "refused_joins": self.refused_joins,
            "steward_decisions_suspended": len(self.suspended),
            "review_candidates": len(self.reviews),
            "em_iterations": self.model.iterations,
            "em_converged": self.model.converged,
            "timings_seconds": {k: round(v, 3) for k, v in self.timings.items()},
        }


# Candidate pairs, their comparison levels and, when a model is given and the finder scores
# them itself, their match probabilities (None: the linker scores them).
FoundPairs = tuple[BlockingResult, np.ndarray, np.ndarray | None]
PairFinder = Callable[[RecordTable, ResolutionRules, MatchModel | None], FoundPairs]


def find_pairs(table: RecordTable, rules: ResolutionRules, model: MatchModel | None) -> FoundPairs:
    """In this process: blocking, then every comparison over the candidate pairs."""
    blocking = block(table, rules.blocking_rules, rules.max_block_size, rules.block_size_caps)
    return blocking, compare_all(table, blocking.left, blocking.right), None


class Linker:
    def __init__(self, rules: ResolutionRules, model: MatchModel | None = None, pairs: PairFinder = find_pairs) -> None:
        self.rules = rules
        self.model = model
        self.pairs = pairs

    def resolve(self, records: Iterable[MatchRecord], decisions: InForce | None = None) -> Resolution:
        """Link ``records`` into customers, obeying the steward's standing ``decisions``."""
        clock = time.perf_counter()
        records = list(records)
        table = RecordTable.build([records[at] for at in id_order([r.id for r in records]).tolist()])
        return self.resolve_table(table, decisions, {"columns": time.perf_counter() - clock})

    def resolve_table(
        self, table: RecordTable, decisions: InForce | None = None, timings: dict[str, float] | None = None
    ) -> Resolution:
        """As :meth:`resolve`, for records already in columns in the order of their ids."""
        timings = {} if timings is None else timings
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            allocator.trim()
            now = time.perf_counter()
            timings[name] = now - clock
            clock = now

        # u from random pairs needs no candidate pairs: sampled while they are found, mostly in C loops
        # (numpy, rapidfuzz) that leave the interpreter to the other thread.
        beside = ThreadPoolExecutor(1)
        try:
            sampled = beside.submit(self.sample_u, table) if self.model is None else None
            blocking, gamma, scored = self.pairs(table, self.rules, self.model)
            lap("pairs")
            model = self.model if sampled is None else self.estimate(gamma, blocking, sampled.result(), len(table))
        finally:
            beside.shutdown(wait=False, cancel_futures=True)  # a failed or interrupted run does not wait for it
        assert model is not None
        left, right = blocking.left, blocking.right
        lap("estimation")
        probability = model.probability(gamma) if scored is None else scored
        weight = model.match_weight(gamma)
        policy = apply_policy(table, left, right, gamma, self.rules.policy)
        outcome = _thresholds(policy.outcome, policy.rule, probability, self.rules)
        lap("decisions")

        merges = np.flatnonzero(outcome == MERGE)
        forced = policy.rule[merges] != 0
        order = merges[np.lexsort((-probability[merges], ~forced))]
        must, cannot, must_decisions = _links(table, decisions)
        clusters, verdict, must_refusals = cluster(
            table, left, right, order, self.rules.policy, must=must, cannot=cannot
        )
        refused = order[verdict[order] != JOIN]
        refused_certificates = order[verdict[order] == REFUSED_CERTIFICATES]
        refused_department = order[verdict[order] == REFUSED_DEPARTMENT]
        outcome[refused] = APART
        outcome[refused_certificates] = REVIEW
        outcome[refused_department] = REVIEW
        roots = clusters.roots()
        lap("clustering")

        explain = _Explainer(
            table, model, gamma, left, right, blocking, policy.rule, probability, weight, policy.department
        )
        joined = order[verdict[order] == JOIN]
        reviews = _review_candidates(
            np.flatnonzero(outcome == REVIEW),
            roots,
            left,
            right,
            probability,
            explain,
            refused_certificates,
            refused_department,
            clusters,
        )
        counts = {name: int((outcome == code).sum()) for code, name in DECISION_NAMES.items()}
        rules_applied = {RULES[k]: int(v) for k, v in zip(*np.unique(policy.rule, return_counts=True)) if k}
        refused_joins = {
            "would_join_two_certificates": int(len(refused_certificates)),
            "needs_department": int(len(refused_department)),
            "other_hard_rules_or_steward_decisions": int(len(refused) - len(refused_certificates))
            - int(len(refused_department)),
        }
        lap("explanations")
        resolution = Resolution(table, roots, model, blocking, reviews, counts, rules_applied, refused_joins, timings)
        resolution.joined, resolution.explain = joined, explain
        resolution.suspended = [
            (decision, refusal) for decision, refusal in zip(must_decisions, must_refusals) if refusal is not None
        ]
        resolution.singleton_reasons = _singleton_reasons(table, roots, left, right, outcome, probability, policy.rule)
        return resolution

    def score_against(self, probe: MatchRecord, candidates: list[MatchRecord]) -> list[PairDecision]:
        """Decisions for one record against stored ones (match() and incremental resolution),
        with the model of the last batch run; strongest first."""
        if self.model is None:
            raise ValueError("scoring a single record needs a trained model; run a batch resolution first")
        others = [c for c in candidates if c.id != probe.id]
        if not others:
            return []
        table = RecordTable.build([probe, *others])
        left = np.zeros(len(others), dtype=np.int64)
        right = np.arange(1, len(others) + 1, dtype=np.int64)
        gamma = compare_all(table, left, right)
        probability = self.model.probability(gamma)
        weight = self.model.match_weight(gamma)
        policy = apply_policy(table, left, right, gamma, self.rules.policy)
        outcome = _thresholds(policy.outcome, policy.rule, probability, self.rules)
        lookup = BlockingResult(
            left, right, np.asarray([_lookup_rule(probe, c) for c in others], dtype=np.int8), list(LOOKUP_RULES)
        )
        explain = _Explainer(
            table, self.model, gamma, left, right, lookup, policy.rule, probability, weight, policy.department
        )
        decisions = [explain(k, DECISION_NAMES[int(outcome[k])]) for k in range(len(others))]
        return sorted(decisions, key=lambda d: (-d.probability, d.right))

    def sample_u(self, table: RecordTable) -> list[np.ndarray]:
        return estimate_u(table, self.rules.u_sample_pairs, self.rules.random_seed)

    def estimate(self, gamma: np.ndarray, blocking: BlockingResult, u: list[np.ndarray], records: int) -> MatchModel:
        overrides = {name: o.model_dump() for name, o in self.rules.overrides.items()}
        return train_by_rule(
            gamma,
            blocking.rule_names,
            RULE_FIELDS,
            u,
            records=records,
            max_iterations=self.rules.em_max_iterations,
            tolerance=self.rules.em_tolerance,
            overrides=overrides,
            prior=self.rules.prior_match_probability,
        )


LOOKUP_RULES = ("certificate", "phone", "email", "name_local_network")


def _links(table: RecordTable, decisions: InForce | None) -> tuple[list[Link], list[Link], list[StewardDecision]]:
    """The standing decisions between records of this table, by position (a decision naming a record
    that is gone has nothing to hold)."""
    if decisions is None or not (decisions.must or decisions.cannot):
        return [], [], []
    position = {rid: i for i, rid in enumerate(table.ids())}
    must, must_decisions = [], []
    for d in decisions.must:
        if d.left in position and d.right in position:
            must.append(Link(position[d.left], position[d.right], d.departments, d.same_location))
            must_decisions.append(d)
    cannot = [
        Link(position[d.left], position[d.right])
        for d in decisions.cannot
        if d.left in position and d.right in position
    ]
    return must, cannot, must_decisions


def _lookup_rule(probe: MatchRecord, other: MatchRecord) -> int:
    if probe.cert_no and probe.cert_no == other.cert_no:
        return 0
    if set(probe.phones) & set(other.phones):
        return 1
    if probe.email and probe.email == other.email:
        return 2
    return 3


def _thresholds(
    policy_outcome: np.ndarray, policy_rule: np.ndarray, probability: np.ndarray, rules: ResolutionRules
) -> np.ndarray:
    """Pairs no policy rule decided go by the configured probability thresholds. Organisations
    across local networks go to their department only when they look alike (at least the review
    threshold): two companies that merely share a switchboard e-mail are not a question for anyone."""
    outcome = policy_outcome.copy()
    scored = outcome == SCORE
    outcome[scored & (probability >= rules.auto_merge_probability)] = MERGE
    outcome[scored & (probability < rules.auto_merge_probability) & (probability >= rules.review_probability)] = REVIEW
    outcome[scored & (probability < rules.review_probability)] = APART
    unlikely = (policy_rule == RULES.index("organisations_across_local_networks")) & (
        probability < rules.review_probability
    )
    outcome[unlikely] = APART
    return outcome


class _Explainer:
    def __init__(
        self,
        table: RecordTable,
        model: MatchModel,
        gamma: np.ndarray,
        left: np.ndarray,
        right: np.ndarray,
        blocking: BlockingResult,
        rule: np.ndarray,
        probability: np.ndarray,
        weight: np.ndarray,
        department: str,
    ) -> None:
        # By position, decoded when asked: most runs explain a few records, not all of them.
        self.ids = table.fields.text["id"]
        self.weights = model.weight_table()
        self.gamma, self.left, self.right = gamma, left, right
        self.blocking, self.rule = blocking, rule
        self.probability, self.weight = probability, weight
        self.department = department

    def __call__(self, edge: int, decision: str) -> PairDecision:
        return self.many(np.asarray([edge]), decision)[0]

    def many(self, edges: np.ndarray, decision: str) -> list[PairDecision]:
        """Explained decisions for many pairs at once: a million merges are explained in seconds
        because the arrays are read in bulk and the field levels of equal comparison vectors
        (there are a few thousand distinct ones) are built once and shared. Treat them as read-only."""
        fields_of: dict[tuple[int, ...], dict[str, dict[str, Any]]] = {}
        ids = self.ids
        return [
            self._decision(fields_of, decision, ids[left], ids[right], *rest)
            for left, right, *rest in zip(self.left[edges].tolist(), self.right[edges].tolist(), *self._read(edges))
        ]

    def distinct(self, edges: np.ndarray, decision: str) -> tuple[list[PairDecision], list[int]]:
        """The pairs' distinct explanations (without the records' ids, which an explanation does not
        carry), and which of them each pair has: a million merges have a few thousand."""
        fields_of: dict[tuple[int, ...], dict[str, dict[str, Any]]] = {}
        found: dict[tuple[Any, ...], int] = {}
        decisions: list[PairDecision] = []
        which = []
        for row, probability, weight, rule_code, blocking_rule in zip(*self._read(edges)):
            key = (row, round(probability, 6), round(weight, 3), rule_code, blocking_rule)
            at = found.get(key)
            if at is None:
                at = found[key] = len(decisions)
                decisions.append(
                    self._decision(fields_of, decision, "", "", row, probability, weight, rule_code, blocking_rule)
                )
            which.append(at)
        return decisions, which

    def _read(self, edges: np.ndarray) -> tuple[Iterable[Any], ...]:
        return (
            map(tuple, self.gamma[edges].tolist()),
            self.probability[edges].tolist(),
            self.weight[edges].tolist(),
            self.rule[edges].tolist(),
            self.blocking.rule[edges].tolist(),
        )

    def _decision(
        self,
        fields_of: dict[tuple[int, ...], dict[str, dict[str, Any]]],
        decision: str,
        left: str,
        right: str,
        row: tuple[int, ...],
        probability: float,
        weight: float,
        rule_code: int,
        blocking_rule: int,
    ) -> PairDecision:
        fields = fields_of.get(row)
        if fields is None:
            fields = fields_of[row] = self._fields(row)
        rule = RULES[rule_code]
        return PairDecision(
            left=left,
            right=right,
            decision=decision,
            probability=probability,
            match_weight=weight,
            rule=rule,
            blocking_rule=self.blocking.rule_names[blocking_rule],
            fields=fields,
            department=self.department if rule == "organisations_across_local_networks" else None,
        )

    def _fields(self, levels: tuple[int, ...]) -> dict[str, dict[str, Any]]:
        fields: dict[str, dict[str, Any]] = {}
        for k, comparison in enumerate(COMPARISONS):
            level = levels[k]
            if level == MISSING:
                fields[comparison.name] = {"level": "missing", "weight": 0.0}
            else:
                fields[comparison.name] = {
                    "level": comparison.levels[level],
                    "weight": round(float(self.weights[k][level]), 3),
                }
        return fields


def _review_candidates(
    edges: np.ndarray,
    roots: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    explain: _Explainer,
    refused_certificates: np.ndarray,
    refused_department: np.ndarray,
    clusters: Clusters,
) -> list[PairDecision]:
    """One candidate per pair of customers (the strongest pair between them), none inside one customer
    and none between customers a steward decided are different."""
    best: dict[tuple[int, int], int] = {}
    refused = set(refused_certificates.tolist())
    for_department = set(refused_department.tolist())
    for edge in edges.tolist():
        a, b = int(roots[left[edge]]), int(roots[right[edge]])
        if a == b or (clusters.apart and clusters.kept_apart(a, b)):
            continue
        key = (min(a, b), max(a, b))
        if key not in best or probability[edge] > probability[best[key]]:
            best[key] = edge
    reviews = []
    for edge in sorted(best.values()):
        decision = explain(edge, "review")
        if edge in refused:
            decision.rule = "would_join_two_certificates"
        elif edge in for_department:
            decision.rule = "organisations_across_local_networks"
            decision.department = explain.department
        reviews.append(decision)
    return reviews


def _singleton_reasons(
    table: RecordTable,
    roots: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    outcome: np.ndarray,
    probability: np.ndarray,
    rule: np.ndarray,
) -> dict[int, str]:
    """Why each record that stayed alone did: nothing to match on, no candidates, or what kept it apart."""
    n = len(table)
    sizes = np.bincount(roots, minlength=n)
    is_alone = sizes[roots] == 1
    alone = np.flatnonzero(is_alone)
    candidates = np.bincount(left, minlength=n) + np.bincount(right, minlength=n)
    # Only the pairs with a record alone at one end, and the best of each by position: at a million
    # records every pair twice over and a dict of every record's best were 280 MB at the linker's peak.
    pair = np.arange(len(left))
    from_left, from_right = is_alone[left], is_alone[right]
    ends = np.concatenate([left[from_left], right[from_right]])
    edges = np.concatenate([pair[from_left], pair[from_right]])
    del pair, from_left, from_right
    order = np.lexsort((-probability[edges], ends))
    first_ends, first_at = np.unique(ends[order], return_index=True)
    best = np.full(n, -1, dtype=np.int64)
    best[first_ends] = edges[order][first_at]
    del ends, edges, order, first_ends, first_at
    reasons: dict[int, str] = {}
    shared: dict[str, str] = {}
    codes = table.codes
    bare = (codes["cert_no"] < 0) & (codes["phones"][:, 0] < 0) & (codes["email"] < 0) & (codes["name"] < 0)
    for i, nothing, edge in zip(alone.tolist(), bare[alone].tolist(), best[alone].tolist()):
        if nothing:
            reasons[i] = "nothing to match on: no certificate, phone, e-mail or name"
        elif edge < 0:
            reasons[i] = "no candidate found by any blocking rule"
        else:
            why = (
                f"{int(candidates[i])} candidates; the best kept apart "
                f"({OUTCOME_NAMES.get(int(outcome[edge]), 'apart')}, rule {RULES[int(rule[edge])]}, "
                f"probability {probability[edge]:.4f})"
            )
            reasons[i] = shared.setdefault(why, why)
    return reasons
