"""Answers to customer-view queries, kept while the customers they show have not changed.

A channel desk asks for the same customer many times while serving them, and each full
view costs the store and GraphQL about 1.7 ms of one core (docs/benchmarks.md). An
answer is kept under the query, its variables, the caller's role and the month window of
the star level, stamped with the id and ``version`` of every customer it shows; it is
served again only after a fresh read of those versions finds the same stamp. Every write
that changes what a customer's view shows bumps that customer's version in the same
statement, so a kept answer is never older than what the store held when it was checked:
read-your-writes holds across channels, workers and processes. The version reads of
requests that arrive together go to the store as one query.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.store import Store, cypher

CUSTOMER_VERSIONS = cypher("view/customer_versions")

# (id asked for, live customer id, its version) for each customer an answer shows.
Stamp = tuple[tuple[str, str, int], ...]
Key = tuple[Any, ...]


@dataclass(slots=True)
class KeptAnswer:
    """``data`` is the answer as JSON text: a fifth of the memory of the objects it decodes to, and
    invisible to the cyclic garbage collector, whose full passes over thousands of kept answers
    would otherwise pause requests."""

    stamp: Stamp
    data: bytes
    # The personal fields each customer's answer showed in full: re-audited at every hit.
    revealed: dict[str, frozenset[str]]

    @classmethod
    def of(cls, stamp: Stamp, data: dict[str, Any], revealed: dict[str, set[str]]) -> KeptAnswer:
        return cls(stamp, orjson.dumps(data), {customer: frozenset(fields) for customer, fields in revealed.items()})

    def answer(self) -> dict[str, Any]:
        return orjson.loads(self.data)  # type: ignore[no-any-return]


@dataclass(slots=True)
class ViewCache:
    """A bounded, least-recently-used map of kept answers; ``size`` 0 keeps nothing."""

    size: int
    _answers: OrderedDict[Key, KeptAnswer] = field(default_factory=OrderedDict)

    def get(self, key: Key, stamp: Stamp) -> KeptAnswer | None:
        answer = self._answers.get(key)
        if answer is None:
            return None
        if answer.stamp != stamp:
            del self._answers[key]
            return None
        self._answers.move_to_end(key)
        return answer

    def put(self, key: Key, answer: KeptAnswer) -> None:
        if self.size <= 0:
            return
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)


async def read_versions(store: Store, ids: Sequence[str]) -> list[tuple[str, int] | None]:
    """The live customer id and version of each id asked for, None where there is no customer."""
    rows = await store.read(CUSTOMER_VERSIONS, {"ids": list(ids)})
    found = {row["wanted"]: (row["id"], int(row["version"] or 0)) for row in rows}
    return [found.get(i) for i in ids]
