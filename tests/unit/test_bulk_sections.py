"""The embedded store's bulk sections (app/store/falkordb_bulk.py): a node row put together as text
must come out byte for byte as every value written by its type (the format FalkorDB reads), for rows
as maps or positional, with any mix of text, nulls, numbers, flags and lists, and a NUL refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import NotBulkable
from app.store.base import EncodedNodes, NodeBlock, encoded_ahead
from app.store.falkordb_bulk import _header, _value, node_section

SCALAR = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
    st.sampled_from(["", "\x03", "客户", "a\x03", "\x01\x02"]),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-3, 200),
    st.floats(allow_nan=False),
    st.booleans(),
)
VALUE = st.one_of(SCALAR, st.lists(st.one_of(st.integers(0, 9), st.text(max_size=3).filter(lambda t: "\x00" not in t))))


def by_each_value(block: NodeBlock) -> bytes:
    """Every value by its type, one at a time: the format as FalkorDB's bulk loader reads it."""
    parts = _header(block.label, [*block.properties, *block.constants])
    tail: list[bytes] = []
    for value in block.constants.values():
        _value(value, tail)
    for row in block.rows:
        for value in row if isinstance(row, list) else [row.get(name) for name in block.properties]:
            _value(value, parts)
        parts += tail
    return b"".join(parts)


@settings(max_examples=300)
@given(data=st.data(), width=st.integers(1, 6), count=st.integers(0, 5), as_maps=st.booleans())
def test_a_section_is_every_value_by_its_type(data: st.DataObject, width: int, count: int, as_maps: bool) -> None:
    names = [f"p{n}" for n in range(width)]
    rows: list[Any] = [data.draw(st.lists(VALUE, min_size=width, max_size=width)) for _ in range(count)]
    if as_maps:
        rows = [
            {name: v for name, v in zip(names, row, strict=True) if v is not None or data.draw(st.booleans())}
            for row in rows
        ]
    block = NodeBlock("Label", names, rows, {"version": 1, "loaded_at": "2026-12-01T00:00:00.000Z"})
    assert node_section(block) == by_each_value(block)


@pytest.mark.parametrize("row", [["a", "b\x00c"], ["a\x00", 1.5], [7, "\x00"]])
def test_a_value_holding_a_nul_is_refused(row: list[Any]) -> None:
    with pytest.raises(NotBulkable, match="NUL"):
        node_section(NodeBlock("Label", ["x", "y"], [row]))


@pytest.mark.parametrize(
    "rows",
    [
        [["a", 1, ["x", "客"]], ["b", 2.5, None], [None, 300, True], ["", 0, []]],  # text first, then amounts
        [["b", 2.5, None], ["a", 1, ["x"]], [None, -1, [1, "y"]]],  # an amount first: value by value
    ],
)
def test_rows_after_the_first_are_encoded_whichever_way_the_first_took(rows: list[list[Any]]) -> None:
    block = NodeBlock("Label", ["x", "y", "z"], rows, {"version": 1})
    assert node_section(block) == by_each_value(block)


def test_a_block_encoded_ahead_is_its_section_with_its_first_and_last_ids() -> None:
    """A first load encodes a call's nodes while the store works on the call before
    (loaders.first_load.FirstLoadGraph.send): the store checks the ids after the call, so they must be
    the block's first and last, for rows as maps or positional; a block without ids stays as it was."""
    maps = NodeBlock("Customer", ["id", "score"], [{"id": "C1", "score": 1.5}, {"id": "C2"}, {"id": "C3", "score": 2}])
    rows = NodeBlock("TierChange", ["to_star", "id"], [[3, "T1"], [4, "T2"]])
    for block, ids in ((maps, ("C1", "C3")), (rows, ("T1", "T2"))):
        encoded = encoded_ahead(block, node_section)
        assert isinstance(encoded, EncodedNodes)
        assert (encoded.label, encoded.count, encoded.ids) == (block.label, block.count, ids)
        assert encoded.section == node_section(block) == by_each_value(block)
        assert encoded_ahead(encoded, node_section) is encoded
    no_ids = NodeBlock("Points", ["balance"], [[1], [2]])
    assert encoded_ahead(no_ids, node_section) is no_ids
    assert encoded_ahead(NodeBlock("Customer", ["id"], []), node_section).count == 0
