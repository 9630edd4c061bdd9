"""FalkorDB's compact result format read back to the values that were encoded in it, at any depth
(the integration test tests/integration/test_embedded_results.py reads the real server's)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.store.falkordb_results import ARRAY, BOOLEAN, DOUBLE, INTEGER, MAP, NULL, STRING, rows_of

scalars = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=False),
    st.booleans(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=30,
)


def compact(value: Any, as_bytes: bool) -> list[Any]:
    """A value as FalkorDB's --compact reply gives it (redis-py hands back str, or bytes undecoded)."""
    if value is None:
        return [NULL, None]
    if isinstance(value, bool):
        return [BOOLEAN, b"true" if value else "false"]
    if isinstance(value, int):
        return [INTEGER, value]
    if isinstance(value, float):
        return [DOUBLE, repr(value)]
    if isinstance(value, str):
        return [STRING, value.encode() if as_bytes else value]
    if isinstance(value, list):
        return [ARRAY, [compact(v, as_bytes) for v in value]]
    pairs: list[Any] = []
    for key, item in value.items():
        pairs += [key.encode() if as_bytes else key, compact(item, as_bytes)]
    return [MAP, pairs]


@given(st.lists(st.tuples(values, values), max_size=4), st.booleans())
def test_rows_come_back_as_the_values_encoded(rows: list[tuple[Any, Any]], as_bytes: bool) -> None:
    response = [[[1, "a"], [1, "b"]], [[compact(a, as_bytes), compact(b, as_bytes)] for a, b in rows], ["stats"]]
    assert rows_of(response) == [{"a": a, "b": b} for a, b in rows]
