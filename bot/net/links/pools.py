"""Connections of one link-checking run: a pool per host, kept open between requests.

On HTTPS every new connection is a TCP and a TLS handshake, so each request must leave its
connection reusable: httpcore keeps a connection only once the response has been read to its
end, so an empty or small body (a HEAD's, a 404 page's) is read; a large one (a PDF) never is:
closing the response unread closes the connection instead.

A pool per host, as large as the host's slots: httpcore walks its whole pool for every request
it places, and one pool for every host took more CPU than the requests, and closed other hosts'
idle connections to open new ones. Requests go to the transport directly: the client around it
adds a cookie jar and redirect handling that a checker following redirects by hand does not need,
for a third of the CPU of a request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, OrderedDict
from collections.abc import AsyncGenerator
from typing import cast

import httpx

from bot.config import NetSettings
from bot.net.guard import GuardedBackend, GuardedTransport
from bot.net.links.politeness import host_limit

SMALL_BODY = 64 * 1024  # read bodies up to this size so the connection can be reused
HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
}
KEEPALIVE_SECONDS = 5.0


async def _drain(response: httpx.Response, method: str) -> None:
    """Read an empty or small body to its end, so that the connection goes back to the pool."""
    length = response.headers.get("content-length", "")
    if method != "HEAD" and length.isdigit() and int(length) > SMALL_BODY:
        return
    # The bytes as sent, never decompressed: 300 bytes of stacked gzip can unpack to gigabytes
    # in one synchronous call no timeout interrupts.
    read = 0
    async with contextlib.aclosing(cast(AsyncGenerator[bytes], response.aiter_raw())) as chunks:
        async for chunk in chunks:
            read += len(chunk)
            if read > SMALL_BODY:
                return


class Pools:
    """The run's pools, by host. Hosts that are done stay connected up to ``net.max_concurrency``
    of them; beyond, the least recently used idle host is disconnected (a list of a thousand
    hosts would otherwise hold a thousand sockets to the end)."""

    def __init__(self, net: NetSettings, backend: GuardedBackend) -> None:
        self.net = net
        self.backend = backend
        self.transports: OrderedDict[str, GuardedTransport] = OrderedDict()
        self.busy: Counter[str] = Counter()
        self.headers = httpx.Headers({"User-Agent": net.user_agent, **HEADERS})
        self.timeout = httpx.Timeout(
            connect=net.connect_timeout, read=net.read_timeout, write=net.read_timeout, pool=None
        ).as_dict()

    async def fetch(self, method: str, url: httpx.URL, host: str) -> httpx.Response:
        """One request to ``host``; the response's status and headers (its body is gone)."""
        transport = await self._transport(host)
        request = httpx.Request(method, url, headers=self.headers)
        request.extensions["timeout"] = self.timeout
        self.busy[host] += 1
        try:
            response = await transport.handle_async_request(request)
            try:
                await _drain(response, method)
            finally:
                await response.aclose()
        finally:
            self.busy[host] -= 1
        return response

    async def _transport(self, host: str) -> GuardedTransport:
        found = self.transports.get(host)
        if found is not None:
            self.transports.move_to_end(host)
            return found
        evicted = None
        if len(self.transports) >= self.net.max_concurrency:
            idle = next((h for h in self.transports if not self.busy[h]), None)
            evicted = self.transports.pop(idle) if idle is not None else None
        size = host_limit(host, self.net).per_host
        limits = httpx.Limits(
            max_connections=size, max_keepalive_connections=size, keepalive_expiry=KEEPALIVE_SECONDS
        )
        found = self.transports[host] = GuardedTransport(self.backend, limits)
        if evicted is not None:
            await evicted.aclose()
        return found

    async def aclose(self) -> None:
        await asyncio.gather(*(pool.aclose() for pool in self.transports.values()))
