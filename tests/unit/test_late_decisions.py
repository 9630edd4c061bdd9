"""A batch run's question about late steward decisions, asked before each write: answered before the
write when the store is free, and, behind a long write of the run (a first load's bulk call), not
waited for, without losing what it finds."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from app.errors import StoreError
from app.services.late_decisions import CUSTOMER_OF, DECISIONS_SINCE, RECORDS_OF_CUSTOMERS, LateDecisions
from app.store import Store
from app.store.base import CypherQuery


class HeldStore:
    """Answers the decisions question only once released; the other two questions at once."""

    def __init__(self, decisions: list[dict[str, str]], failure: Exception | None = None) -> None:
        self.released = asyncio.Event()
        self.asked = 0
        self.decisions = decisions
        self.failure = failure

    async def read(self, query: CypherQuery, params: dict[str, Any]) -> list[dict[str, Any]]:
        if query is DECISIONS_SINCE:
            self.asked += 1
            await self.released.wait()
            if self.failure is not None:
                raise self.failure
            return self.decisions
        if query is CUSTOMER_OF:
            return [{"record": rid, "customer_id": "C1"} for rid in params["ids"]]
        assert query is RECORDS_OF_CUSTOMERS
        return [{"record": "crm:customers:3"}]


def late_on(store: HeldStore) -> LateDecisions:
    return LateDecisions(cast(Store, store), "2026-12-01T00:00:00.000Z", set())


async def test_a_question_held_up_by_the_store_lets_the_writes_go_on_and_is_answered_by_the_end() -> None:
    store = HeldStore([{"id": "D1", "left": "crm:customers:1", "right": "hall:customers:2"}])
    late = late_on(store)
    await asyncio.wait_for(late.keep_up(store_busy=True), timeout=1)
    await asyncio.wait_for(late.keep_up(store_busy=True), timeout=1)
    assert store.asked == 1, "no second question while the first still waits"
    assert not late.held
    store.released.set()
    await late.settle()
    assert late.found == ["D1"]
    assert late.held == {"crm:customers:1", "hall:customers:2", "crm:customers:3"}
    assert late.touches(["crm:customers:3"])


async def test_a_free_store_is_answered_before_the_write() -> None:
    store = HeldStore([{"id": "D1", "left": "crm:customers:1", "right": "hall:customers:2"}])
    store.released.set()
    late = late_on(store)
    await late.keep_up()
    assert late.touches(["hall:customers:2"])
    await late.keep_up()
    assert store.asked == 2, "each write asks again"


async def test_once_the_store_is_free_a_write_waits_for_a_question_asked_then() -> None:
    store = HeldStore([{"id": "D1", "left": "crm:customers:1", "right": "hall:customers:2"}])
    late = late_on(store)
    await late.keep_up(store_busy=True)
    answering = asyncio.get_running_loop().call_later(0.05, store.released.set)
    await asyncio.wait_for(late.keep_up(), timeout=5)
    answering.cancel()
    assert store.asked == 2, "the question asked behind the busy store is answered, and a new one asked"
    assert late.asking is None and late.touches(["crm:customers:1"])


async def test_a_failed_question_fails_the_run_at_the_next_write_or_the_end() -> None:
    store = HeldStore([], failure=StoreError("store gone"))
    late = late_on(store)
    await late.keep_up(store_busy=True)
    store.released.set()
    assert late.asking is not None
    await asyncio.wait([late.asking])
    with pytest.raises(StoreError, match="store gone"):
        await late.keep_up(store_busy=True)
    held = late_on(HeldStore([], failure=StoreError("store gone")))
    await held.keep_up(store_busy=True)
    cast(HeldStore, held.store).released.set()
    with pytest.raises(StoreError, match="store gone"):
        await held.settle()


async def test_a_failed_run_leaves_no_question_behind() -> None:
    store = HeldStore([])
    late = late_on(store)
    await late.keep_up(store_busy=True)
    asking = late.asking
    assert asking is not None and not asking.done()
    await late.abandon()
    assert asking.cancelled() and late.asking is None
