"""The matching view of a customer source record, and a column store of many of them.

Blocking and comparisons work on columns (one list or integer-code array per field)
so that scoring millions of candidate pairs runs in rapidfuzz's and numpy's C loops.
"""

from __future__ import annotations

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
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        out[i] = codes.setdefault(value, len(codes)) if value else -1
    return out


@dataclass(slots=True)
class RecordTable:
    records: list[MatchRecord]
    columns: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)

    TEXT_FIELDS = ("name", "name_pinyin", "name_core", "name_words", "cert_no", "email", "address_key", "address_text",
                   "district", "birth_date", "gender", "local_network", "segment", "source")

    @classmethod
    def build(cls, records: Iterable[MatchRecord]) -> "RecordTable":
        table = cls(list(records))
        for name in cls.TEXT_FIELDS:
            column = [getattr(r, name) for r in table.records]
            table.columns[name] = column
            table.codes[name] = factorize(column)
        table.codes["cert_valid"] = np.fromiter((r.cert_valid for r in table.records), dtype=bool,
                                                count=len(table.records))
        table.codes["is_organisation"] = np.fromiter((r.is_organisation for r in table.records), dtype=bool,
                                                     count=len(table.records))
        return table

    def __len__(self) -> int:
        return len(self.records)

    def ids(self) -> list[str]:
        return [r.id for r in self.records]
