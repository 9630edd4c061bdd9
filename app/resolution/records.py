"""The matching view of a customer source record, and a column store of many of them.

Blocking and comparisons work on columns (an integer-code array per field, and the text of the fields
compared by similarity) so that scoring millions of candidate pairs runs in rapidfuzz's and numpy's C
loops. The text is kept as UTF-8 (text_column.py), not as a string object per value: a table holds no
record as a tuple, so a linker of five million records is not mostly object headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from app.resolution.text_column import TextColumn


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


# Codes, counts and lengths: a table holds about 26 a record, and at five million records 64-bit ones
# were a gigabyte. Arithmetic on them (a key of two codes) widens to 64 bits first.
CODE = np.int32


def factorize(values: Sequence[str]) -> np.ndarray:
    """Integer code per distinct non-empty value, -1 for empty: equality tests become integer compares."""
    codes: dict[str, int] = {}
    return np.fromiter(
        (codes.setdefault(value, len(codes)) if value else -1 for value in values), dtype=CODE, count=len(values)
    )


# A tuple field's values each end with this: () is "", ("",) is SEPARATOR.
SEPARATOR = "\x1f"
FLAG_FIELDS = ("cert_valid", "is_organisation")
TUPLE_FIELDS = ("phones", "notes")
TEXT_FIELDS = tuple(f for f in MatchRecord._fields if f not in FLAG_FIELDS + TUPLE_FIELDS)


@dataclass(slots=True)
class RecordColumns:
    """Every field of many match records: strings in text columns, flags in boolean arrays, tuples
    joined into one string each. About half the memory of the records as tuples of strings."""

    text: dict[str, TextColumn]
    flags: dict[str, np.ndarray]

    @classmethod
    def of(cls, records: Sequence[MatchRecord]) -> RecordColumns:
        text = {name: TextColumn.of([getattr(r, name) for r in records]) for name in TEXT_FIELDS}
        for name in TUPLE_FIELDS:
            text[name] = TextColumn.of(["".join(v + SEPARATOR for v in getattr(r, name)) for r in records])
        flags = {
            name: np.fromiter((getattr(r, name) for r in records), dtype=bool, count=len(records))
            for name in FLAG_FIELDS
        }
        return cls(text, flags)

    @classmethod
    def joined(cls, parts: list[RecordColumns], order: np.ndarray | None = None) -> RecordColumns:
        """The parts one after the other, then taken in ``order``; emptied as they are joined, so at most
        one field is held twice."""
        text: dict[str, TextColumn] = {}
        for name in (*TEXT_FIELDS, *TUPLE_FIELDS):
            column = TextColumn.joined([part.text.pop(name) for part in parts])
            text[name] = column if order is None else column.taken(order)
        flags = {}
        for name in FLAG_FIELDS:
            flag = np.concatenate([part.flags.pop(name) for part in parts]) if parts else np.empty(0, dtype=bool)
            flags[name] = flag if order is None else flag[order]
        return cls(text, flags)

    def __len__(self) -> int:
        return len(self.text["id"])

    def tuples(self, name: str) -> list[tuple[str, ...]]:
        return [_split(value) for value in self.text[name]]

    def record(self, i: int) -> MatchRecord:
        values: dict[str, Any] = {name: self.text[name][i] for name in TEXT_FIELDS}
        for name in TUPLE_FIELDS:
            values[name] = _split(self.text[name][i])
        for name in FLAG_FIELDS:
            values[name] = bool(self.flags[name][i])
        return MatchRecord(**values)


def _split(joined: str) -> tuple[str, ...]:
    return tuple(joined.split(SEPARATOR)[:-1]) if joined else ()


def id_order(ids: Sequence[str]) -> np.ndarray:
    """The positions of ``ids`` in the order of the ids: the linker's order, whatever order the files or
    the store gave the records in."""
    return np.asarray(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)


def in_id_order(parts: list[RecordColumns]) -> tuple[RecordColumns, np.ndarray]:
    """The parts' records as one set of columns in the order of their ids, and each one's position among
    the parts' records as given; the parts are emptied."""
    order = id_order([rid for part in parts for rid in part.text["id"]])
    return RecordColumns.joined(parts, order), order


@dataclass(slots=True)
class RecordTable:
    fields: RecordColumns
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    # The text columns by name: the records' own and the first and last words of their names.
    columns: dict[str, TextColumn] = field(default_factory=dict)
    _ids: list[str] | None = None

    CODED_FIELDS = (
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
        return cls.of_columns(RecordColumns.of(list(records)))

    @classmethod
    def of_columns(cls, fields: RecordColumns) -> RecordTable:
        """The integer codes blocking and comparisons work on; each field's strings are decoded for its
        codes and let go."""
        table = cls(fields, columns=dict(fields.text))
        n = len(fields)
        for name in cls.CODED_FIELDS:
            values = fields.text[name].strings()
            table.codes[name] = factorize(values)
            if name == "name":
                table.codes["name_length"] = np.fromiter(map(len, values), dtype=CODE, count=n)
            elif name == "birth_date":
                table.codes["birth_date_swapped"] = _swapped_date_codes(values)
            elif name == "name_words":
                _add_name_words(table, values)
        table.codes["phones"] = _phone_codes(fields.tuples("phones"))
        for name in FLAG_FIELDS:
            table.codes[name] = fields.flags[name]
        return table

    def __len__(self) -> int:
        return len(self.fields)

    def objects(self, name: str) -> np.ndarray:
        """A text column as a numpy object array, made for each use: picking millions of pairs' values
        from it is a fancy index, six times faster than a list comprehension."""
        return self.columns[name].objects()

    def ids(self) -> list[str]:
        if self._ids is None:
            self._ids = self.fields.text["id"].strings()
        return self._ids

    # Fields the linker reads only as codes (the codes are made from them first), or not at all.
    NOT_READ_AS_TEXT = ("source", "name_core", "cert_key", "gender", "address_numbers", "updated_at", "phones", "notes")

    def release_unread_text(self) -> None:
        """Let go of the text the linker does not read once the codes are made: about a fifth of the
        records' text (130 bytes a record; 650 MB at five million), kept by a linking process that only
        links. A table that may be asked for whole records (``fields.record``) keeps it."""
        for name in self.NOT_READ_AS_TEXT:
            self.fields.text.pop(name, None)
            self.columns.pop(name, None)

    def release(self) -> None:
        """Keep only the record ids' column: a batch run writing a million customers no longer needs the
        records and their columns, which are a gigabyte or more."""
        self.fields = RecordColumns({"id": self.fields.text["id"]}, {})
        self.columns.clear()
        self.codes.clear()


PHONES_COMPARED = 3


def _phone_codes(phones: Sequence[tuple[str, ...]]) -> np.ndarray:
    """n x 3 integer codes of each record's first phones (-1 where none): phone overlap in numpy."""
    codes: dict[str, int] = {}
    out = np.full((len(phones), PHONES_COMPARED), -1, dtype=CODE)
    for i, numbers in enumerate(phones):
        for k, phone in enumerate(numbers[:PHONES_COMPARED]):
            out[i, k] = codes.setdefault(phone, len(codes))
    return out


def _swapped_date_codes(dates: Sequence[str]) -> np.ndarray:
    """Code of each birth date with day and month swapped, in the birth dates' own code space,
    so "01-02 vs 02-01" is an integer compare; -1 when the swap is no date of the column."""
    codes: dict[str, int] = {}
    for value in dates:
        if value:
            codes.setdefault(value, len(codes))
    out = np.full(len(dates), -1, dtype=CODE)
    for i, value in enumerate(dates):
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            out[i] = codes.get(f"{value[:4]}-{value[8:10]}-{value[5:7]}", -1)
    return out


WORDS_COMPARED = 4


def _add_name_words(table: RecordTable, names: list[str]) -> None:
    """Codes of each name's first four words (-1 where none) in one code space, their count, and
    the first and last word as text: "shares a word" (a kept surname, a changed given name, the two
    swapped, a particle such as "von") in numpy. Names without a space are one word; only the few
    with spaces are split, so a million Chinese names cost a fraction of a second."""
    n = len(names)
    code_of: dict[str, int] = {}
    whole = np.fromiter((code_of.setdefault(name, len(code_of)) if name else -1 for name in names), dtype=CODE, count=n)
    codes = np.full((n, WORDS_COMPARED), -1, dtype=CODE)
    codes[:, 0] = whole
    count = (whole >= 0).astype(CODE)
    first, last = list(names), list(names)
    for i in [i for i, name in enumerate(names) if " " in name]:
        words = names[i].split()
        codes[i, 0] = -1
        for k, word in enumerate(words[:WORDS_COMPARED]):
            codes[i, k] = code_of.setdefault(word, len(code_of))
        count[i], first[i], last[i] = len(words), words[0], words[-1]
    table.codes["name_word_codes"] = codes
    table.codes["name_word_count"] = count
    table.columns["name_first_word"] = TextColumn.of(first)
    table.columns["name_last_word"] = TextColumn.of(last)
