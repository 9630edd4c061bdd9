"""Survivorship: which source record's value each golden attribute takes, by configured strategy.

Deterministic for a given set of records (ties break by source trust, then record id),
and every golden value names the source record it came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app import clock
from app.rules import SurvivorshipRules

Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Golden:
    values: dict[str, Any]
    provenance: dict[str, str]
    # Contact details from sources that may not change them: {attribute: [{record, value}]}.
    held: dict[str, list[dict[str, Any]]]


def _present(value: Any) -> bool:
    return value not in (None, "", [], ())


def _when(record: Record) -> str:
    """When a record was last updated, as a stored instant (text order is time order): times of
    other offsets, from graphs not yet migrated or sources that give one, are converted first."""
    text = str(record.get("updated_at") or record.get("changed_at") or "")
    if not text or clock.is_instant(text):
        return text
    try:
        return clock.instant_of(text)
    except ValueError:
        return ""


class Survivorship:
    def __init__(self, rules: SurvivorshipRules, group_order: Sequence[str]) -> None:
        self.rules = rules
        self.trust = {source: rank for rank, source in enumerate(rules.source_trust)}
        self.group_rank = {group: rank for rank, group in enumerate(group_order)}
        self.strategies: dict[str, Callable[[str, list[Record]], tuple[Any, str | None]]] = {
            "trust": self._trust,
            "recent": self._recent,
            "complete": self._complete,
            "frequent": self._frequent,
            "union": self._union,
            "group_max": self._group_max,
        }
        # Read once: derive runs for each of a million customers.
        self.attributes = rules.attributes
        changes = rules.contact_changes
        self.guarded = frozenset(changes.attributes)
        self.trusted_sources = frozenset(changes.trusted_sources)
        self.verifying_sources = frozenset(changes.verifying_sources)
        unknown = {s for s in self.attributes.values() if s not in self.strategies}
        if unknown:
            raise ValueError(f"unknown survivorship strategies {sorted(unknown)}; known: {sorted(self.strategies)}")

    def _rank(self, record: Record) -> tuple[int, str]:
        return self.trust.get(record.get("source", ""), len(self.trust)), str(record.get("id", ""))

    def may_change_contacts(self, record: Record) -> bool:
        source = record.get("source", "")
        return source in self.trusted_sources or (
            bool(record.get("identity_verified")) and source in self.verifying_sources
        )

    def derive(self, records: Sequence[Record]) -> Golden:
        ordered = sorted(records, key=self._rank)
        # A customer a trusted source knows keeps the contact details such sources gave; the others'
        # are held. A customer no trusted source knows has nothing to take over.
        vouched = [r for r in ordered if self.may_change_contacts(r)]
        unvouched = [r for r in ordered if not self.may_change_contacts(r)] if vouched else []
        values: dict[str, Any] = {}
        provenance: dict[str, str] = {}
        held: dict[str, list[dict[str, Any]]] = {}
        for attribute, strategy in self.attributes.items():
            guarded = unvouched and attribute in self.guarded
            value, source = self.strategies[strategy](attribute, vouched if guarded else ordered)
            if _present(value):
                values[attribute] = value
                if source is not None:
                    provenance[attribute] = source
            if guarded:
                held_values = self._held(attribute, value, unvouched)
                if held_values:
                    held[attribute] = held_values
        return Golden(values, provenance, held)

    @staticmethod
    def _held(attribute: str, golden: Any, records: list[Record]) -> list[dict[str, Any]]:
        shown = set(golden) if isinstance(golden, list) else {golden}
        found = []
        for record in records:
            value = record.get(attribute)
            offered = value if isinstance(value, (list, tuple)) else [value]
            new = [v for v in offered if _present(v) and v not in shown]
            if new:
                found.append({"record": record["id"], "source": record.get("source"), "value": new})
        return found

    def _trust(self, attribute: str, records: list[Record]) -> tuple[Any, str | None]:
        for record in records:
            if _present(record.get(attribute)):
                return record[attribute], record["id"]
        return None, None

    def _recent(self, attribute: str, records: list[Record]) -> tuple[Any, str | None]:
        having = [r for r in records if _present(r.get(attribute))]
        if not having:
            return None, None
        newest = max(having, key=lambda r: (_when(r), -self._rank(r)[0]))
        return newest[attribute], newest["id"]

    def _complete(self, attribute: str, records: list[Record]) -> tuple[Any, str | None]:
        having = [r for r in records if _present(r.get(attribute))]
        if not having:
            return None, None
        longest = max(having, key=lambda r: (len(str(r[attribute])), -self._rank(r)[0]))
        return longest[attribute], longest["id"]

    def _frequent(self, attribute: str, records: list[Record]) -> tuple[Any, str | None]:
        having = [r for r in records if _present(r.get(attribute))]
        if not having:
            return None, None
        counts = Counter(str(r[attribute]) for r in having)
        top = max(counts.values())
        winner = next(r for r in having if counts[str(r[attribute])] == top)
        return winner[attribute], winner["id"]

    def _union(self, attribute: str, records: list[Record]) -> tuple[Any, str | None]:
        seen: dict[str, None] = {}
        first: str | None = None
        for record in records:
            for value in record.get(attribute) or ():
                if value not in seen:
                    seen[value] = None
                    first = first or record["id"]
        return list(seen), first

    def _group_max(self, attribute: str, records: list[Record]) -> tuple[Any, str | None]:
        having = [r for r in records if _present(r.get(attribute))]
        if not having:
            return None, None
        best = max(having, key=lambda r: (self.group_rank.get(r[attribute], -1), -self._rank(r)[0]))
        return best[attribute], best["id"]
