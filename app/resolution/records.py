"""The matching view of a customer source record, and a column store of many of them.

Blocking and comparisons work on columns (one list or integer-code array per field)
so that scoring millions of candidate pairs runs in rapidfuzz's and numpy's C loops.
"""

from __future__ import annotations

import re

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class MatchRecord:
    id: str
    source: str = ""
    name: str = ""
    name_pinyin: str = ""
    name_core: str = ""
    name_words: str = ""
    cert_kind: str = ""
    cert_no: str = ""
    cert_valid: bool = False
    phones: tuple[str, ...] = ()
    email: str = ""
    address_key: str = ""
    address_text: str = ""
    district: str = ""
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


def factorize(values: Sequence[str]) -> np.ndarray:
    """Integer code per distinct non-empty value, -1 for empty: equality tests become integer compares."""
    codes: dict[str, int] = {}
    return np.fromiter((codes.setdefault(value, len(codes)) if value else -1 for value in values),
                       dtype=np.int64, count=len(values))


@dataclass(slots=True)
class RecordTable:
    records: list[MatchRecord]
    columns: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    _objects: dict[str, np.ndarray] = field(default_factory=dict)

    TEXT_FIELDS = ("name", "name_pinyin", "name_core", "name_words", "cert_no", "email", "address_key", "address_text",
                   "district", "birth_date", "gender", "local_network", "segment", "source")

    @classmethod
    def build(cls, records: Iterable[MatchRecord]) -> "RecordTable":
        table = cls(list(records))
        for name in cls.TEXT_FIELDS:
            column = [getattr(r, name) for r in table.records]
            table.columns[name] = column
            table.codes[name] = factorize(column)
        table.codes["phones"] = _phone_codes(table.records)
        table.codes["name_length"] = np.fromiter((len(v) for v in table.columns["name"]), dtype=np.int64,
                                                 count=len(table.records))
        table.codes["birth_date_swapped"] = _swapped_date_codes(table.columns["birth_date"])
        table.codes["name_end_words"] = _end_word_codes(table.columns["name_words"])
        table.codes["address_numbers"] = factorize([_address_numbers(r) for r in table.records])
        table.codes["cert_valid"] = np.fromiter((r.cert_valid for r in table.records), dtype=bool,
                                                count=len(table.records))
        table.codes["is_organisation"] = np.fromiter((r.is_organisation for r in table.records), dtype=bool,
                                                     count=len(table.records))
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
        return [r.id for r in self.records]


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


_DIGITS = re.compile(r"\d+")


def _address_numbers(record: MatchRecord) -> str:
    """The district and the numbers of an address (house, building, room, postcode): what a
    mistyped or abbreviated street name leaves intact. Two numbers, or one within a district, so
    that a bare postcode or house number makes no key."""
    numbers = _DIGITS.findall(record.address_text)
    if len(numbers) + bool(record.district) < 2:
        return ""
    return " ".join((record.district, *numbers))


def _end_word_codes(names: Sequence[str]) -> np.ndarray:
    """n x 2 codes of the first and last word of names of two or more words (-1 otherwise), in one
    code space: "shares a word" (kept surname, changed given name, or the two swapped) in numpy."""
    codes: dict[str, int] = {}
    out = np.full((len(names), 2), -1, dtype=np.int64)
    for i, name in enumerate(names):
        words = name.split()
        if len(words) >= 2:
            out[i, 0] = codes.setdefault(words[0], len(codes))
            out[i, 1] = codes.setdefault(words[-1], len(codes))
    return out
