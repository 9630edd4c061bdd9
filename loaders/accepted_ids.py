"""The ids a first load's checked files accepted, as the checking processes keep them for the files after.

A file's rows name records of the files before it (a bill its account, a contact a subscription's
number), and a checking process holds the accepted ids of every file that a later file can refer to,
its own and the other process's. In sets, a million-record demo's checking processes held 846 MB each,
growing with the city; a checked file's ids never change, so they are kept sorted in one array of
fixed-width UTF-8 bytes (about the ids' own length each) and a batch's references are looked up in it
together, in numpy's binary search.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, MutableSet, Set

import numpy as np


class AcceptedIds:
    """One checked file's accepted ids, or its subscriptions' service numbers. No id holds a NUL (a
    value with one is refused: app/record_kinds.py), which fixed-width bytes could not tell from the
    padding."""

    __slots__ = ("_sorted",)

    def __init__(self, ids: Collection[str]) -> None:
        self._sorted = np.sort(np.array([rid.encode() for rid in ids], dtype=bytes))

    def __len__(self) -> int:
        return len(self._sorted)

    def __iter__(self) -> Iterator[str]:
        return (rid.decode() for rid in self._sorted.tolist())

    def found(self, wanted: np.ndarray) -> np.ndarray:
        """Which of ``wanted`` (UTF-8 bytes, numpy's ``S`` kind) are here, as booleans."""
        held = self._sorted
        out = np.zeros(len(wanted), dtype=bool)
        if not len(held) or not len(wanted):
            return out
        # Longer than the longest held id: not held (and cast to the held width it would be cut short).
        fits = np.char.str_len(wanted) <= held.dtype.itemsize
        candidates = wanted[fits].astype(held.dtype)
        at = np.minimum(np.searchsorted(held, candidates), len(held) - 1)
        out[fits] = held[at] == candidates
        return out


class KnownBefore(MutableSet[str]):
    """The ids a file's rows may name: those of the checked files it can refer to, and any added since
    (a reference confirmed otherwise; a first load has none). A set difference with it (``refs - known``,
    how references are checked: app/services/source_records.py) looks the set's ids up together."""

    def __init__(self, files: Iterable[AcceptedIds] = ()) -> None:
        self._files = [file for file in files if len(file)]
        self._added: set[str] = set()

    def __contains__(self, rid: object) -> bool:
        if rid in self._added:
            return True
        if type(rid) is not str or "\x00" in rid:
            return False
        return bool(self._found([rid]).any())

    def __rsub__(self, other: Set[str]) -> set[str]:  # type: ignore[override]
        wanted = [rid for rid in other if rid not in self._added]
        if not wanted:
            return set()
        found = self._found(wanted)
        return {rid for rid, known in zip(wanted, found.tolist(), strict=True) if not known}

    def _found(self, wanted: list[str]) -> np.ndarray:
        encoded = np.array([rid.encode() for rid in wanted], dtype=bytes)
        found = np.zeros(len(wanted), dtype=bool)
        for file in self._files:
            found |= file.found(encoded)
        # An id with a NUL is never held: cut at the NUL, numpy's bytes would match a shorter one.
        return found & np.fromiter(("\x00" not in rid for rid in wanted), dtype=bool, count=len(wanted))

    def __iter__(self) -> Iterator[str]:
        yield from self._added
        for file in self._files:
            yield from file

    def __len__(self) -> int:
        return len(self._added) + sum(len(file) for file in self._files)

    def add(self, rid: str) -> None:
        self._added.add(rid)

    def discard(self, rid: str) -> None:
        """Only an id added since: the checked files' ids stay."""
        self._added.discard(rid)
