"""Parameters reach FalkorDB intact: the fast orjson route and the exact walk agree with the
values sent, for any strings (quotes, backslashes, control characters, CJK, emoji) and nesting."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.errors import StoreError
from app.store import Store, cypher
from app.store.cypher_params import _fast_literal, _literal, encoded_row, to_literal
from app.store.embedded import EmbeddedStore

ECHO = cypher("contract/echo")

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | texts
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
)


def same(sent: Any, got: Any) -> bool:
    if isinstance(sent, float) or isinstance(got, float):
        return isinstance(got, (int, float)) and abs(float(sent) - float(got)) <= 1e-6 * max(1.0, abs(float(sent)))
    if isinstance(sent, dict):
        return isinstance(got, dict) and sent.keys() == got.keys() and all(same(sent[k], got[k]) for k in sent)
    if isinstance(sent, list):
        return isinstance(got, list) and len(sent) == len(got) and all(same(a, b) for a, b in zip(sent, got))
    return type(sent) is type(got) and sent == got


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=values)
async def test_any_value_round_trips_through_the_header(embedded_store: EmbeddedStore, value: Any) -> None:
    got = (await embedded_store.read(ECHO, {"value": value}))[0]["value"]
    assert same(value, got), (value, got, to_literal(value))


def test_the_fast_route_is_taken_for_lists_and_refused_where_it_cannot_vouch() -> None:
    rows = [["crm:customers:1", '张"三\\', ["138", "139"], 3, None, True, 1.5]]
    assert _fast_literal(rows) == '[["crm:customers:1","张\\"三\\\\",["138","139"],3,null,true,1.5]]'
    assert _fast_literal("bell\x07") is None and to_literal("bell\x07") == _literal("bell\x07")
    assert _fast_literal({"a": 1}) is None and to_literal({"a b": 1}) == "{`a b`:1}"
    assert _fast_literal(2**70) is None and to_literal(2**70) == str(2**70)


def test_braces_inside_text_keep_the_fast_route_and_a_map_at_any_depth_leaves_it() -> None:
    fields = '{"source_id": "C1", "name": "{}"}'
    assert _fast_literal([["C1", fields, ["138"]]]) is not None
    for rows in ([["C1", fields, [{"a": 1}]]], [["C1", {}]], [["ends with {", {"a": 1}]]):
        assert _fast_literal(rows) is None
        assert "`a`:" in to_literal(rows) or "{}" in to_literal(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(values, min_size=1, max_size=5), ahead=st.lists(st.booleans(), min_size=5, max_size=5))
@example(rows=[None, None, "\r"], ahead=[False, True, False, False, False])
async def test_rows_written_ahead_read_as_the_rows_themselves_mixed_with_rows_that_were_not(
    embedded_store: EmbeddedStore, rows: list[Any], ahead: list[bool]
) -> None:
    """A file's rows are written as Cypher where they are made; one prepared again later (a reference
    set aside) is not, and may come first: each must still reach the store as itself, not as text. The
    text may differ (a list with a row written ahead is walked, and the walk writes a carriage return as
    itself where orjson escapes it); what the store reads may not."""
    sent = [encoded_row(row) if early else row for row, early in zip(rows, ahead)]
    got = (await embedded_store.read(ECHO, {"value": sent}))[0]["value"]
    assert same(rows, got), (rows, got)


async def test_a_nul_character_is_a_clear_error_not_a_truncated_query(embedded_store: EmbeddedStore) -> None:
    with pytest.raises(StoreError, match="NUL") as error:
        await embedded_store.read(ECHO, {"value": {"name": "a\x00b"}})
    assert error.value.query == "contract/echo"


HARD_VALUES = [
    '张三 "引号" \\ 反斜杠',
    "",
    "a\nb\tc",
    "{}",
    "x}",
    2**53,
    -7,
    1.5e-7,
    True,
    None,
    ["a", "b"],
    [1, 2, 3],
    [[1], [2, 3]],
    {"name": "李四", "tags": ["x"], "deep": {"n": 1}},
]


@pytest.mark.parametrize("value", HARD_VALUES, ids=range(len(HARD_VALUES)))
async def test_hard_values_round_trip_on_both_backends(store: Store, value: Any) -> None:
    """The fixed examples both backends must pass through a parameter unchanged (FalkorDB's as header
    text, Neo4j's as Bolt values); the property-based run above stays on the embedded store."""
    got = (await store.read(ECHO, {"value": value}))[0]["value"]
    assert same(value, got), (value, got)
