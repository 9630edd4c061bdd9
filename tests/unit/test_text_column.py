"""Text columns read back exactly what was put in, whatever the text (CJK, empty, a NUL inside)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution.records import MatchRecord, RecordColumns, RecordTable, in_id_order
from app.resolution.text_column import TextColumn

TEXT = st.text(alphabet=st.sampled_from(["a", "Z", "7", " ", "张", "偉", "\x00", "\x1f", "😀", "é"]), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(TEXT, max_size=8), min_size=1, max_size=4))
def test_a_column_reads_back_its_values_by_position_in_bulk_taken_and_joined(parts: list[list[str]]) -> None:
    columns = [TextColumn.of(values) for values in parts]
    for column, values in zip(columns, parts):
        assert len(column) == len(values)
        assert column.strings() == values
        assert list(column) == values
        assert [column[i] for i in range(len(values))] == values
        assert column.objects().tolist() == values
    everything = [value for values in parts for value in values]
    joined = TextColumn.joined(columns)
    assert joined.strings() == everything
    order = np.arange(len(everything))[::-1].copy()
    assert joined.taken(order).strings() == everything[::-1]
    if everything:
        assert joined[-1] == everything[-1]


def test_records_in_columns_come_back_as_the_same_records_in_the_order_of_their_ids() -> None:
    records = [
        MatchRecord("crm:customers:2", name="张三", phones=("13800000001", ""), cert_valid=True, notes=("a",)),
        MatchRecord("crm:customers:10", name="", phones=(), is_organisation=True, email="x@y.cn"),
        MatchRecord("hall:customers:1", name="李四\x00", phones=("",), notes=()),
    ]
    columns, positions = in_id_order([RecordColumns.of(records[:1]), RecordColumns.of(records[1:])])
    expected = sorted(records, key=lambda r: r.id)
    assert [records[at] for at in positions.tolist()] == expected
    assert [columns.record(i) for i in range(len(columns))] == expected
    table = RecordTable.of_columns(columns)
    assert table.ids() == [r.id for r in expected]
    assert [table.fields.record(i) for i in range(len(table))] == expected
    assert table.codes["phones"][:, 0].tolist() == [-1, 0, 1]  # (), ("13800000001", ""), ("",)


def test_offsets_are_32_bit_below_4_gib_and_64_bit_from_it() -> None:
    from app.resolution.text_column import _narrow

    column = TextColumn.of(["张三", "", "x"])
    assert column.offsets.dtype == np.uint32
    assert TextColumn.joined([column, column]).taken(np.array([5, 0])).offsets.dtype == np.uint32
    assert _narrow(np.array([0, 7], dtype=np.int64), (1 << 32) - 1).dtype == np.uint32
    assert _narrow(np.array([0, 1 << 32], dtype=np.int64), 1 << 32).dtype == np.int64
