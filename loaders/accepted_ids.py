"""The ids a first load's checked files accepted, as the checking processes keep them for the files after.

A file's rows name records of the files before it (a bill its account, a contact a subscription's
number), and a checking process holds the accepted ids of every file that a later file can refer to,
its own and the other process's. In sets, a million-record demo's checking processes held 846 MB each,
growing with the city; a checked file's ids never change, so they are kept sorted as UTF-8 bytes, in
one numpy array per length (each id takes its own length), and a batch's references are looked up in
them together, by numpy's binary search.

The ids a file has used so far, for its duplicate check, are kept the same way (:class:`FileIds`): the
crm bills of a five-million-record city are 10.6 million ids in one file, about 1 GB in a set.
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

    @classmethod
    def joined(cls, parts: Iterable[AcceptedIds]) -> AcceptedIds:
        """The ids of every part, in one (an id held by two parts is held twice)."""
        by_length: dict[int, list[np.ndarray]] = {}
        for part in parts:
            for length, held in part._by_length.items():
                by_length.setdefault(length, []).append(held)
        joined = cls(())
        joined._by_length = {length: np.sort(np.concatenate(arrays)) for length, arrays in by_length.items()}
        return joined

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
        return _found_in(self._files, wanted)

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


def _found_in(held: Iterable[AcceptedIds], wanted: list[str]) -> np.ndarray:
    """Which of ``wanted`` one of ``held`` holds, looked up together."""
    encoded = [rid.encode() for rid in wanted]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    as_bytes = np.array(encoded, dtype=bytes)
    found = np.zeros(len(wanted), dtype=bool)
    for ids in held:
        found |= ids.found(as_bytes, lengths)
    return found


# Ids a file's rows used that are kept in a set before they go into sorted bytes.
FOLD_AT = 250_000


class FileIds:
    """The ids a file's rows have used so far: the latest in a set, the rest folded into sorted bytes
    (:class:`AcceptedIds`), runs of about equal size joined so that a batch is looked up in a few."""

    def __init__(self, fold_at: int | None = None) -> None:
        self.fold_at = fold_at or FOLD_AT
        self._latest: set[str] = set()
        self._runs: list[AcceptedIds] = []

    def use(self, rids: list[str]) -> list[bool]:
        """For each of a batch's ids in order, whether it was used before (by an earlier batch or earlier
        in this one); all are used from now on."""
        folded = _found_in(self._runs, rids).tolist() if self._runs and rids else [False] * len(rids)
        latest, used = self._latest, []
        for rid, before in zip(rids, folded, strict=True):
            if before or rid in latest:
                used.append(True)
            else:
                latest.add(rid)
                used.append(False)
        if len(latest) >= self.fold_at:
            self._fold()
        return used

    def _fold(self) -> None:
        runs = self._runs
        runs.append(AcceptedIds(self._latest))
        self._latest = set()
        while len(runs) > 1 and len(runs[-2]) <= 2 * len(runs[-1]):
            last = runs.pop()
            runs[-1] = AcceptedIds.joined([runs[-1], last])

    def __len__(self) -> int:
        return len(self._latest) + sum(len(run) for run in self._runs)
