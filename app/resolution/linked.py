"""What a batch run keeps of a resolution once its records are linked: the clusters and why each record
is in its own, without the records, their columns or the candidate pairs.

A first load links in the process that normalised its records (app.services.linking_process) and
hands back only this; a batch run that links in its own process keeps only this too, so both derive
and write customers from the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from app.resolution.constraints import StewardDecision
from app.resolution.linker import PairDecision, Resolution, cluster_members
from app.resolution.merge_rules import Refusal
from app.resolution.model import MatchModel


@dataclass(slots=True)
class Linked:
    """The linker's records by their ``positions`` among the run's stored records (in the linker's order,
    that of their ids: ``records.id_order``), not by id: the run holds the ids already, and a million of
    them again, with a reason and a position keyed by each, were about 170 MB of its process. ``roots``
    the cluster root of each (an index into ``positions``), ``reasons`` each one's reason as the JSON its
    RECORD_OF carries (records with the same reason share one text), ``name_pinyin`` each name as given
    to the pinyin its normalisation found (GoldenDeriver's)."""

    positions: np.ndarray
    roots: np.ndarray
    reasons: list[str]
    reviews: list[PairDecision]
    suspended: list[tuple[StewardDecision, Refusal]]
    summary: dict[str, Any]
    model: MatchModel
    name_pinyin: dict[str, str]

    def __len__(self) -> int:
        return len(self.positions)

    def cluster_members(self) -> dict[int, list[int]]:
        return cluster_members(self.roots)


def linked(resolution: Resolution, name_pinyin: dict[str, str], positions: np.ndarray) -> Linked:
    """The resolution's records and columns are released (a gigabyte or more at a million records)."""
    if len(positions) != len(resolution.table):
        raise ValueError(f"{len(positions)} positions for {len(resolution.table)} records linked")
    summary = resolution.summary()
    resolution.table.release()
    reasons = link_reasons(resolution)
    return Linked(
        positions,
        resolution.roots,
        reasons,
        resolution.reviews,
        resolution.suspended,
        summary,
        resolution.model,
        name_pinyin,
    )


def link_reasons(resolution: Resolution) -> list[str]:
    """Why each record belongs to its customer, in the linker's order: the decision that joined it, or why
    it stands alone. Links with the same explanation share one text (a million merges have a few
    thousand), as do records alone for the same reason. Each link's records are found by their positions
    in its candidate pair, not by a dict of every id (70 MB at a million)."""
    reasons: list[str | None] = [None] * len(resolution.roots)
    joined = resolution.joined
    if len(joined):
        assert resolution.explain is not None
        explained, which = resolution.explain.distinct(joined, "merge")
        texts = [orjson.dumps(link.explanation()).decode() for link in explained]
        lefts, rights = resolution.blocking.left[joined].tolist(), resolution.blocking.right[joined].tolist()
        for at_text, left, right in zip(which, lefts, rights, strict=True):
            for at in (right, left):
                if reasons[at] is None:
                    reasons[at] = texts[at_text]
    alone: dict[str, str] = {}
    for at, why in resolution.singleton_reasons.items():
        text = alone.get(why)
        if text is None:
            text = alone[why] = orjson.dumps({"decision": "own_customer", "reason": why}).decode()
        reasons[at] = text
    return [reason or "" for reason in reasons]
