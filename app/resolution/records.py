"""The matching view of a customer source record, and a column store of many of them.

Blocking and comparisons work on columns (one list or integer-code array per field)
so that scoring millions of candidate pairs runs in rapidfuzz's and numpy's C loops.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


class MatchRecord(NamedTuple):
    """A tuple: made in C where a frozen dataclass set its 25 fields one call each (2.4 s of the
    100,000-person demo's normalisation), and pickled to and from the process that normalises a load
    as plain values."""

    id: str
    source: str = ""
    name: str = ""
    name_pinyin: str = ""
    name_core: str = ""
    name_words: str = ""
    cert_kind: str = ""
    cert_no: str = ""
    # One key for the forms of one certificate (an organisation code and the credit code embedding it).
    cert_key: str = ""
    cert_valid: bool = False
    phones: tuple[str, ...] = ()
    email: str = ""
    address_key: str = ""
    address_text: str = ""
    district: str = ""
    address_numbers: str = ""
    address_first_number: str = ""
    address_last_number: str = ""
    birth_date: str = ""
    gender: str = ""
    local_network: str = ""
    segment: str = ""
    is_organisation: bool = False
    updated_at: str = ""
    notes: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return self.segment

    def __reduce__(self) -> tuple[Any, tuple[tuple[Any, ...]]]:
        """Made again from its values by _make, not by the generated __new__ a field at a time."""
        return MatchRecord._make, (tuple(self),)


def factorize(values: Sequence[str]) -> np.ndarray:
    """Integer code per distinct non-empty value, -1 for empty: equality tests become integer compares."""
    codes: dict[str, int] = {}
    return np.fromiter(
        (codes.setdefault(value, len(codes)) if value else -1 for value in values), dtype=np.int64, count=len(values)
    )


@dataclass(slots=True)
class RecordTable:
    records: list[MatchRecord]
    columns: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    _objects: dict[str, np.ndarray] = field(default_factory=dict)
    _released_ids: list[str] | None = None

    TEXT_FIELDS = (
        "name",
        "name_pinyin",
        "name_core",
        "name_words",
        "cert_no",
        "cert_key",
        "email",
        "address_key",
        "address_text",
        "district",
        "address_numbers",
        "birth_date",
        "gender",
        "local_network",
        "segment",
        "source",
    )

    @classmethod
    def build(cls, records: Iterable[MatchRecord]) -> RecordTable:
        table = cls(list(records))
        for name in cls.TEXT_FIELDS:
            column = [getattr(r, name) for r in table.records]
            table.columns[name] = column
            table.codes[name] = factorize(column)
        table.codes["phones"] = _phone_codes(table.records)
        table.codes["name_length"] = np.fromiter(
            (len(v) for v in table.columns["name"]), dtype=np.int64, count=len(table.records)
        )
        table.codes["birth_date_swapped"] = _swapped_date_codes(table.columns["birth_date"])
        _add_name_words(table)
        for name in ("address_first_number", "address_last_number"):  # coded together by their blocking rule
            table.columns[name] = [getattr(r, name) for r in table.records]
        table.codes["cert_valid"] = np.fromiter(
            (r.cert_valid for r in table.records), dtype=bool, count=len(table.records)
        )
        table.codes["is_organisation"] = np.fromiter(
            (r.is_organisation for r in table.records), dtype=bool, count=len(table.records)
        )
        return table

    def __len__(self) -> int:
        return len(self.records)

    def objects(self, name: str) -> np.ndarray:
        """A text column as a numpy object array, made once: picking millions of pairs' values
        from it is a fancy index, six times faster than a list comprehension."""
        array = self._objects.get(name)
        if array is None:
            array = self._objects[name] = np.asarray(self.columns[name], dtype=object)
        return array

    def ids(self) -> list[str]:
        if self._released_ids is not None:
            return self._released_ids
        return [r.id for r in self.records]

    def release(self) -> None:
        """Keep only the record ids: a batch run writing a million customers no longer needs the
        records and their columns, which are a gigabyte or more."""
        self._released_ids = self.ids()
        self.records = []
        self.columns.clear()
        self.codes.clear()
        self._objects.clear()


PHONES_COMPARED = 3


def _phone_codes(records: Sequence[MatchRecord]) -> np.ndarray:
    """n x 3 integer codes of each record's first phones (-1 where none): phone overlap in numpy."""
    codes: dict[str, int] = {}
    out = np.full((len(records), PHONES_COMPARED), -1, dtype=np.int64)
    for i, record in enumerate(records):
        for k, phone in enumerate(record.phones[:PHONES_COMPARED]):
            out[i, k] = codes.setdefault(phone, len(codes))
    return out


def _swapped_date_codes(dates: Sequence[str]) -> np.ndarray:
    """Code of each birth date with day and month swapped, in the birth dates' own code space,
    so "01-02 vs 02-01" is an integer compare; -1 when the swap is no date of the column."""
    codes: dict[str, int] = {}
    for value in dates:
        if value:
            codes.setdefault(value, len(codes))
    out = np.full(len(dates), -1, dtype=np.int64)
    for i, value in enumerate(dates):
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            out[i] = codes.get(f"{value[:4]}-{value[8:10]}-{value[5:7]}", -1)
    return out


WORDS_COMPARED = 4


def _add_name_words(table: RecordTable) -> None:
    """Codes of each name's first four words (-1 where none) in one code space, their count, and
    the first and last word as text: "shares a word" (a kept surname, a changed given name, the two
    swapped, a particle such as "von") in numpy. Names without a space are one word; only the few
    with spaces are split, so a million Chinese names cost a fraction of a second."""
    names = table.columns["name_words"]
    n = len(names)
    code_of: dict[str, int] = {}
    whole = np.fromiter(
        (code_of.setdefault(name, len(code_of)) if name else -1 for name in names), dtype=np.int64, count=n
    )
    codes = np.full((n, WORDS_COMPARED), -1, dtype=np.int64)
    codes[:, 0] = whole
    count = (whole >= 0).astype(np.int64)
    first, last = list(names), list(names)
    for i in [i for i, name in enumerate(names) if " " in name]:
        words = names[i].split()
        codes[i, 0] = -1
        for k, word in enumerate(words[:WORDS_COMPARED]):
            codes[i, k] = code_of.setdefault(word, len(code_of))
        count[i], first[i], last[i] = len(words), words[0], words[-1]
    table.codes["name_word_codes"] = codes
    table.codes["name_word_count"] = count
    table.columns["name_first_word"] = first
    table.columns["name_last_word"] = last
