"""Is a link alive? Check URLs politely and in parallel: the second of the link checker's three
jobs (``collect`` finds the links, ``audit`` reports on a whole list; ``outcome`` says what an
answer proves, because a checker that fails pull requests on a publisher's 403 gets switched off).

HEAD first and GET when HEAD is refused; redirects followed by hand, so that every hop passes the
SSRF guard; retries through the shared policy (``bot.net.retry``); limits per host and overall
(``politeness``); connections kept for the next request (``pools``); one deadline for the run.
Links may arrive while the first are checked (``paperbot audit`` reads a long list meanwhile).
arXiv's pages are not to be
fetched by robots: the review's network phase (``bot.net.facts``) leaves arXiv links out and asks
the export API, and an audit hands them, redirect hops included, to a ``Delegate`` that does.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import asdict, replace
from http import HTTPStatus
from typing import Any, Protocol

import httpx

from bot.config import NetSettings
from bot.engine.model import LinkStatus
from bot.net.guard import GuardedBackend, Resolver
from bot.net.links.outcome import (
    PERMANENT,
    REDIRECTS,
    REFUSED,
    Failure,
    Reply,
    again,
    failure,
    judge,
)
from bot.net.links.politeness import Host, HostSlots
from bot.net.links.pools import Pools
from bot.net.retry import SYSTEM_CLOCK, Clock, RetryPolicy, retryable_status, with_retries

HEAD_REFUSED = frozenset({405, 501})  # "I do not do HEAD", as opposed to a 403 bot wall
BUDGET_DETAIL = "not checked: time budget"


class Delegate(Protocol):
    """Verifies the links of a service that must not be fetched (arXiv: its export API), links
    met as redirect hops included; the checker sends such links no request."""

    def wants(self, url: str) -> bool: ...

    async def status(self, url: str) -> LinkStatus: ...


class LinkCache(Protocol):
    """What ``bot.net.cache.Cache`` offers; only real answers (ok, broken) are stored."""

    def get(self, kind: str, key: str) -> Any | None: ...

    def put(self, kind: str, key: str, value: Any, ttl: float) -> None: ...


def standard_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def check_key(url: str) -> str:
    """The part of a URL that is fetched: two spellings differing only by fragment are one check."""
    return url.strip().split("#", 1)[0]


def _parsed(url: str) -> httpx.URL | str:
    """The URL, parsed once for every request of its check; or why it cannot be fetched."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        return f"invalid URL ({exc})"
    if parsed.scheme not in ("http", "https"):
        return "not an http(s) link"
    if not parsed.host:
        return "invalid URL (no host)"
    return parsed


class _Checker:
    """One run: connection pools, slots per host and in all, one deadline."""

    def __init__(
        self,
        net: NetSettings,
        resolver: Resolver | None,
        trusted: Iterable[str],
        deadline: float | None,
        clock: Clock,
        delegate: Delegate | None = None,
    ) -> None:
        self.net = net
        self.deadline = deadline
        self.clock = clock
        self.policy = RetryPolicy(net.retries, net.retry_after_cap, clock)
        self.slots = HostSlots(net, clock)
        self.delegate = delegate
        self.without_head: set[str] = set()  # hosts that answered HEAD with 405 or 501
        backend = GuardedBackend(resolver, net.allow_private, trusted, net.dns_probe_host)
        self.pools = Pools(net, backend)
        # Headers must arrive within this, however slowly a server trickles them.
        self.request_cap = net.connect_timeout + net.read_timeout

    async def check(self, url: str) -> LinkStatus:
        try:
            return await self._follow(url)
        except Exception as exc:  # the network phase must never take the review down
            return LinkStatus(url, "unverified", f"could not check ({type(exc).__name__}: {exc})")

    async def _follow(self, url: str) -> LinkStatus:
        """Follow redirects by hand, so that every hop meets the scheme check and the guard."""
        current, seen = url, {url}
        moved_to: str | None = None
        permanent_so_far = True
        for _ in range(self.net.max_redirects + 1):
            via = "" if current == url else f"redirects to {current}: "
            parsed = _parsed(current)
            if isinstance(parsed, str):
                return LinkStatus(url, "skipped", via + parsed)
            delegated = await self._delegated(url, current, via, moved_to)
            if delegated is not None:
                return delegated
            answer = await self._ask(parsed)
            if isinstance(answer, Failure):
                return LinkStatus(url, answer.outcome, via + answer.detail)
            location = answer.headers.get("location")
            if answer.status in REDIRECTS and location:
                try:
                    target = str(parsed.join(location.strip()))
                except (httpx.InvalidURL, ValueError):
                    return LinkStatus(url, "unverified", f"bad redirect Location {location!r}")
                permanent_so_far = permanent_so_far and answer.status in PERMANENT
                if permanent_so_far:
                    moved_to = target
                if target in seen:
                    return LinkStatus(url, "unverified", "redirect loop", answer.status)
                seen.add(target)
                current = target
                continue
            outcome, detail = judge(answer)
            return LinkStatus(
                url,
                outcome,
                via + detail,
                answer.status,
                moved_to if outcome == "ok" else None,
            )
        return LinkStatus(url, "unverified", f"more than {self.net.max_redirects} redirects")

    async def _delegated(
        self, url: str, current: str, via: str, moved_to: str | None
    ) -> LinkStatus | None:
        """The delegate's answer for a link it wants (arXiv's), as ``url`` reached it."""
        if self.delegate is None or not self.delegate.wants(current):
            return None
        found = await self.delegate.status(current)
        moved = moved_to if found.outcome == "ok" else None
        return replace(found, url=url, detail=via + found.detail, permanent_redirect_to=moved)

    async def _ask(self, url: httpx.URL) -> Reply | Failure:
        """HEAD first; GET (the truth) once HEAD is refused or fails; retry what may pass. A host
        that said it does not do HEAD (405, 501) gets GET at once for its other links."""
        head = True

        async def attempt() -> Reply | Failure:
            nonlocal head
            method, answer = await self._send(url, head)
            if method == "HEAD" and isinstance(answer, Reply) and not 200 <= answer.status < 400:
                head = False
                if not retryable_status(answer.status):
                    answer = (await self._send(url, head))[1]
            elif method == "HEAD" and isinstance(answer, Failure) and answer.detail == "timed out":
                head = False  # some servers never answer HEAD
            return answer

        return await with_retries(attempt, again, self.policy, self._time_left)

    def _time_left(self) -> float:
        return math.inf if self.deadline is None else self.deadline - self.clock.monotonic()

    async def _send(self, url: httpx.URL, head: bool) -> tuple[str, Reply | Failure]:
        """One request within the limits, HEAD if ``head`` and the host does HEAD; the method
        sent and what came back (what went wrong is a Failure, never an exception).

        A refused connection is tried once more at once, still holding the host's slot: a
        retry at the back of the queue only made the run's tail longer."""
        host = url.host
        async with self.slots.host(host) as held:
            method = "HEAD" if head and host not in self.without_head else "GET"
            answer = await self._request(method, url, held)
            if isinstance(answer, Failure) and answer.detail == REFUSED:
                answer = await self._request(method, url, held)
        if method == "HEAD" and isinstance(answer, Reply) and answer.status in HEAD_REFUSED:
            self.without_head.add(host)
        return method, answer

    async def _request(self, method: str, url: httpx.URL, held: Host) -> Reply | Failure:
        try:
            async with self.slots.request(held), asyncio.timeout(self.request_cap):
                response = await self.pools.fetch(method, url, held.name)
        except Exception as exc:
            return failure(exc)
        # The status's standard phrase, not the server's: a server's reason phrase is a
        # stranger's text ("403 [Verified by paperbot](https://evil.example)").
        return Reply(response.status_code, standard_phrase(response.status_code), response.headers)

    async def run(
        self, keys: AsyncIterable[str], progress: Callable[[int, int], None] | None
    ) -> dict[str, LinkStatus]:
        """Check each key as it arrives; ``progress`` once all have (a total that still grows
        would end a progress bar early)."""
        tasks: dict[asyncio.Task[LinkStatus], str] = {}
        arriving = True
        done_count = 0

        def finished(_: asyncio.Task[LinkStatus]) -> None:
            nonlocal done_count
            done_count += 1
            if progress and not arriving:
                progress(done_count, len(tasks))

        try:
            async for key in keys:
                task = asyncio.create_task(self.check(key))
                task.add_done_callback(finished)
                tasks[task] = key
            arriving = False
            if progress and done_count:
                progress(done_count, len(tasks))
            timeout = None if self.deadline is None else max(0.0, self._time_left())
            if tasks:
                _, pending = await asyncio.wait(tasks, timeout=timeout)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        finally:
            await self.pools.aclose()
        return {key: _result(task, key) for task, key in tasks.items()}


def _result(task: asyncio.Task[LinkStatus], key: str) -> LinkStatus:
    if task.cancelled():
        return LinkStatus(key, "unverified", BUDGET_DETAIL)
    return task.result()


async def _arriving(urls: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[str]:
    if isinstance(urls, AsyncIterable):
        async for url in urls:
            yield url
    else:
        for url in urls:
            yield url


def _cached(cache: LinkCache | None, key: str) -> LinkStatus | None:
    stored = cache.get("link", key) if cache is not None else None
    if not isinstance(stored, dict):
        return None
    try:
        return LinkStatus(**stored)
    except TypeError:  # stored by an older version
        return None


async def check_links_async(
    urls: Iterable[str] | AsyncIterable[str],
    net: NetSettings,
    cache: LinkCache | None = None,
    *,
    deadline: float | None = None,
    resolver: Resolver | None = None,
    trusted: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
    clock: Clock = SYSTEM_CLOCK,
    delegate: Delegate | None = None,
) -> dict[str, LinkStatus]:
    """Check every URL once; returns each URL as given -> its LinkStatus.

    ``urls`` may also arrive over time (an async iterable: ``paperbot audit`` reads a long list
    while the first links are checked). ``deadline`` is a ``clock.monotonic()`` value: what is
    not done by then is ``unverified`` with detail ``BUDGET_DETAIL``. ``resolver`` replaces DNS
    (tests), ``trusted`` lists networks the SSRF guard lets through (an intranet mirror, a test
    server). ``progress(done, total)`` is called as checks finish. ``cache`` keeps ok and broken
    answers for ``net.link_ttl_seconds``. ``clock`` paces the retries (tests pass one that never
    sleeps). ``delegate`` answers for the links it wants, which are then never fetched.
    """
    given: list[str] = []
    known: dict[str, LinkStatus] = {}

    async def todo() -> AsyncIterator[str]:
        seen: set[str] = set()
        async for url in _arriving(urls):
            given.append(url)
            key = check_key(url)
            if key in seen:
                continue
            seen.add(key)
            if (stored := _cached(cache, key)) is not None:
                known[key] = stored
            else:
                yield key

    checker = _Checker(net, resolver, trusted, deadline, clock, delegate)
    fresh = await checker.run(todo(), progress)
    if cache is not None:
        for key, status in fresh.items():
            if status.outcome in ("ok", "broken"):
                cache.put("link", key, asdict(status), net.link_ttl_seconds)
    by_key = known | fresh
    out: dict[str, LinkStatus] = {}
    for url in given:
        status = by_key[check_key(url)]
        out[url] = status if status.url == url else replace(status, url=url)
    return out


def check_links(
    urls: Iterable[str], net: NetSettings, cache: LinkCache | None = None, **options: Any
) -> dict[str, LinkStatus]:
    """Synchronous face of ``check_links_async``, with the same keyword options (runs its own
    event loop)."""
    return asyncio.run(check_links_async(urls, net, cache, **options))
