"""Blocking: which record pairs are worth comparing at all.

Each rule gives every record zero or more keys; records sharing a key form a block
and every pair in a block is a candidate. Blocks above the size cap are split by a
secondary key (birth year, then district) and skipped and counted if still too big,
so a very common name cannot blow up the work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from app import allocator
from app.resolution.records import RecordTable, factorize

KeyColumns = Callable[[RecordTable], tuple[np.ndarray, np.ndarray]]


def _column(name: str) -> KeyColumns:
    """Records keyed by one normalised column's code (empty values have no key)."""

    def keys(table: RecordTable) -> tuple[np.ndarray, np.ndarray]:
        codes = table.codes[name]
        index = np.flatnonzero(codes >= 0)
        return index, codes[index]

    return keys


def _columns(first: str, second: str) -> KeyColumns:
    """Records keyed by two columns together: one integer per distinct (first, second) pair."""

    def keys(table: RecordTable) -> tuple[np.ndarray, np.ndarray]:
        a, b = table.codes[first], table.codes[second]
        index = np.flatnonzero((a >= 0) & (b >= 0))
        return index, a[index].astype(np.int64) * (int(b.max(initial=0)) + 1) + b[index]

    return keys


def _phones(table: RecordTable) -> tuple[np.ndarray, np.ndarray]:
    phones = table.codes["phones"]
    rows, slots = np.nonzero(phones >= 0)
    return rows, phones[rows, slots]


def _name_word_address_number(table: RecordTable) -> tuple[np.ndarray, np.ndarray]:
    """The first and the last word of a name of two or more words, each with the address's first
    and its last number (a house number; a postcode or a room): the surname survives a changed or
    mistyped given name, the house number a mistyped postcode and the postcode a moved house."""
    words = table.codes["name_word_codes"]
    count = table.codes["name_word_count"]
    n = len(table)
    columns = table.columns
    numbers = factorize(columns["address_first_number"].strings() + columns["address_last_number"].strings())
    width = int(numbers.max(initial=0)) + 1
    last = words[np.arange(n), np.clip(count - 1, 0, words.shape[1] - 1)]
    rows_out, keys_out = [], []
    for number in (numbers[:n], numbers[n:]):  # one code space for both numbers
        rows = np.flatnonzero((count >= 2) & (number >= 0))
        for word in (words[rows, 0], last[rows]):
            rows_out.append(rows)
            keys_out.append(word.astype(np.int64) * width + number[rows])
    return np.concatenate(rows_out), np.concatenate(keys_out)


# Names split into halves at once: each one's strings are let go before the next are made.
HALVES_AT_ONCE = 1 << 19


def _birth_date_name_part(table: RecordTable) -> tuple[np.ndarray, np.ndarray]:
    """Birth date and local network with each half of the name: its first and its last word, or, for a
    name of one word (a Chinese name), its first character (the surname; the first of a compound one)
    and the rest. One half survives a mistyped or changed other half, and a date is no longer one block
    of everyone born on it in a city's network: that rule made 59 million pairs at five million records,
    4 million at one."""
    date, network = table.codes["birth_date"], table.codes["local_network"]
    rows = np.flatnonzero((date >= 0) & (network >= 0) & (table.codes["name_words"] >= 0))
    column = table.columns["name_words"]
    code_of: dict[str, int] = {}  # one code space for both halves
    halves = np.full((2, len(rows)), -1, dtype=np.int64)
    for begin in range(0, len(rows), HALVES_AT_ONCE):
        names = column.taken(rows[begin : begin + HALVES_AT_ONCE]).strings()
        for at, name in enumerate(names, begin):
            words = name.split()
            first, last = (words[0], words[-1]) if len(words) > 1 else (name[:1], name[1:])
            halves[0, at] = code_of.setdefault(first, len(code_of))
            if last:
                halves[1, at] = code_of.setdefault(last, len(code_of))
    width = len(code_of) + 1
    day = date[rows].astype(np.int64) * (int(network.max(initial=0)) + 1) + network[rows]
    rows_out, keys_out = [], []
    for half in halves:
        kept = half >= 0
        rows_out.append(rows[kept])
        keys_out.append(day[kept] * width + half[kept])
    return np.concatenate(rows_out), np.concatenate(keys_out)


RULES: dict[str, KeyColumns] = {
    "certificate": _column("cert_key"),
    "phone": _phones,
    "email": _column("email"),
    "name_birth_date": _columns("name", "birth_date"),
    "name_pinyin_local_network": _columns("name_pinyin", "local_network"),
    "birth_date_local_network": _columns("birth_date", "local_network"),
    "birth_date_name_part": _birth_date_name_part,
    "address": _column("address_key"),
    "address_numbers": _column("address_numbers"),
    "name_word_address_number": _name_word_address_number,
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
    "birth_date_name_part": (("birth_date", 0),),
    "address": (("address", 0),),
    "address_numbers": (),
    "name_word_address_number": (),
}


@dataclass(slots=True)
class BlockingResult:
    left: np.ndarray
    right: np.ndarray
    rule: np.ndarray
    rule_names: list[str]
    pairs_by_rule: dict[str, int] = field(default_factory=dict)
    capped_blocks: dict[str, int] = field(default_factory=dict)
    capped_records: dict[str, int] = field(default_factory=dict)
    skipped_different_certificates: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)


def _pairs_within_groups(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair inside each group of ``members`` (groups given by start and size), vectorised."""
    if len(sizes) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    position = _group_positions(starts, sizes)
    group_end = np.repeat(starts + sizes, sizes)
    later = group_end - position - 1
    total = int(later.sum())
    first = np.repeat(position, later)
    offsets = np.arange(total) - np.repeat(np.cumsum(later) - later, later)
    second = first + 1 + offsets
    a, b = members[first], members[second]
    return np.minimum(a, b), np.maximum(a, b)


# Pairs made at once within one rule's blocks: a rule of two keys the demo's records share in a network
# (name, birth date) makes five million pairs at a million records, most of them found by a rule before.
PAIRS_AT_ONCE = 1 << 20


def _new_keys(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int, seen: np.ndarray) -> np.ndarray:
    """The pairs within the groups as keys (``left * n + right``, left < right) that ``seen`` lacks,
    made some groups at a time: unsorted, and repeated where two records share two of a rule's keys."""
    ends = np.cumsum(sizes * (sizes - 1) // 2)
    found = []
    begin = 0
    while begin < len(sizes):
        made = int(ends[begin - 1]) if begin else 0
        end = max(begin + 1, int(np.searchsorted(ends, made + PAIRS_AT_ONCE, side="right")))
        left, right = _pairs_within_groups(members, starts[begin:end], sizes[begin:end])
        keep = left != right
        keys = left[keep] * n + right[keep]
        del left, right, keep
        found.append(keys[~_in_sorted(keys, seen)])
        begin = end
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _group_positions(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    total = int(sizes.sum())
    return np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(total)


def _in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    if len(sorted_values) == 0:
        return np.zeros(len(values), dtype=bool)
    position = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[position] == values


def block(
    table: RecordTable, rule_names: list[str], max_block_size: int, caps: Mapping[str, int] | None = None
) -> BlockingResult:
    """Candidate pairs (i < j) with the first rule that found each; counts per rule for the run summary.

    Pairs of two records holding different valid certificates are dropped here: the operator's
    rules keep them apart whatever their score, so comparing them would only cost time. They are
    counted per rule as ``skipped_different_certificates``.
    """
    unknown = [n for n in rule_names if n not in RULES]
    if unknown:
        raise ValueError(f"unknown blocking rules {unknown}; known: {sorted(RULES)}")
    n = len(table)
    valid = table.codes["cert_valid"]
    cert = table.codes["cert_key"]
    seen = np.empty(0, dtype=np.int64)
    lefts, rights, rules = [], [], []
    result = BlockingResult(np.empty(0), np.empty(0), np.empty(0), list(rule_names))
    for rule_index, name in enumerate(rule_names):
        index, codes = RULES[name](table)
        order = np.lexsort((index, codes))
        index, codes = index[order], codes[order]
        boundaries = np.flatnonzero(np.diff(codes)) + 1
        starts = np.concatenate(([0], boundaries)) if len(codes) else np.empty(0, dtype=np.int64)
        sizes = np.diff(np.concatenate((starts, [len(codes)]))) if len(codes) else np.empty(0, dtype=np.int64)
        cap = max_block_size if caps is None else caps.get(name, max_block_size)
        small = (sizes > 1) & (sizes <= cap)
        parts = [_new_keys(index, starts[small], sizes[small], n, seen)]
        capped = capped_records = 0
        split_members: list[int] = []
        split_sizes: list[int] = []
        for start, size in zip(starts[sizes > cap].tolist(), sizes[sizes > cap].tolist()):
            groups = _split(table, index[start : start + size].tolist(), cap)
            dropped = size - sum(len(g) for g in groups)
            if dropped:
                capped += 1
                capped_records += dropped
            for group in groups:
                split_members.extend(group)
                split_sizes.append(len(group))
        if split_sizes:
            sizes_array = np.asarray(split_sizes, dtype=np.int64)
            members = np.asarray(split_members, dtype=np.int64)
            parts.append(_new_keys(members, np.cumsum(sizes_array) - sizes_array, sizes_array, n, seen))
        keys = np.unique(np.concatenate(parts))
        del parts
        left, right = np.divmod(keys, n)
        # Disjoint from ``seen`` by construction: a sort keeps it searchable (numpy's union1d
        # hashes and was four fifths of blocking's time at a million records).
        seen = np.sort(np.concatenate((seen, keys)))
        apart = valid[left] & valid[right] & (cert[left] != cert[right])
        result.skipped_different_certificates[name] = int(apart.sum())
        left, right = left[~apart], right[~apart]
        lefts.append(left)
        rights.append(right)
        rules.append(np.full(len(left), rule_index, dtype=np.int8))
        result.pairs_by_rule[name] = int(len(left))
        result.capped_blocks[name] = capped
        result.capped_records[name] = capped_records
        allocator.trim()
    result.left = np.concatenate(lefts) if lefts else np.empty(0, dtype=np.int64)
    result.right = np.concatenate(rights) if rights else np.empty(0, dtype=np.int64)
    result.rule = np.concatenate(rules) if rules else np.empty(0, dtype=np.int8)
    return result


def _split(table: RecordTable, members: list[int], cap: int) -> list[list[int]]:
    """Split an oversized block by birth year, then by district; keep only parts within the cap."""
    parts: list[list[int]] = [members]
    years, districts = table.columns["birth_date"], table.columns["district"]
    for level in range(2):
        next_parts: list[list[int]] = []
        for part in parts:
            if len(part) <= cap:
                next_parts.append(part)
                continue
            sub: dict[str, list[int]] = defaultdict(list)
            for i in part:
                key = years[i][:4] if level == 0 else districts[i]
                if key:
                    sub[key].append(i)
            next_parts.extend(sub.values())
        parts = next_parts
    return [p for p in parts if 1 < len(p) <= cap]
