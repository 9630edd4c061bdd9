"""A first load's holdings by owner record (loaders/first_holdings.py): what the dict of lists it
replaced answered, in the same order."""

import random

import pytest

from loaders.first_holdings import HeldByRecord

RELATIONS = ("HAS_ACCOUNT", "OWNS", "HAD_CONTACT")


def test_holdings_come_back_by_owner_in_the_order_added() -> None:
    records = {f"r{n}": 1000 + n for n in range(50)}
    held = HeldByRecord(RELATIONS)
    expected: dict[str, list[tuple[str, int]]] = {}
    rng = random.Random(7)
    for node in range(5000):
        owner = f"r{rng.randrange(60)}"  # ten owners never loaded
        relation = rng.choice(RELATIONS)
        held.add(records, owner, relation, node)
        expected.setdefault(owner, []).append((relation, node))
    held.close(records)
    for owner, node in records.items():
        assert held.of([node]) == expected.get(owner, [])
    pair = ["r3", "r41"]
    assert held.of(records[r] for r in pair) == expected["r3"] + expected["r41"]
    assert held.of([1, 999, 2000]) == []


def test_an_owner_named_before_its_row_is_found_once_loaded() -> None:
    records: dict[str, int] = {}
    held = HeldByRecord(RELATIONS)
    held.add(records, "late", "OWNS", 7)
    held.add(records, "never", "OWNS", 8)
    records["late"] = 3
    held.add(records, "late", "HAS_ACCOUNT", 9)
    held.close(records)
    assert held.of([3]) == [("OWNS", 7), ("HAS_ACCOUNT", 9)]


def test_nothing_held_and_looked_up_only_once_closed() -> None:
    held = HeldByRecord(RELATIONS)
    with pytest.raises(AssertionError):
        held.of([1])
    held.close({})
    assert held.of([1]) == []
