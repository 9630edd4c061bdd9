"""A batch run's stored records, kept in a temporary file but for their ids, names and customers: every
record comes back as it was added, whichever way it is read."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from app.services import resolve
from app.services.resolve import STORED_COLUMNS, StoredRecords


def _record(n: int) -> tuple[Any, ...]:
    values: dict[str, Any] = {column: None for column in STORED_COLUMNS}
    values.update(
        id=f"crm:customers:{n:06d}",
        source="crm",
        name=["张三", "李四", "王五"][n % 3] if n % 7 else None,
        address="福州市鼓楼区五四路" + "号" * (n % 40),
        customer_id=f"C{n % 5}" if n % 4 else None,
    )
    return tuple(values[column] for column in STORED_COLUMNS)


def test_records_come_back_as_added_by_position_by_row_and_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolve, "READ_AT_ONCE", 7)
    added = [_record(n) for n in range(53)]
    with StoredRecords() as stored:
        for start, end in ((0, 1), (1, 1), (1, 20), (20, 53)):
            kept = stored.extend(added[start:end])
            assert kept == added[start:end]
        assert len(stored) == 53
        assert [stored.values(p) for p in range(53)] == added
        assert [pickle.loads(stored.packed(p)) for p in (52, 0, 13)] == [added[52], added[0], added[13]]
        assert list(stored.rows()) == [dict(zip(STORED_COLUMNS, value)) for value in added]
        assert stored.row(8) == dict(zip(STORED_COLUMNS, added[8]))
        assert stored.ids == [value[0] for value in added]
        name_at, customer_at = STORED_COLUMNS.index("name"), STORED_COLUMNS.index("customer_id")
        assert stored.names == [value[name_at] for value in added]
        assert stored.customers == [value[customer_at] for value in added]


def test_short_values_are_kept_once_across_pages() -> None:
    """Records normalised from shared short strings link faster: the kept records share them."""
    first, second = _record(1), _record(4)
    with StoredRecords() as stored:
        (a,) = stored.extend([tuple(v if not isinstance(v, str) else "".join(v) for v in first)])
        (b,) = stored.extend([tuple(v if not isinstance(v, str) else "".join(v) for v in second)])
    source_at = STORED_COLUMNS.index("source")
    assert a[source_at] is b[source_at]


def test_no_records_read_as_none() -> None:
    with StoredRecords() as stored:
        assert stored.extend([]) == []
        assert len(stored) == 0 and list(stored.rows()) == [] and stored.ids == []
