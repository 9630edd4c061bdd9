"""Work side by side with the store: pages a few at a time, and reads sent at once and used as they come."""

from __future__ import annotations

import asyncio
import gc
import inspect
from contextlib import aclosing

import pytest

from app.errors import StoreError
from app.services.in_flight import in_flight, in_order, started


async def test_reads_start_in_their_order_and_each_answer_is_used_when_it_comes() -> None:
    sent: list[str] = []
    release = {name: asyncio.Event() for name in ("first", "second")}

    async def read(name: str) -> str:
        sent.append(name)
        await release[name].wait()
        return name.upper()

    async with started(read("first"), read("second")) as (first, second):
        await asyncio.sleep(0)
        assert sent == ["first", "second"], "both reads are out before either answer is awaited"
        release["first"].set()
        assert await first == "FIRST"
        assert not second.done(), "the second read is still with the store while the first is worked on"
        release["second"].set()
        assert await second == "SECOND"


async def test_leaving_on_a_failure_cancels_the_reads_not_awaited_and_leaves_no_failure_unretrieved() -> None:
    unretrieved: list[object] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: unretrieved.append(context))
    never = asyncio.Event()

    async def fails() -> str:
        raise RuntimeError("store gone")

    async def hangs() -> str:
        await never.wait()
        return "late"

    try:
        with pytest.raises(RuntimeError, match="store gone"):
            async with started(fails(), fails(), hangs()) as (broken, also_broken, waiting):
                await asyncio.sleep(0)
                await broken
        await asyncio.sleep(0)
        assert waiting.cancelled()
        assert also_broken.done()
        del broken, also_broken, waiting
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert unretrieved == []


async def test_in_flight_keeps_at_most_so_many_running() -> None:
    running = 0
    most = 0

    async def work(item: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)
        running -= 1

    await in_flight(range(10), work, at_once=3)
    assert most == 3


async def test_in_flight_raises_the_first_failure_as_itself_and_cancels_the_rest() -> None:
    """The CLI reports our errors in one line: a StoreError inside an ExceptionGroup would be a traceback."""
    started: list[int] = []

    async def work(item: int) -> None:
        started.append(item)
        if item == 1:
            raise StoreError("the store went away", query="q", backend="embedded")
        await asyncio.sleep(1)

    with pytest.raises(StoreError, match="went away"):
        await in_flight(range(10), work, at_once=3)
    assert len(started) < 10, "the items after the failure are not started"


async def test_in_order_answers_in_the_reads_order_with_the_next_sent_before_an_answer_is_worked_on() -> None:
    sent: list[int] = []
    in_store = 0
    most = 0

    async def read(n: int) -> int:
        nonlocal in_store, most
        sent.append(n)
        in_store += 1
        most = max(most, in_store)
        await asyncio.sleep(0.001 * (5 - n % 5))  # later reads can finish first
        in_store -= 1
        return n * 10

    answers: list[int] = []
    async for answer in in_order((read(n) for n in range(12)), at_once=3):
        await asyncio.sleep(0)
        assert len(sent) == min(12, len(answers) + 4), "the next read went out before this answer is worked on"
        answers.append(answer)
    assert answers == [n * 10 for n in range(12)]
    assert most == 3


async def test_in_order_closed_early_cancels_the_reads_in_flight_and_sends_no_more() -> None:
    sent: list[int] = []
    never = asyncio.Event()

    async def read(n: int) -> int:
        sent.append(n)
        if n:
            await never.wait()
        return n

    reads = [read(n) for n in range(6)]
    pages = in_order(reads, at_once=3)
    async with aclosing(pages):
        async for first in pages:
            assert first == 0
            break
    await asyncio.sleep(0)
    assert sent == [0, 1, 2], "the read sent as the first answer was taken is cancelled before it runs"
    assert all(inspect.getcoroutinestate(read) == inspect.CORO_CLOSED for read in reads), "none left unfinished"
