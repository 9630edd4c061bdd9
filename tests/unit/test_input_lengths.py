"""Length limits declared once per field and derived for the API: an over-long source id refuses the
row, an over-long free-text field is set aside; the API's string limit is the longest field; the
fragment spread is counted without expanding it."""

from __future__ import annotations

import time

from graphql import parse

from app.fields import TEXT_MAX
from app.record_kinds import MAX_LENGTHS, SUMMARY_MAX, check_row
from schema.limits import INPUT_TEXT_MAX, MAX_SELECTIONS, SEARCH_TEXT_MAX, before_validation, spread_size


def test_an_over_long_source_id_refuses_the_row_naming_the_field() -> None:
    checked = check_row("customers", 2, {"source_id": "s" * 5000, "name": "张三", "segment": "individual"})
    assert [field for field, _ in checked.problems] == ["source_id"]
    assert "5000 characters" in checked.problems[0][1]


def test_an_over_long_free_text_is_set_aside_and_the_row_kept() -> None:
    checked = check_row(
        "contacts",
        3,
        {
            "source_id": "c1",
            "channel": "hotline",
            "kind": "query",
            "at": "2026-11-30T10:00:00+08:00",
            "customer_source_id": "x",
            "summary": "长" * (SUMMARY_MAX + 1),
        },
    )
    assert not checked.problems
    assert [(q.field, q.length, len(q.value)) for q in checked.quarantined] == [
        ("summary", SUMMARY_MAX + 1, SUMMARY_MAX)
    ]
    assert "summary" not in checked.values


def test_every_field_has_a_maximum_and_the_api_takes_no_longer_string() -> None:
    limits = [limit for kind in MAX_LENGTHS.values() for limit in kind.values()]
    assert all(isinstance(limit, int) and limit > 0 for limit in limits)
    assert INPUT_TEXT_MAX == max(limits) == SUMMARY_MAX
    assert SEARCH_TEXT_MAX == TEXT_MAX


def test_the_spread_is_counted_without_expanding_it() -> None:
    levels = 30
    spreads = " ".join(f"fragment L{k} on Customer {{ ...L{k + 1} ...L{k + 1} }}" for k in range(1, levels))
    document = parse(f'{{ customer(id: "x") {{ ...L1 }} }} {spreads} fragment L{levels} on Customer {{ id }}')
    started = time.monotonic()
    assert spread_size(document) > MAX_SELECTIONS
    refused = before_validation(document)
    assert refused is not None and refused.extensions["code"] == "QUERY_TOO_COMPLEX"
    assert time.monotonic() - started < 0.05
    small = parse('{ customer(id: "x") { ...A ...A } } fragment A on Customer { id name }')
    assert spread_size(small) == 1 + 4 and before_validation(small) is None
    cyclic = parse('{ customer(id: "x") { ...A } } fragment A on Customer { id ...A }')
    assert spread_size(cyclic) == 2
