"""The golden properties of one customer from its source records: survivorship plus the derived
fields (provenance, group, search key). Batch resolution and merges both call this, so a merge
followed by an unmerge re-derives exactly what resolution had written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from app.customer import GOLDEN_KEYS
from app.golden.survivorship import Survivorship
from app.resolution.normalise import normalise_name
from app.rules import Rules
from app.vocabulary import ORGANISATION_SEGMENTS


class GoldenDeriver:
    def __init__(self, rules: Rules, name_pinyin: Mapping[str, str] | None = None) -> None:
        """``name_pinyin``: names already normalised (a batch run's records), by name as given; pinyin is
        the costly part of a name's normalisation, and the run's were made in other processes, so
        this one's cache of them is empty (3 s of the 100,000-person demo's first load)."""
        self.rules = rules
        self.survivorship = Survivorship(rules.survivorship, rules.resolution.policy.group_order)
        self.name_pinyin = name_pinyin or {}

    def derive(
        self, records: Sequence[Mapping[str, Any]], name_pinyin: Mapping[str, str] | None = None
    ) -> tuple[dict[str, Any], str | None]:
        """Golden properties (every key of GOLDEN_KEYS, None where absent, so a SET clears stale values)
        and the account manager's employee record id. ``name_pinyin``: instead of the deriver's own
        (a deriving process is given its range's, app/services/customer_derivation.py)."""
        golden = self.survivorship.derive(records)
        values = dict(golden.values)
        manager = values.pop("manager_record", None)
        segment = values.get("segment") or ""
        name = str(values.get("name") or "")
        pinyin = (self.name_pinyin if name_pinyin is None else name_pinyin).get(name)
        values.update(
            provenance=orjson.dumps(golden.provenance, option=orjson.OPT_SORT_KEYS).decode(),
            record_count=len(records),
            name_pinyin=pinyin if pinyin is not None else normalise_name(name).pinyin,
            is_organisation=any(r.get("segment") in ORGANISATION_SEGMENTS for r in records),
            customer_group=self.rules.resolution.policy.groups.get(segment, ""),
            sources=sorted({str(r.get("source")) for r in records if r.get("source")}),
            cert_tail=str(values.get("cert_no") or "")[-4:] or None,
            held_contact_changes=orjson.dumps(golden.held, option=orjson.OPT_SORT_KEYS).decode()
            if golden.held
            else None,
        )
        return {key: values.get(key) for key in GOLDEN_KEYS}, manager


def for_update(golden: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, None]]]:
    """A golden record as a statement writes it onto a customer that exists: its values, which ``+=``
    sets, and the attributes it has no value for as one-key maps ``{key: None}``, which the statement
    removes one per ``FOREACH`` iteration. FalkorDB 4.16 (the embedded store) can remove the wrong
    property when one update removes two or more properties of a node; Neo4j does the same either way."""
    return (
        {key: value for key, value in golden.items() if value is not None},
        [{key: None} for key, value in golden.items() if value is None],
    )
