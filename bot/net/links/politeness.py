"""Per-host politeness, as lychee keeps it apart (``ratelimit/``): at most ``net.per_host``
requests in flight per host, fewer (and spaced) for the hosts of ``net.host_limits`` that block
bots that hurry, and ``net.max_concurrency`` in flight in all.

A request takes its host's slot first and a global slot only once it holds that one, so a
request queued behind its own host never keeps a global slot from another host's request. Global
slots go to the host with the most requests waiting first: that host sets the run's length, and
when every host's first requests wait for global slots at the start, served in turn it sat with
its own slots held and idle (on the benchmark's 10x list, at 2 of 8 for the first 3 s).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import HostLimit, NetSettings
from bot.net.retry import Clock


def host_limit(host: str, net: NetSettings) -> HostLimit:
    """The table's entry for ``host`` or its nearest parent domain, else ``net.per_host``."""
    host = host.lower().rstrip(".")
    table = {limit.host: limit for limit in net.host_limits}
    labels = host.split(".")
    for start in range(len(labels)):
        found = table.get(".".join(labels[start:]))
        if found is not None:
            return found
    return HostLimit(host, net.per_host)


class Host:
    """One host's slots, how many requests want one, and when its next request may start."""

    def __init__(self, name: str, limit: HostLimit) -> None:
        self.name = name
        self.limit = limit
        self.slots = asyncio.Semaphore(limit.per_host)
        self.wanting = 0
        self.next_start = float("-inf")

    async def pace(self, clock: Clock) -> None:
        """Wait out the host's interval; called while holding one of its slots."""
        if self.limit.interval <= 0:
            return
        start = max(clock.monotonic(), self.next_start)
        self.next_start = start + self.limit.interval
        if (wait := start - clock.monotonic()) > 0:
            await clock.sleep(wait)


class _Turns:
    """A semaphore that serves its waiters by priority, highest first, then in order."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self.order = itertools.count()

    async def take(self, priority: int) -> None:
        if self.free > 0:
            self.free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiting, (-priority, next(self.order), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.give()  # handed over just as the waiter was cancelled: pass it on
            raise

    def give(self) -> None:
        while self.waiting:
            turn = heapq.heappop(self.waiting)[2]
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1


class HostSlots:
    """The slots of one run: per host, then global."""

    def __init__(self, net: NetSettings, clock: Clock) -> None:
        self.net = net
        self.clock = clock
        self.any_host = _Turns(net.max_concurrency)
        self.hosts: dict[str, Host] = {}

    @asynccontextmanager
    async def host(self, host: str) -> AsyncIterator[Host]:
        """Hold one of ``host``'s slots (retries of a refused connection stay inside)."""
        entry = self.hosts.get(host)
        if entry is None:
            entry = self.hosts[host] = Host(host, host_limit(host, self.net))
        entry.wanting += 1
        try:
            async with entry.slots:
                await entry.pace(self.clock)
                yield entry
        finally:
            entry.wanting -= 1

    @asynccontextmanager
    async def request(self, host: Host) -> AsyncIterator[None]:
        """A global slot, taken while holding one of ``host``'s: one request in flight."""
        await self.any_host.take(host.wanting)
        try:
            yield
        finally:
            self.any_host.give()
