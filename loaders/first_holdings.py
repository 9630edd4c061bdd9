"""A first load's holdings by owner record, kept as flat arrays until its first resolution hangs them
on customers.

Every account, subscription, contact, opportunity and case of the files is kept from its row to the
customers' writing, which is the whole load; as a dict of lists of (relationship, node) tuples they
took about 400 bytes a customer record (95 MB for the 100,000-person demo's 1.1 million holdings, a
gigabyte at five million customer records). Here a holding is 17 bytes: its owner record's node, its
node, and its relationship's code.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

from loaders.node_index import NodeIndex


class HeldByRecord:
    """Holdings added as their rows pass, looked up by owner record once :meth:`close` has sorted
    them. An owner record named before its own row is loaded is kept by id until then; one never
    loaded holds what no one asks for."""

    def __init__(self, relations: Iterable[str]) -> None:
        self.relations = tuple(relations)
        self._code = {relation: code for code, relation in enumerate(self.relations)}
        self._owner = array("q")
        self._node = array("q")
        self._relation = array("b")
        # (position, owner record's id) of holdings whose owner had no node yet.
        self._waiting: list[tuple[int, str]] = []
        self._closed = False

    def add(self, record_nodes: NodeIndex | Mapping[str, int], owner: str, relation: str, node: int) -> None:
        """``owner``: the owner record's id, found among ``record_nodes`` (id to node)."""
        found = record_nodes.get(owner)
        if found is None:
            self._waiting.append((len(self._owner), owner))
            found = -1
        self._owner.append(found)
        self._relation.append(self._code[relation])
        self._node.append(node)

    def close(self, record_nodes: NodeIndex | Mapping[str, int]) -> None:
        """Sorted by owner, each owner's holdings in the order they were added; no more are added."""
        for position, owner in self._waiting:
            self._owner[position] = record_nodes.get(owner, -1)
        self._waiting = []
        import numpy as np

        order = np.argsort(np.frombuffer(self._owner, dtype=np.int64), kind="stable")
        self._owner, self._relation, self._node = (_taken(a, order) for a in (self._owner, self._relation, self._node))
        self._closed = True

    def of(self, owners: Iterable[int]) -> list[tuple[str, int]]:
        """The holdings of these owner records' nodes, as (relationship, node), owner by owner."""
        assert self._closed, "holdings are looked up once the files are in"
        held: list[tuple[str, int]] = []
        keys, relations, nodes, names = self._owner, self._relation, self._node, self.relations
        for owner in owners:
            start = bisect_left(keys, owner)
            if start == len(keys) or keys[start] != owner:
                continue
            end = bisect_right(keys, owner, start)
            held.extend((names[relations[i]], nodes[i]) for i in range(start, end))
        return held


def _taken(values: array[int], order: Any) -> array[int]:
    """``values`` in ``order`` (a numpy index), as an array of the same type."""
    import numpy as np

    taken = array(values.typecode)
    taken.frombytes(np.frombuffer(values, dtype=values.typecode)[order].tobytes())
    return taken
