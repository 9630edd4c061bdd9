"""Fellegi-Sunter match weights with m probabilities estimated by EM.

As in Splink: u (how often a level occurs between two *random* records) is estimated
by sampling random record pairs, which needs no labels; m (how often it occurs between
two records of the *same* customer) and the share of true matches among the blocked
pairs are estimated with expectation-maximisation over the blocked pairs, u held fixed.
A pair's match weight is the sum of log2(m/u) over its fields plus the prior's log-odds.
Configuration may override any field's m or u.

Also as in Splink, EM runs once per blocking rule with the fields that rule blocks on
left out (their agreement is forced by the blocking, so it says nothing about m), and
each field's m is the mean over the sessions that could learn it. The prior of the
final model is the probability that two *random* records match: the expected matches
the sessions found, over all record pairs. Using the share of matches among blocked
pairs instead would let a common name alone merge two strangers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.resolution.comparisons import COMPARISONS, MISSING, Comparison, compare_all
from app.resolution.records import RecordTable

FLOOR = 1e-6


@dataclass(slots=True)
class FieldParameters:
    name: str
    levels: tuple[str, ...]
    m: np.ndarray
    u: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        return np.log2(np.maximum(self.m, FLOOR) / np.maximum(self.u, FLOOR))

    def to_dict(self) -> dict[str, object]:
        return {"levels": list(self.levels), "m": self.m.round(8).tolist(), "u": self.u.round(8).tolist()}


@dataclass(slots=True)
class MatchModel:
    fields: list[FieldParameters]
    prior: float
    iterations: int = 0
    converged: bool = False
    history: list[float] = field(default_factory=list)

    def weight_table(self) -> list[np.ndarray]:
        return [f.weights for f in self.fields]

    def field_weights(self, gamma: np.ndarray) -> np.ndarray:
        """Per pair and field: the weight of its level (0 for missing)."""
        out = np.empty(gamma.shape, dtype=np.float64)
        for k, weights in enumerate(self.weight_table()):
            # MISSING is -1, which indexes the 0.0 appended at the end.
            out[:, k] = np.append(weights, 0.0)[gamma[:, k]]
        return out

    def match_weight(self, gamma: np.ndarray) -> np.ndarray:
        prior = np.log2(self.prior / (1 - self.prior))
        return self.field_weights(gamma).sum(axis=1) + prior

    def probability(self, gamma: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.power(2.0, -self.match_weight(gamma)))

    def to_dict(self) -> dict[str, object]:
        return {
            "prior": self.prior,
            "iterations": self.iterations,
            "converged": self.converged,
            "fields": {f.name: f.to_dict() for f in self.fields},
        }

    def fits(self, comparisons: tuple[Comparison, ...] = COMPARISONS) -> bool:
        """Whether the model was trained for these comparisons, level for level: one stored by an
        earlier version of the code would weigh the wrong levels."""
        return [(f.name, tuple(f.levels)) for f in self.fields] == [(c.name, c.levels) for c in comparisons]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchModel:
        fields = [
            FieldParameters(name, tuple(p["levels"]), np.asarray(p["m"]), np.asarray(p["u"]))
            for name, p in data["fields"].items()
        ]
        return cls(fields, float(data["prior"]), int(data.get("iterations", 0)), bool(data.get("converged", False)))


def _frequencies(gamma_column: np.ndarray, levels: int, smoothing: float = 1.0) -> np.ndarray:
    present = gamma_column[gamma_column != MISSING]
    counts = np.bincount(present.astype(np.int64), minlength=levels).astype(np.float64) + smoothing
    return counts / counts.sum()


def estimate_u(
    table: RecordTable, sample_pairs: int, seed: int, comparisons: tuple[Comparison, ...] = COMPARISONS
) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    n = len(table)
    if n < 2:
        return [np.full(c.agreement_levels, 1.0 / c.agreement_levels) for c in comparisons]
    count = min(sample_pairs, n * (n - 1) // 2)
    left = rng.integers(0, n, size=count)
    right = rng.integers(0, n - 1, size=count)
    right = right + (right >= left)
    gamma = compare_all(table, left, right, comparisons)
    return [_frequencies(gamma[:, k], c.agreement_levels, smoothing=0.5) for k, c in enumerate(comparisons)]


def _initial_m(levels: int) -> np.ndarray:
    m = np.full(levels, 0.1 / max(levels - 1, 1))
    m[0] = 0.9 if levels > 1 else 1.0
    return m / m.sum()


def train(
    gamma: np.ndarray,
    u: list[np.ndarray],
    *,
    prior: float,
    max_iterations: int,
    tolerance: float,
    comparisons: tuple[Comparison, ...] = COMPARISONS,
    overrides: dict[str, dict[str, list[float] | None]] | None = None,
) -> MatchModel:
    """EM for m and the share of matches among blocked pairs; u stays as estimated from random pairs."""
    overrides = overrides or {}
    fields = [
        FieldParameters(c.name, c.levels, _initial_m(c.agreement_levels), u[k].copy())
        for k, c in enumerate(comparisons)
    ]
    for f in fields:
        _apply_override(f, overrides.get(f.name))
    model = MatchModel(fields, prior=max(prior, 0.05))
    if len(gamma) == 0:
        return model
    for iteration in range(1, max_iterations + 1):
        p = model.probability(gamma)
        changed = 0.0
        for k, f in enumerate(model.fields):
            column = gamma[:, k]
            present = column != MISSING
            weights = np.bincount(column[present].astype(np.int64), weights=p[present], minlength=len(f.levels)) + 1e-3
            new_m = weights / weights.sum()
            changed = max(changed, float(np.abs(new_m - f.m).max()))
            f.m = new_m
            _apply_override(f, overrides.get(f.name))
        new_prior = float(np.clip(p.mean(), 1e-6, 1 - 1e-6))
        changed = max(changed, abs(new_prior - model.prior))
        model.prior = new_prior
        model.iterations = iteration
        model.history.append(changed)
        if changed < tolerance:
            model.converged = True
            break
    return model


def train_by_rule(
    gamma: np.ndarray,
    rule_names: list[str],
    rule_fields: dict[str, tuple[tuple[str, int], ...]],
    u: list[np.ndarray],
    *,
    records: int,
    max_iterations: int,
    tolerance: float,
    comparisons: tuple[Comparison, ...] = COMPARISONS,
    overrides: dict[str, dict[str, list[float] | None]] | None = None,
    prior: float | None = None,
    min_pairs: int = 50,
) -> MatchModel:
    """One EM session per blocking rule over every candidate pair that rule's fields agree on
    (whichever rule found it first), those fields left out of the session; each field's m is the
    mean over the sessions that could learn it."""
    names = [c.name for c in comparisons]
    learned: dict[str, list[np.ndarray]] = {n: [] for n in names}
    iterations, converged = 0, True
    all_pairs_done = False
    for rule in rule_names:
        agreed = [(names.index(f), level) for f, level in rule_fields.get(rule, ()) if f in names]
        if not agreed:
            # Rules that force no field all train on every candidate pair: one classic EM session
            # over the blocked pairs, run once however many such rules there are.
            if all_pairs_done:
                continue
            all_pairs_done = True
        rows = np.ones(len(gamma), dtype=bool)
        for k, level in agreed:
            rows &= (gamma[:, k] >= 0) & (gamma[:, k] <= level)
        if rows.sum() < min_pairs:
            continue
        session_gamma = gamma[rows].copy()
        blocked = [k for k, _ in agreed]
        session_gamma[:, blocked] = MISSING
        session = train(
            session_gamma,
            u,
            prior=0.5,
            max_iterations=max_iterations,
            tolerance=tolerance,
            comparisons=comparisons,
            overrides=overrides,
        )
        iterations = max(iterations, session.iterations)
        converged = converged and session.converged
        for k, f in enumerate(session.fields):
            if k not in blocked:
                learned[f.name].append(f.m)
    fields = []
    for k, c in enumerate(comparisons):
        m = np.mean(learned[c.name], axis=0) if learned[c.name] else _initial_m(c.agreement_levels)
        f = FieldParameters(c.name, c.levels, m / m.sum(), u[k].copy())
        _apply_override(f, (overrides or {}).get(c.name))
        fields.append(f)
    model = MatchModel(fields, 0.5, iterations, converged)
    if prior is None:
        model.prior = _random_pair_prior(model, gamma, records)
    else:
        model.prior = prior
    return model


def _random_pair_prior(model: MatchModel, gamma: np.ndarray, records: int) -> float:
    """Expected true pairs among the candidates, over all pairs of records: a fixed point, since
    each pair's posterior depends on the prior being estimated."""
    all_pairs = max(records * (records - 1) / 2, 1.0)
    fields = model.field_weights(gamma).sum(axis=1)
    prior = min(len(gamma) / all_pairs, 0.5) or 1e-9
    for _ in range(50):
        odds = np.power(2.0, fields + np.log2(prior / (1 - prior)))
        expected = float((odds / (1 + odds)).sum())
        new = float(np.clip(expected / all_pairs, 1e-12, 0.5))
        if abs(new - prior) <= prior * 1e-4:
            return new
        prior = new
    return prior


def _apply_override(f: FieldParameters, override: dict[str, list[float] | None] | None) -> None:
    if not override:
        return
    for key in ("m", "u"):
        values = override.get(key)
        if values is not None:
            if len(values) != len(f.levels):
                raise ValueError(
                    f"override of {f.name}.{key} needs {len(f.levels)} values, one per level {list(f.levels)}"
                )
            setattr(f, key, np.asarray(values, dtype=np.float64))
