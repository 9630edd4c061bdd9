"""Steward decisions recorded while a batch run was linking: the run must not undo them.

A batch run obeys the decisions it read before linking; a steward may act in the minutes between
that read and the write. Before each write the run asks which decisions it has not read, and leaves
the records they name, and every record of the customers now holding them, where the steward put
them. A decision that lands between that question and the write it follows is found by a later
question; if that write undid it, the run places its records again at the end, as incremental
resolution does, which obeys it. Behind a long write of the store (a first load's bulk calls hold the
graph for seconds) the question would wait as long: the run then writes on without its answer, which
a later write or the end takes, rather than leave the processes that derive its customers idle.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection
from dataclasses import dataclass, field

from app.store import Store, cypher

DECISIONS_SINCE = cypher("resolve/decisions_since")
CUSTOMER_OF = cypher("resolve/customers_of_records")
RECORDS_OF_CUSTOMERS = cypher("resolve/records_of_customers")
BROKEN = cypher("check/steward_decisions_broken")


@dataclass(slots=True)
class LateDecisions:
    store: Store
    since: str  # an instant taken before the run read its decisions
    seen: set[str]  # ids of the decisions it read
    held: set[str] = field(default_factory=set)  # records the run leaves where they are
    found: list[str] = field(default_factory=list)  # ids of the late decisions
    asking: asyncio.Task[list[str]] | None = None  # a question still waiting for the store

    async def refresh(self) -> list[str]:
        """Read the decisions recorded since ``since`` and not seen yet; returns their ids."""
        rows = [r for r in await self.store.read(DECISIONS_SINCE, {"since": self.since}) if r["id"] not in self.seen]
        if not rows:
            return []
        self.seen.update(r["id"] for r in rows)
        self.found += [r["id"] for r in rows]
        records = {r[side] for r in rows for side in ("left", "right")}
        owners = await self.store.read(CUSTOMER_OF, {"ids": sorted(records)})
        customers = sorted({o["customer_id"] for o in owners if o["customer_id"]})
        members = await self.store.read(RECORDS_OF_CUSTOMERS, {"ids": customers}) if customers else []
        self.held |= records | {m["record"] for m in members}
        return [r["id"] for r in rows]

    async def keep_up(self, store_busy: bool = False) -> None:
        """A refresh before a write, its answer awaited; unless the store is busy with a long write of the
        run (a first load's bulk call), behind which the question would wait for seconds: it then goes
        on in the background, no second one is asked meanwhile, and the next write or the end takes
        its answer."""
        if not store_busy:
            await self.settle()
            await self.refresh()
            return
        if self.asking is None or self.asking.done():
            await self.settle()
            self.asking = asyncio.create_task(self.refresh())

    async def settle(self) -> None:
        """The question in flight answered (its failure raised), before the last refresh or the end."""
        if self.asking is not None:
            asking, self.asking = self.asking, None
            await asking

    async def abandon(self) -> None:
        """A run that failed leaves no question behind."""
        if self.asking is not None:
            self.asking.cancel()
            with contextlib.suppress(BaseException):
                await self.asking
            self.asking = None

    def touches(self, record_ids: Collection[str]) -> bool:
        return not self.held.isdisjoint(record_ids)

    async def overtaken(self) -> list[dict[str, str]]:
        """The late decisions the graph does not hold now: a write of the run that was under way when
        one landed, or made while the question about it waited for the store, undid it."""
        await self.settle()
        await self.refresh()
        if not self.found:
            return []
        return await self.store.read(BROKEN, {"ids": sorted(self.found), "limit": len(self.found)})
