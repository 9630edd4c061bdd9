"""Pages of work a few at a time: the store executes one page's reads while this process works out
another's answers, which on two cores nearly halves a recompute (one page at a time left each idle
half of the time)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

Item = TypeVar("Item")

AT_ONCE = 3


async def in_flight(items: Iterable[Item], work: Callable[[Item], Awaitable[None]], at_once: int = AT_ONCE) -> None:
    """``work`` on every item, at most ``at_once`` running; the first failure cancels the rest."""
    gate = asyncio.Semaphore(at_once)

    async def one(item: Item) -> None:
        async with gate:
            await work(item)

    async with asyncio.TaskGroup() as group:
        for item in items:
            group.create_task(one(item))
