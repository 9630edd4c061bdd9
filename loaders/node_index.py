"""Ids to the nodes a first load gave them, kept for the rows that name them.

A first load finds an account's node for each of its bills, a customer record's for each holding and a
subscription's for each contact about its number. In dicts, a million-record city's accounts, record
ids and numbers were about 130-200 bytes an entry (the key's string, the value's int, the slot), several
hundred megabytes growing with the city and left fragmented once the files were in. The latest
entries stay in a dict; past a quarter of a million they are folded into sorted UTF-8 bytes with their
nodes beside them (about 35 bytes an entry), looked up by numpy's binary search.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

# Entries kept in a dict before they are folded into sorted bytes.
FOLD_AT = 250_000


class _Run:
    """Keys sorted in UTF-8, one array for each length (numpy's bytes drop trailing NULs, so keys are
    only compared with keys of their own length), each key's node beside it; a key held twice keeps
    its nodes in the order they were added."""

    __slots__ = ("_by_length", "size")

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        by_length: dict[int, tuple[list[bytes], list[int]]] = {}
        for key, node in pairs:
            encoded = key.encode()
            keys, nodes = by_length.setdefault(len(encoded), ([], []))
            keys.append(encoded)
            nodes.append(node)
        self._by_length: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.size = 0
        for length, (keys, nodes) in by_length.items():
            self._put(length, np.array(keys, dtype=f"S{max(length, 1)}"), np.asarray(nodes, dtype=np.int64))

    def _put(self, length: int, keys: np.ndarray, nodes: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self._by_length[length] = (keys[order], nodes[order])
        self.size += len(keys)

    @classmethod
    def joined(cls, older: _Run, newer: _Run) -> _Run:
        run = cls(())
        for length in older._by_length.keys() | newer._by_length.keys():
            parts = [run_._by_length[length] for run_ in (older, newer) if length in run_._by_length]
            run._put(length, np.concatenate([k for k, _ in parts]), np.concatenate([n for _, n in parts]))
        return run

    def last_nodes(self, wanted: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """For each of ``wanted`` (UTF-8 bytes, numpy's ``S`` kind, each ``lengths`` long) the node of its
        last entry here, or -1."""
        out = np.full(len(wanted), -1, dtype=np.int64)
        for length, (keys, nodes) in self._by_length.items():
            mine = np.flatnonzero(lengths == length)
            if not len(mine):
                continue
            candidates = wanted[mine].astype(keys.dtype)
            at = np.searchsorted(keys, candidates, "right") - 1
            hit = (at >= 0) & (keys[np.maximum(at, 0)] == candidates)
            out[mine[hit]] = nodes[at[hit]]
        return out

    def nodes(self, encoded: bytes) -> list[int]:
        held = self._by_length.get(len(encoded))
        if held is None:
            return []
        keys, nodes = held
        key = np.array(encoded, dtype=keys.dtype)
        low = int(np.searchsorted(keys, key, "left"))
        high = int(np.searchsorted(keys, key, "right"))
        return nodes[low:high].tolist() if high > low else []


class _Folded:
    def __init__(self, fold_at: int | None) -> None:
        self.fold_at = fold_at or FOLD_AT
        self._runs: list[_Run] = []

    def _folded(self, key: str) -> list[int]:
        """The key's nodes in the folded runs, oldest first."""
        if not self._runs:
            return []
        encoded = key.encode()
        found: list[int] = []
        for run in self._runs:
            found.extend(run.nodes(encoded))
        return found

    def _fold(self, pairs: Iterable[tuple[str, int]]) -> None:
        runs = self._runs
        runs.append(_Run(pairs))
        while len(runs) > 1 and runs[-2].size <= 2 * runs[-1].size:
            newer = runs.pop()
            runs[-1] = _Run.joined(runs[-1], newer)


class NodeIndex(_Folded):
    """One node for each id, as a dict would keep it (the last set wins)."""

    def __init__(self, fold_at: int | None = None) -> None:
        super().__init__(fold_at)
        self._latest: dict[str, int] = {}
        # The folded nodes of the keys a batch is about to ask for (:meth:`look_up`).
        self._looked_up: dict[str, int] = {}

    def look_up(self, keys: Iterable[str | None]) -> None:
        """Find a batch's keys in the folded runs together, for the :meth:`get` of each that follows: one
        at a time, numpy's search costs microseconds a key, and a city's bills name millions of accounts."""
        self._looked_up = {}
        if not self._runs:
            return
        wanted = list({key for key in keys if key is not None and key not in self._latest})
        if not wanted:
            return
        encoded = [key.encode() for key in wanted]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        as_bytes = np.array(encoded, dtype=bytes)
        found = np.full(len(wanted), -1, dtype=np.int64)
        for run in self._runs:  # oldest first: a later run's entry wins
            nodes = run.last_nodes(as_bytes, lengths)
            found = np.where(nodes >= 0, nodes, found)
        self._looked_up = {key: node for key, node in zip(wanted, found.tolist()) if node >= 0}

    def get(self, key: str, default: int | None = None) -> int | None:
        found = self._latest.get(key)
        if found is not None:
            return found
        found = self._looked_up.get(key)
        if found is not None:
            return found
        folded = self._folded(key)
        return folded[-1] if folded else default

    def __getitem__(self, key: str) -> int:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key: str, node: int) -> None:
        self._latest[key] = node
        self._looked_up.pop(key, None)
        if len(self._latest) >= self.fold_at:
            self._fold(self._latest.items())
            self._latest = {}

    def __len__(self) -> int:
        """Entries held: an id set again after it was folded counts twice."""
        return len(self._latest) + sum(run.size for run in self._runs)

    def clear(self) -> None:
        self._latest, self._runs, self._looked_up = {}, [], {}


class NodesByKey(_Folded):
    """Any number of nodes for each key (the subscriptions of one service number), in the order added."""

    def __init__(self, fold_at: int | None = None) -> None:
        super().__init__(fold_at)
        self._latest: dict[str, list[int]] = {}
        self._pending = 0

    def add(self, key: str, node: int) -> None:
        self._latest.setdefault(key, []).append(node)
        self._pending += 1
        if self._pending >= self.fold_at:
            self._fold((key, node) for key, nodes in self._latest.items() for node in nodes)
            self._latest, self._pending = {}, 0

    def of(self, key: str) -> list[int]:
        return self._folded(key) + self._latest.get(key, [])

    def __len__(self) -> int:
        return self._pending + sum(run.size for run in self._runs)

    def clear(self) -> None:
        self._latest, self._runs, self._pending = {}, [], 0
