"""The ids a first load's checked files accepted, as the checking processes keep them for the files after.

A file's rows name records of the files before it (a bill its account, a contact a subscription's
number), and a checking process holds the accepted ids of every file that a later file can refer to,
its own and the other process's. In sets, a million-record demo's checking processes held 846 MB each,
growing with the city; a checked file's ids never change, so they are kept sorted as UTF-8 bytes, in
one numpy array per length (each id takes its own length), and a batch's references are looked up in
them together, by numpy's binary search.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, MutableSet, Set

import numpy as np


class AcceptedIds:
    """One checked file's accepted ids, or its subscriptions' service numbers: the ids of each length in
    UTF-8 in an array of their own, so one long id (a source id may have 200 characters) does not pad the
    rest to its width, and an id is only compared with ids of its own length: numpy's bytes drop trailing
    NULs, so across lengths ``CA1\\x00`` would equal ``CA1``."""

    __slots__ = ("_by_length",)

    def __init__(self, ids: Collection[str]) -> None:
        by_length: dict[int, list[bytes]] = {}
        for rid in ids:
            encoded = rid.encode()
            by_length.setdefault(len(encoded), []).append(encoded)
        self._by_length = {
            length: np.sort(np.array(same, dtype=f"S{max(length, 1)}")) for length, same in by_length.items()
        }

    def __len__(self) -> int:
        return sum(len(held) for held in self._by_length.values())

    def __iter__(self) -> Iterator[str]:
        for held in self._by_length.values():
            yield from (rid.decode() for rid in held.tolist())

    def found(self, wanted: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Which of ``wanted`` (UTF-8 bytes, numpy's ``S`` kind, each ``lengths`` long) are here."""
        out = np.zeros(len(wanted), dtype=bool)
        for length, held in self._by_length.items():
            mine = lengths == length
            if not mine.any():
                continue
            candidates = wanted[mine].astype(held.dtype)
            at = np.minimum(np.searchsorted(held, candidates), len(held) - 1)
            out[mine] = held[at] == candidates
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
        if type(rid) is not str:
            return False
        return bool(self._found([rid]).any())

    def __rsub__(self, other: Set[str]) -> set[str]:  # type: ignore[override]
        wanted = [rid for rid in other if rid not in self._added]
        if not wanted:
            return set()
        found = self._found(wanted)
        return {rid for rid, known in zip(wanted, found.tolist(), strict=True) if not known}

    def _found(self, wanted: list[str]) -> np.ndarray:
        encoded = [rid.encode() for rid in wanted]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        as_bytes = np.array(encoded, dtype=bytes)
        found = np.zeros(len(wanted), dtype=bool)
        for file in self._files:
            found |= file.found(as_bytes, lengths)
        return found

    @classmethod
    def _from_iterable(cls, ids: Iterable[str]) -> set[str]:  # type: ignore[override]
        """What the set operations it inherits (``known | other``, ``known & other``) make: a set."""
        return set(ids)

    def __iter__(self) -> Iterator[str]:
        """Each id once, though two files or an added id may both hold it."""
        seen = set(self._added)
        yield from self._added
        for file in self._files:
            for rid in file:
                if rid not in seen:
                    seen.add(rid)
                    yield rid

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def add(self, rid: str) -> None:
        self._added.add(rid)

    def discard(self, rid: str) -> None:
        """Only an id added since: the checked files' ids stay."""
        self._added.discard(rid)
