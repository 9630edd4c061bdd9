"""A batch run holds many records in a temporary file while it links, and keeps few in memory."""

from __future__ import annotations

import pytest

from app.services import resolve
from app.services.resolve import StoredRecords


def _records(count: int) -> StoredRecords:
    stored = StoredRecords(columns=("id", "name"))
    stored.extend((f"crm:customers:{n}", f"name {n}") for n in range(count))
    return stored


def test_many_records_are_held_in_a_file_while_linking_and_come_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolve, "SET_ASIDE_FROM", 3)
    stored = _records(5)
    before = list(stored.values)
    with stored.set_aside():
        assert stored.values == []
    assert stored.values == before


def test_few_records_stay_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolve, "SET_ASIDE_FROM", 3)
    stored = _records(2)
    with stored.set_aside():
        assert len(stored.values) == 2
    assert stored.row(1) == {"id": "crm:customers:1", "name": "name 1"}
