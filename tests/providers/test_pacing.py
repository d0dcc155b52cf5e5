"""The account pacers on a fake clock: no real waiting, no timed assertions."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr

from reconciler.providers.pacing import (
    ConnectionSlots,
    RequestWindow,
    Wait,
    reporting_waits,
    shared_pacer,
)


class FakeClock:
    """Time that moves only when a pacer sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def answer(status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


def window(clock: FakeClock, limit: int = 3, window_s: float = 60.0) -> RequestWindow:
    return RequestWindow(
        limit, window_s=window_s, label="test limit", clock=clock, sleep=clock.sleep
    )


async def send(pacer: RequestWindow, clock: FakeClock, response: httpx.Response) -> float:
    """One request through the pacer; returns when (fake time) it was let through."""
    await pacer.acquire()
    sent = clock.now
    pacer.release(response)
    return sent


def test_the_budget_is_spent_at_once_then_each_place_frees_a_window_after_its_answer() -> None:
    clock = FakeClock()
    pacer = window(clock)

    async def scenario() -> list[float]:
        return [await send(pacer, clock, answer()) for _ in range(7)]

    sent = asyncio.run(scenario())

    start = 1000.0
    assert sent == [start, start, start, start + 60, start + 60, start + 60, start + 120]


def test_no_span_of_a_window_ever_holds_more_than_the_limit() -> None:
    clock = FakeClock()
    pacer = window(clock, limit=5, window_s=10)

    async def one(i: int) -> float:
        await pacer.acquire()
        sent = clock.now
        await clock.sleep(0.3 * (i % 4))  # answers take different times
        pacer.release(answer())
        return sent

    async def scenario() -> list[float]:
        return list(await asyncio.gather(*(one(i) for i in range(40))))

    sent = sorted(asyncio.run(scenario()))
    for first in sent:
        assert sum(1 for t in sent if first <= t < first + 10) <= 5


def test_a_server_that_says_less_remains_holds_back_the_rest() -> None:
    clock = FakeClock()
    pacer = window(clock, limit=10)

    async def scenario() -> list[float]:
        # Another integration used 8 of the 10: the first answer says 1 remains.
        first = await send(pacer, clock, answer(**{"x-ratelimit-remaining": "1"}))
        second = await send(pacer, clock, answer(**{"x-ratelimit-remaining": "0"}))
        third = await send(pacer, clock, answer())
        return [first, second, third]

    assert asyncio.run(scenario()) == [1000.0, 1000.0, 1060.0]


def test_a_lower_limit_announced_by_the_server_is_obeyed_a_higher_one_is_not() -> None:
    clock = FakeClock()
    pacer = window(clock, limit=100)

    async def scenario() -> None:
        await send(pacer, clock, answer(**{"x-ratelimit-limit": "2"}))
        assert pacer.limit == 2
        await send(pacer, clock, answer(**{"x-ratelimit-limit": "500"}))
        assert pacer.limit == 100

    asyncio.run(scenario())


def test_retry_after_stops_every_request_and_is_reported_as_throttling() -> None:
    clock = FakeClock()
    pacer = window(clock, limit=100)
    waits: list[Wait] = []

    async def scenario() -> list[float]:
        await send(pacer, clock, answer(429, **{"retry-after": "12"}))
        return list(await asyncio.gather(*(send(pacer, clock, answer()) for _ in range(3))))

    with reporting_waits(waits.append):
        sent = asyncio.run(scenario())

    assert sent == [1012.0] * 3
    assert [(w.describe(), w.throttled) for w in waits] == [("waiting 12 s: test limit", True)]


def test_waits_under_a_second_are_not_reported() -> None:
    clock = FakeClock()
    pacer = window(clock, limit=1, window_s=0.5)
    waits: list[Wait] = []

    async def scenario() -> None:
        for _ in range(3):
            await send(pacer, clock, answer())

    with reporting_waits(waits.append):
        asyncio.run(scenario())

    assert clock.sleeps and waits == []


def test_connection_slots_never_admit_more_than_the_limit() -> None:
    slots = ConnectionSlots(3)

    async def one() -> None:
        await slots.acquire()
        await asyncio.sleep(0)
        assert slots.in_flight <= 3
        slots.release(None)

    async def scenario() -> None:
        await asyncio.gather(*(one() for _ in range(20)))

    asyncio.run(scenario())
    assert slots.peak == 3 and slots.in_flight == 0


def test_one_pacer_per_account_within_a_run() -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        made = lambda: ConnectionSlots(2)  # noqa: E731
        a = shared_pacer("https://x.example/3.0", SecretStr("key-1"), "mc", made)
        same = shared_pacer("https://x.example", SecretStr("key-1"), "mc", made)
        other_key = shared_pacer("https://x.example", SecretStr("key-2"), "mc", made)
        other_host = shared_pacer("https://y.example", SecretStr("key-1"), "mc", made)
        return a is same, a is other_key, a is other_host

    assert asyncio.run(scenario()) == (True, False, False)


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError):
        RequestWindow(0)
    with pytest.raises(ValueError):
        ConnectionSlots(0)
