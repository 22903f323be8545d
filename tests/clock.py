"""A clock for the network phase that never waits: a sleep moves its time and is written down."""

from __future__ import annotations

import asyncio


class FakeClock:
    """``bot.net.retry.Clock`` for tests: retries and pacing are counted, not waited for."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
