"""Field comparisons: each turns a candidate pair into a comparison level.

Levels are ordered strongest agreement first (index 0); -1 means "missing" (either
side empty), which adds no evidence either way. Every comparison is vectorised over
all pairs at once with rapidfuzz's ``cpdist`` and numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import distance, fuzz, process

from app.resolution.records import RecordTable

MISSING = -1
Compute = Callable[[RecordTable, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    levels: tuple[str, ...]
    compute: Compute

    @property
    def agreement_levels(self) -> int:
        return len(self.levels)


def _similarity(table: RecordTable, column: str, left: np.ndarray, right: np.ndarray, scorer: Any) -> np.ndarray:
    if len(left) == 0:
        return np.empty(0)
    values = table.objects(column)
    return process.cpdist(values[left], values[right], scorer=scorer, workers=-1)


def _missing(table: RecordTable, column: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    codes = table.codes[column]
    return (codes[left] < 0) | (codes[right] < 0)


def _equal(table: RecordTable, column: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    codes = table.codes[column]
    return (codes[left] == codes[right]) & (codes[left] >= 0)


def _levels(n: int, conditions: list[np.ndarray], missing: np.ndarray) -> np.ndarray:
    """First true condition wins; none true means the last level ("different")."""
    out = np.full(n, len(conditions), dtype=np.int8)
    for level in range(len(conditions) - 1, -1, -1):
        out[conditions[level]] = level
    out[missing] = MISSING
    return out


def compare_name(table: RecordTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    exact = _equal(table, "name", left, right)
    homophone = _equal(table, "name_pinyin", left, right)
    core = _equal(table, "name_core", left, right)
    jw_text = _similarity(table, "name", left, right, distance.JaroWinkler.normalized_similarity)
    jw_pinyin = _similarity(table, "name_pinyin", left, right, distance.JaroWinkler.normalized_similarity)
    reordered = _similarity(table, "name_words", left, right, fuzz.token_set_ratio) >= 95
    close = (jw_pinyin >= 0.92) | (jw_text >= 0.85)
    edits = _similarity(table, "name", left, right, distance.Levenshtein.distance)
    lengths = table.codes["name_length"][left]
    one_character = (edits == 1) & (lengths >= 2)
    stronger = exact | homophone | core | reordered | close | one_character
    return _levels(
        len(left),
        [exact, homophone | core, reordered, close, one_character, _shares_word(table, left, right, stronger)],
        _missing(table, "name", left, right),
    )


def _shares_word(table: RecordTable, left: np.ndarray, right: np.ndarray, stronger: np.ndarray) -> np.ndarray:
    """Names of which at least one has two or more words, sharing a word exactly or nearly (Jaro-Winkler
    0.9 between first or last words: "mcniell" / "jake mcneill"). Only asked where no stronger level holds."""
    count = table.codes["name_word_count"]
    asked = np.flatnonzero(
        ~stronger & ((count[left] >= 2) | (count[right] >= 2)) & (count[left] > 0) & (count[right] > 0)
    )
    out = np.zeros(len(left), dtype=bool)
    if len(asked) == 0:
        return out
    lo, hi = left[asked], right[asked]
    words = table.codes["name_word_codes"]
    a, b = words[lo], words[hi]
    shared = ((a[:, :, None] == b[:, None, :]) & (a[:, :, None] >= 0)).any(axis=(1, 2))
    jw = distance.JaroWinkler.normalized_similarity
    for one, other in (
        ("name_first_word", "name_first_word"),
        ("name_last_word", "name_last_word"),
        ("name_first_word", "name_last_word"),
        ("name_last_word", "name_first_word"),
    ):
        shared |= process.cpdist(table.objects(one)[lo], table.objects(other)[hi], scorer=jw, workers=-1) >= 0.9
    out[asked] = shared
    return out


# reordered: the same words in another order, or one name's words all in the other (surname and given
# name swapped, a given name left out); one_character: a single look-alike or mistyped character
# (林/材, 王/玉); shares_word: one of two or more words kept, exactly or nearly (the surname, with
# another given name).
NAME = Comparison(
    "name", ("exact", "homophone", "reordered", "close", "one_character", "shares_word", "different"), compare_name
)


def compare_certificate(table: RecordTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    exact = _equal(table, "cert_key", left, right)
    edits = _similarity(table, "cert_no", left, right, distance.DamerauLevenshtein.distance)
    return _levels(len(left), [exact, edits <= 1, edits <= 2], _missing(table, "cert_no", left, right))


CERTIFICATE = Comparison("certificate", ("exact", "one_edit", "two_edits", "different"), compare_certificate)


def compare_phones(table: RecordTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    phones = table.codes["phones"]
    a, b = phones[left], phones[right]
    shared = np.zeros(len(left), dtype=bool)
    for k in range(a.shape[1]):
        for m in range(b.shape[1]):
            shared |= (a[:, k] == b[:, m]) & (a[:, k] >= 0)
    out = np.where(shared, 0, 1).astype(np.int8)
    out[(a[:, 0] < 0) | (b[:, 0] < 0)] = MISSING
    return out


PHONE = Comparison("phone", ("shared", "different"), compare_phones)


def compare_email(table: RecordTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    exact = _equal(table, "email", left, right)
    edits = _similarity(table, "email", left, right, distance.Levenshtein.distance)
    return _levels(len(left), [exact, edits <= 2], _missing(table, "email", left, right))


EMAIL = Comparison("email", ("exact", "close", "different"), compare_email)


def compare_birth_date(table: RecordTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    exact = _equal(table, "birth_date", left, right)
    edits = _similarity(table, "birth_date", left, right, distance.Levenshtein.distance)
    codes = table.codes["birth_date"]
    swapped = (table.codes["birth_date_swapped"][left] == codes[right]) & (codes[right] >= 0)
    return _levels(len(left), [exact, (edits <= 1) | swapped, edits <= 2], _missing(table, "birth_date", left, right))


BIRTH_DATE = Comparison("birth_date", ("exact", "close", "two_edits", "different"), compare_birth_date)


def compare_address(table: RecordTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    exact = _equal(table, "address_key", left, right)
    ratio = _similarity(table, "address_text", left, right, fuzz.token_set_ratio)
    partial = _similarity(table, "address_key", left, right, fuzz.ratio)
    district = _equal(table, "district", left, right)
    numbers = _equal(table, "address_numbers", left, right)
    return _levels(
        len(left),
        [exact, (ratio >= 90) | (partial >= 90), numbers, (ratio >= 60) | (partial >= 70), district],
        _missing(table, "address_key", left, right),
    )


# same_numbers: the district and every number agree, the words do not (a mistyped street, a renamed
# estate); similar: most words shared (a building name dropped); same_area: only the district agrees.
ADDRESS = Comparison(
    "address", ("exact", "close", "same_numbers", "similar", "same_area", "different"), compare_address
)


def compare_gender(table: RecordTable, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return _levels(len(left), [_equal(table, "gender", left, right)], _missing(table, "gender", left, right))


GENDER = Comparison("gender", ("same", "different"), compare_gender)

COMPARISONS: tuple[Comparison, ...] = (NAME, CERTIFICATE, PHONE, EMAIL, BIRTH_DATE, ADDRESS, GENDER)


def compare_all(
    table: RecordTable, left: np.ndarray, right: np.ndarray, comparisons: tuple[Comparison, ...] = COMPARISONS
) -> np.ndarray:
    """The comparison matrix: one row per pair, one column per comparison, levels as int8."""
    if len(left) == 0:
        return np.empty((0, len(comparisons)), dtype=np.int8)
    return np.column_stack([c.compute(table, left, right) for c in comparisons]).astype(np.int8)
