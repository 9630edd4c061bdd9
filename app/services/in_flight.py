"""Store work and this process's work side by side: the store executes one read while this process
works out the answers of another. Pages a few at a time nearly halve a recompute on two cores (one page
at a time left each idle half of the time); a day plan's reads, sent at once and used as they come,
spare it the store's time on the reads it needs last."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")

AT_ONCE = 3


async def in_flight(items: Iterable[Item], work: Callable[[Item], Awaitable[None]], at_once: int = AT_ONCE) -> None:
    """``work`` on every item, at most ``at_once`` running; the first failure cancels the rest."""
    gate = asyncio.Semaphore(at_once)

    async def one(item: Item) -> None:
        async with gate:
            await work(item)

    try:
        async with asyncio.TaskGroup() as group:
            for item in items:
                group.create_task(one(item))
    except BaseExceptionGroup as failed:
        # The first failure as itself: the CLI reports our errors in one line, not a group's traceback.
        raise failed.exceptions[0] from None


@asynccontextmanager
async def started(*reads: Awaitable[Answer]) -> AsyncIterator[list[asyncio.Future[Answer]]]:
    """``reads`` sent at once in this order, which is the order one store executes them in; each is
    awaited where its answer is needed. Leaving the block cancels the reads not awaited and takes the
    failures of those that ended, so none is left running or unretrieved."""
    futures: list[asyncio.Future[Answer]] = [asyncio.ensure_future(read) for read in reads]
    try:
        yield futures
    finally:
        for future in futures:
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()


async def in_order(reads: Iterable[Awaitable[Answer]], at_once: int = AT_ONCE) -> AsyncGenerator[Answer, None]:
    """Each read's answer in the order of ``reads``, ``at_once`` of them in flight: the next is sent
    as soon as an answer is taken, before it is worked on, so the store always has one to execute
    while this process works (sending a batch and waiting for its last answer left the store idle).
    Closing the iteration early cancels the reads still in flight."""
    pending: deque[asyncio.Future[Answer]] = deque()
    coming = iter(reads)

    def send() -> None:
        read = next(coming, None)
        if read is not None:
            pending.append(asyncio.ensure_future(read))

    for _ in range(at_once):
        send()
    try:
        while pending:
            answer = await pending.popleft()
            send()
            yield answer
    finally:
        for future in pending:
            future.cancel()
        for read in coming:
            if asyncio.iscoroutine(read):
                read.close()
