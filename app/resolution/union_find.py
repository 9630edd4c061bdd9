"""Union-find (disjoint sets): records joined by pairs become customers, one way everywhere.

Over the integers 0..n-1 held in an array of 64-bit integers: read an item at a time in the hot loop
of clustering, where numpy's per-item access is several times slower, and 8 bytes an item where a list
of five million was 180 MB. A component's root is its smallest member, so the same pairs give the
same roots whatever their order.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


class UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = array("q", np.arange(size, dtype=np.int64).tobytes())

    def roots(self) -> np.ndarray:
        """Every member's root at once: a parent is never above its member, so following parents by
        whole arrays until nothing moves ends at the roots."""
        parent = np.array(self.parent, dtype=np.int64)
        while True:
            above = parent[parent]
            if np.array_equal(above, parent):
                return parent
            parent = above

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int) -> int:
        """Join the sets of ``a`` and ``b``; returns the root of the joined set."""
        ra, rb = self.find(a), self.find(b)
        if ra > rb:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return ra


def components(keys: Iterable[K], pairs: Iterable[tuple[K, K]]) -> dict[K, K]:
    """Each key's representative, the smallest key of its component (pairs naming unknown keys are
    ignored)."""
    ordered: Sequence[K] = sorted(set(keys))  # type: ignore[type-var]
    index = {key: i for i, key in enumerate(ordered)}
    sets = UnionFind(len(ordered))
    for a, b in pairs:
        if a in index and b in index:
            sets.union(index[a], index[b])
    return {key: ordered[sets.find(i)] for i, key in enumerate(ordered)}
