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
    """``ids`` in the linker's order, ``roots`` the cluster root of each (an index into ``ids``),
    ``reasons`` each record id's reason as the JSON its RECORD_OF carries, ``name_pinyin`` each
    name as given to the pinyin its normalisation found (GoldenDeriver's)."""

    ids: list[str]
    roots: np.ndarray
    reasons: dict[str, str]
    reviews: list[PairDecision]
    suspended: list[tuple[StewardDecision, Refusal]]
    summary: dict[str, Any]
    model: MatchModel
    name_pinyin: dict[str, str]

    def cluster_members(self) -> dict[int, list[int]]:
        return cluster_members(self.roots)


def linked(resolution: Resolution, name_pinyin: dict[str, str]) -> Linked:
    """The resolution's records and columns are released (a gigabyte or more at a million records)."""
    summary = resolution.summary()
    reasons = link_reasons(resolution)
    resolution.table.release()
    return Linked(
        resolution.table.ids(),
        resolution.roots,
        reasons,
        resolution.reviews,
        resolution.suspended,
        summary,
        resolution.model,
        name_pinyin,
    )


def link_reasons(resolution: Resolution) -> dict[str, str]:
    """Why each record belongs to its customer: the decision that joined it, or why it stands alone.
    Links with the same explanation share one text (a million merges have a few thousand)."""
    ids = resolution.table.ids()
    reasons: dict[str, str] = {}
    texts: dict[tuple[Any, ...], str] = {}
    for link in resolution.links:
        key = (
            id(link.fields),
            link.rule,
            link.blocking_rule,
            round(link.probability, 6),
            round(link.match_weight, 3),
            link.department,
        )
        text = texts.get(key)
        if text is None:
            text = texts[key] = orjson.dumps(link.explanation()).decode()
        reasons.setdefault(link.right, text)
        reasons.setdefault(link.left, text)
    for index, why in resolution.singleton_reasons.items():
        reasons[ids[index]] = orjson.dumps({"decision": "own_customer", "reason": why}).decode()
    return reasons
