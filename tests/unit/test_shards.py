"""Shards spread source records evenly over 1-64 and place a record the same way on every write."""

from __future__ import annotations

from collections import Counter

from app.ids import record_id
from app.store.shards import SHARD_NUMBERS, SHARDS, shard_of


def test_every_shard_is_one_of_the_numbers_read_and_none_is_zero() -> None:
    found = {shard_of(record_id("crm", "contacts", f"CCX{n:08d}")) for n in range(20_000)}
    assert found == set(SHARD_NUMBERS)
    assert 0 not in found


def test_sequential_ids_of_a_file_spread_within_a_tenth_of_even() -> None:
    counts = Counter(shard_of(record_id("hall", "customers", f"HC{n:08d}")) for n in range(64_000))
    even = 64_000 / SHARDS
    assert max(counts.values()) < even * 1.1
    assert min(counts.values()) > even * 0.9


def test_a_record_is_placed_the_same_way_each_time_and_records_differ() -> None:
    assert shard_of("web:customers:W1") == shard_of("web:customers:W1")
    assert len({shard_of(f"web:customers:W{n}") for n in range(200)}) > 40
