"""When to try again: one policy for every outbound call (links, scholarly APIs, GitHub).

One predicate says which answers may change if asked again (``retryable_status``), and one loop
(``with_retries``) asks again with backoff and jitter, honouring ``Retry-After`` up to a cap, and
never sleeps past the caller's time limit. The link checker and the scholarly clients run their
requests through the loop; GitHub's calls are retried by the durable queue (a retry may come after
a restart), which sorts GitHub's answers with the same predicate and waits what GitHub asked.

The clock and the sleep are a ``Clock``, so that tests can pass one that never waits.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

A = TypeVar("A")


class Clock(Protocol):
    """Monotonic time and a way to wait: the real ones in production, a fake one in tests."""

    def monotonic(self) -> float: ...

    def wall(self) -> float:
        """Seconds since the epoch: the time line every process shares (the pacing gates)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


def retryable_status(status: int) -> bool:
    """An answer that may be different in a moment: timeouts, throttling and server errors."""
    return status in (408, 425, 429) or 500 <= status <= 599


def retry_after_seconds(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """A ``Retry-After`` header in seconds; it may be a number or an HTTP date."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Again:
    """What an attempt's answer asks of the loop: try again, after ``retry_after`` if given."""

    retry_after: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    retries: int  # tries after the first
    retry_after_cap: float  # the longest wait a server may ask for
    clock: Clock = SYSTEM_CLOCK
    jitter: Callable[[float, float], float] = field(default=random.uniform, repr=False)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before the next try: what the server asked (capped), else backoff with jitter."""
        wanted = retry_after_seconds(retry_after)
        if wanted is not None:
            return min(wanted, self.retry_after_cap) + self.jitter(0, 0.1)
        return min(0.5 * 2**attempt, self.retry_after_cap) * self.jitter(1.0, 1.5)


async def with_retries(
    attempt: Callable[[], Awaitable[A]],
    again: Callable[[A], Again | None],
    policy: RetryPolicy,
    time_left: Callable[[], float] = lambda: math.inf,
) -> A:
    """Run ``attempt`` until ``again`` calls its answer final, the retries are spent, or the next
    pause would end after ``time_left()``; returns the last answer."""
    tries = 0
    while True:
        answer = await attempt()
        retry = again(answer)
        if retry is None or tries >= policy.retries:
            return answer
        pause = policy.delay(tries, retry.retry_after)
        if pause >= time_left():
            return answer
        await policy.clock.sleep(pause)
        tries += 1
