"""Blocking: which record pairs are worth comparing at all.

Each rule gives every record zero or more keys; records sharing a key form a block
and every pair in a block is a candidate. Blocks above the size cap are split by a
secondary key (birth year, then district) and skipped and counted if still too big,
so a very common name cannot blow up the work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from app.resolution.records import MatchRecord, RecordTable

KeyFn = Callable[[MatchRecord], Iterator[str]]


def _certificate(r: MatchRecord) -> Iterator[str]:
    if r.cert_no:
        yield r.cert_no


def _phone(r: MatchRecord) -> Iterator[str]:
    yield from r.phones


def _email(r: MatchRecord) -> Iterator[str]:
    if r.email:
        yield r.email


def _name_birth_date(r: MatchRecord) -> Iterator[str]:
    if r.name and r.birth_date:
        yield f"{r.name}|{r.birth_date}"


def _name_pinyin_local_network(r: MatchRecord) -> Iterator[str]:
    if r.name_pinyin:
        yield f"{r.name_pinyin}|{r.local_network}"


def _birth_date_local_network(r: MatchRecord) -> Iterator[str]:
    if r.birth_date:
        yield f"{r.birth_date}|{r.local_network}"


def _address(r: MatchRecord) -> Iterator[str]:
    if r.address_key:
        yield r.address_key


RULES: dict[str, KeyFn] = {
    "certificate": _certificate,
    "phone": _phone,
    "email": _email,
    "name_birth_date": _name_birth_date,
    "name_pinyin_local_network": _name_pinyin_local_network,
    "birth_date_local_network": _birth_date_local_network,
    "address": _address,
}


# What each rule's blocks agree on by construction, as (comparison, weakest level that agrees).
# EM learns nothing about m from a field its training pairs were chosen to agree on.
RULE_FIELDS: dict[str, tuple[tuple[str, int], ...]] = {
    "certificate": (("certificate", 0),),
    "phone": (("phone", 0),),
    "email": (("email", 0),),
    "name_birth_date": (("name", 0), ("birth_date", 0)),
    "name_pinyin_local_network": (("name", 1),),
    "birth_date_local_network": (("birth_date", 0),),
    "address": (("address", 0),),
}


def _split_keys(r: MatchRecord) -> tuple[str, str]:
    return r.birth_date[:4], r.district


@dataclass(slots=True)
class BlockingResult:
    left: np.ndarray
    right: np.ndarray
    rule: np.ndarray
    rule_names: list[str]
    pairs_by_rule: dict[str, int] = field(default_factory=dict)
    capped_blocks: dict[str, int] = field(default_factory=dict)
    capped_records: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)


def _pairs_of(members: list[int]) -> Iterator[tuple[int, int]]:
    for a in range(len(members)):
        for b in range(a + 1, len(members)):
            yield members[a], members[b]


def block(table: RecordTable, rule_names: list[str], max_block_size: int) -> BlockingResult:
    """Candidate pairs (i < j) with the first rule that found each; counts per rule for the run summary."""
    unknown = [n for n in rule_names if n not in RULES]
    if unknown:
        raise ValueError(f"unknown blocking rules {unknown}; known: {sorted(RULES)}")
    n = len(table)
    seen: set[int] = set()
    left: list[int] = []
    right: list[int] = []
    rule_of: list[int] = []
    result = BlockingResult(np.empty(0), np.empty(0), np.empty(0), list(rule_names))
    for rule_index, name in enumerate(rule_names):
        key_fn = RULES[name]
        blocks: dict[str, list[int]] = defaultdict(list)
        for i, record in enumerate(table.records):
            for key in key_fn(record):
                blocks[key].append(i)
        found = 0
        capped = capped_records = 0
        for members in blocks.values():
            if len(members) < 2:
                continue
            groups = [members]
            if len(members) > max_block_size:
                groups = _split(table, members, max_block_size)
                dropped = len(members) - sum(len(g) for g in groups)
                if dropped:
                    capped += 1
                    capped_records += dropped
            for group in groups:
                for i, j in _pairs_of(sorted(set(group))):
                    key = i * n + j
                    if key in seen:
                        continue
                    seen.add(key)
                    left.append(i)
                    right.append(j)
                    rule_of.append(rule_index)
                    found += 1
        result.pairs_by_rule[name] = found
        result.capped_blocks[name] = capped
        result.capped_records[name] = capped_records
    result.left = np.asarray(left, dtype=np.int64)
    result.right = np.asarray(right, dtype=np.int64)
    result.rule = np.asarray(rule_of, dtype=np.int8)
    return result


def _split(table: RecordTable, members: list[int], cap: int) -> list[list[int]]:
    """Split an oversized block by birth year, then by district; keep only parts within the cap."""
    parts: list[list[int]] = [members]
    for level in range(2):
        next_parts: list[list[int]] = []
        for part in parts:
            if len(part) <= cap:
                next_parts.append(part)
                continue
            sub: dict[str, list[int]] = defaultdict(list)
            for i in part:
                key = _split_keys(table.records[i])[level]
                if key:
                    sub[key].append(i)
            next_parts.extend(sub.values())
        parts = next_parts
    return [p for p in parts if 1 < len(p) <= cap]
