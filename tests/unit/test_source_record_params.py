"""What a source record's node is written with (source_records._write_params), for every kind a file
or a channel gives: its checked values, its identity and content hash, the fields set aside, and the
references it hangs on, and never a null, which a store would write as an unset property."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app import clock
from app.ids import content_hash, record_id
from app.record_kinds import INVALID_FIELDS, KINDS, check_row
from app.services.source_records import prepare
from app.store.shards import shard_of
from demo import generate
from loaders.formats import read_rows
from tests.unit.test_fields_check import SAMPLES

FIXED = ("id", "source", "kind", "source_id", "content_hash", "shard", "fields")
# References a record keeps under a name of its own, and the field each comes from.
KEPT_REFERENCES = {
    "organisation_members": {"organisation_record": "organisation_source_id", "member_record": "member_source_id"}
}


@pytest.fixture(scope="module")
def demo_rows(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, dict[str, Any]]]:
    """Every row of a small demo, and the first rows of each kind again with each field in turn given
    each awkward value (blank, NUL, too long, not a date...), so set-aside fields are among them."""
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, 40, seed=7, workers=1)
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for entry in json.loads((folder / "manifest.json").read_text()):
        for n, raw in enumerate(read_rows(Path(folder / entry["path"]), entry["encoding"])):
            rows.append((entry["source"], entry["kind"], raw.fields))
            if n < 8:
                rows += [
                    (entry["source"], entry["kind"], {**raw.fields, name: sample})
                    for name in raw.fields
                    if name != "source_id"
                    for sample in SAMPLES
                ]
    return rows


@pytest.fixture
def december_first() -> Iterator[None]:
    """The clock fixed for the test and given back after it: left fixed, it stopped time for the tests
    after (a run of the changes then found nothing changed after the last run)."""
    previous = clock.set_clock(clock.FixedClock(datetime(2026, 12, 1, tzinfo=UTC)))
    yield
    clock.set_clock(previous)


@pytest.mark.usefixtures("december_first")
def test_a_records_properties_are_its_values_identity_and_references_without_nulls(
    demo_rows: list[tuple[str, str, dict[str, Any]]],
) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    for source, kind, row in demo_rows:
        checked = check_row(kind, 2, row)
        if checked.problems:
            continue
        seen[kind, "set aside" if checked.quarantined else "whole"] += 1
        params = prepare(source, kind, checked).params
        if kind == "customers":
            continue  # positional: ingest/customers_new names its columns, checked by the load tests
        assert isinstance(params, dict)
        written = params["record"]
        rid = record_id(source, kind, checked.source_id)
        assert None not in written.values()
        assert [written[k] for k in FIXED] == [
            rid,
            source,
            kind,
            checked.source_id,
            content_hash(checked.original),
            shard_of(rid),
            written["fields"],
        ]
        # A field named as an identity property (a contact's kind) is kept in the fields only.
        values = {k: v for k, v in checked.values.items() if k not in FIXED}
        assert {k: v for k, v in written.items() if k in values} == values
        assert (INVALID_FIELDS in written) == bool(checked.quarantined)
        owner = checked.values.get("customer_source_id")
        if kind == "subscriptions" and checked.values.get("product_type") == "payphone":
            owner = checked.values.get("custodian_source_id") or owner
        assert written.get("owner_record") == (record_id(source, "customers", owner) if owner else None)
        kept = KEPT_REFERENCES.get(kind, {})
        for name, field_name in kept.items():
            given = checked.values.get(field_name)
            assert written.get(name) == (record_id(source, "customers", given) if given else None)
        assert set(written) - set(FIXED) - set(values) - {INVALID_FIELDS, "owner_record"} <= set(kept)
    every_kind = {kind for kind in KINDS if kind != "customers"}
    assert {kind for kind, way in seen if way == "whole"} >= every_kind
    assert {kind for kind, way in seen if way == "set aside"} >= every_kind - {"bills", "leaves"}  # all required
