"""Pairwise accuracy of a resolution against ground truth.

Counting pairs through the contingency table of (customer, person) cells keeps this
linear in the number of records, so a million-record run is scored in seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from app.resolution.union_find import components


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


@dataclass(frozen=True, slots=True)
class PairwiseScore:
    true_positives: int
    false_positives: int
    false_negatives: int
    records: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            **asdict(self),
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
        }


def score_clusters(predicted: Mapping[str, str], truth: Mapping[str, str]) -> PairwiseScore:
    """``predicted`` and ``truth`` map record id -> cluster id; only records present in both count."""
    common = [r for r in predicted if r in truth]
    cells = Counter((predicted[r], truth[r]) for r in common)
    found = Counter(predicted[r] for r in common)
    actual = Counter(truth[r] for r in common)
    tp = sum(_pairs(n) for n in cells.values())
    return PairwiseScore(
        tp, sum(_pairs(n) for n in found.values()) - tp, sum(_pairs(n) for n in actual.values()) - tp, len(common)
    )


def score_pairs(predicted: Iterable[tuple[str, str]], truth: Mapping[str, str]) -> PairwiseScore:
    """For a peer that outputs pairs rather than clusters (Splink's predictions before clustering)."""
    pairs = {tuple(sorted(p)) for p in predicted if p[0] in truth and p[1] in truth}
    tp = sum(1 for a, b in pairs if truth[a] == truth[b])
    actual = sum(_pairs(n) for n in Counter(truth.values()).values())
    return PairwiseScore(tp, len(pairs) - tp, actual - tp, len(truth))


@dataclass(frozen=True, slots=True)
class ReviewScore:
    """How much of the steward's queue is real duplicates, and how much of what was missed it holds."""

    candidates: int
    true_duplicates: int
    recoverable_missed_pairs: int

    @property
    def precision(self) -> float:
        return self.true_duplicates / self.candidates if self.candidates else 1.0


def score_reviews(
    review_pairs: Iterable[tuple[str, str]], predicted: Mapping[str, str], truth: Mapping[str, str]
) -> ReviewScore:
    pairs = [(a, b) for a, b in review_pairs if a in truth and b in truth]
    same = [(a, b) for a, b in pairs if truth[a] == truth[b]]
    missed = sum(1 for a, b in same if predicted.get(a) != predicted.get(b))
    return ReviewScore(len(pairs), len(same), missed)


def with_reviews_decided(
    predicted: Mapping[str, str], review_pairs: Iterable[tuple[str, str]], truth: Mapping[str, str]
) -> dict[str, str]:
    """The clustering after stewards decide every review candidate correctly: true duplicates
    approved (merged), the others rejected. What the queue can recover, at best."""
    return with_reviews_approved(
        predicted, [(a, b) for a, b in review_pairs if a in truth and b in truth and truth[a] == truth[b]]
    )


def with_reviews_approved(predicted: Mapping[str, str], review_pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The clustering after merging every given review pair."""
    joined = components(
        predicted.values(), ((predicted[a], predicted[b]) for a, b in review_pairs if a in predicted and b in predicted)
    )
    return {r: joined[c] for r, c in predicted.items()}
