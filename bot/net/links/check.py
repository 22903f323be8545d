"""Is a link alive? Check URLs politely and in parallel: the second of the link checker's three
jobs (``collect`` finds the links, ``audit`` reports on a whole list; ``outcome`` says what an
answer proves, because a checker that fails pull requests on a publisher's 403 gets switched off).

HEAD first and GET when HEAD is refused; redirects followed by hand, so that every hop passes the
SSRF guard; retries through the shared policy (``bot.net.retry``); limits per host and overall;
one deadline for the run. arXiv links are checked here like any other URL; the review's network
phase (``bot.net.facts``) leaves them out and verifies them in batches through arXiv's export API.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from http import HTTPStatus
from typing import Any, Protocol

import httpx

from bot.config import NetSettings
from bot.engine.model import LinkStatus
from bot.net.guard import GuardedBackend, GuardedTransport, Resolver
from bot.net.links.outcome import (
    PERMANENT,
    REDIRECTS,
    Failure,
    Reply,
    again,
    failure,
    judge,
)
from bot.net.retry import SYSTEM_CLOCK, Clock, RetryPolicy, retryable_status, with_retries

SMALL_BODY = 64 * 1024  # read bodies up to this size so the connection can be reused
BUDGET_DETAIL = "not checked: time budget"
HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
}


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


def _scheme_problem(url: str) -> str | None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        return f"invalid URL ({exc})"
    if parsed.scheme not in ("http", "https"):
        return "not an http(s) link"
    if not parsed.host:
        return "invalid URL (no host)"
    return None


class _Checker:
    """One run: shared connection pool, one global and one per-host limit, one deadline."""

    def __init__(
        self,
        net: NetSettings,
        resolver: Resolver | None,
        trusted: Iterable[str],
        deadline: float | None,
        clock: Clock,
    ) -> None:
        self.net = net
        self.deadline = deadline
        self.clock = clock
        self.policy = RetryPolicy(net.retries, net.retry_after_cap, clock)
        self.any_host = asyncio.Semaphore(net.max_concurrency)
        self.hosts: dict[str, asyncio.Semaphore] = {}
        backend = GuardedBackend(resolver, net.allow_private, trusted, net.dns_probe_host)
        limits = httpx.Limits(
            max_connections=net.max_concurrency,
            max_keepalive_connections=net.max_concurrency,
            keepalive_expiry=5.0,
        )
        self.client = httpx.AsyncClient(
            transport=GuardedTransport(backend, limits),
            timeout=httpx.Timeout(
                connect=net.connect_timeout,
                read=net.read_timeout,
                write=net.read_timeout,
                pool=None,
            ),
            headers={"User-Agent": net.user_agent, **HEADERS},
            follow_redirects=False,
            trust_env=False,
        )
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
            problem = _scheme_problem(current)
            if problem:
                return LinkStatus(url, "skipped", via + problem)
            answer = await self._ask(current)
            if isinstance(answer, Failure):
                return LinkStatus(url, answer.outcome, via + answer.detail)
            location = answer.headers.get("location")
            if answer.status in REDIRECTS and location:
                try:
                    target = str(httpx.URL(current).join(location.strip()))
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

    async def _ask(self, url: str) -> Reply | Failure:
        """HEAD first; GET (the truth) once HEAD is refused or fails; retry what may pass."""
        method = "HEAD"

        async def attempt() -> Reply | Failure:
            nonlocal method
            answer = await self._send(method, url)
            if method == "HEAD" and isinstance(answer, Reply) and not 200 <= answer.status < 400:
                method = "GET"
                if not retryable_status(answer.status):
                    answer = await self._send(method, url)
            elif method == "HEAD" and isinstance(answer, Failure) and answer.detail == "timed out":
                method = "GET"  # some servers never answer HEAD
            return answer

        return await with_retries(attempt, again, self.policy, self._time_left)

    def _time_left(self) -> float:
        return math.inf if self.deadline is None else self.deadline - self.clock.monotonic()

    async def _send(self, method: str, url: str) -> Reply | Failure:
        """One request within the limits; what went wrong is a Failure, never an exception."""
        try:
            host = httpx.URL(url).host
            slot = self.hosts.setdefault(host, asyncio.Semaphore(self.net.per_host))
            async with slot, self.any_host, asyncio.timeout(self.request_cap):
                request = self.client.build_request(method, url)
                response = await self.client.send(request, stream=True)
                try:
                    length = response.headers.get("content-length", "")
                    if method == "GET" and length.isdigit() and int(length) <= SMALL_BODY:
                        # The bytes as sent, never decompressed: 300 bytes of stacked gzip can
                        # unpack to gigabytes in one synchronous call no timeout interrupts.
                        async for _ in response.aiter_raw():
                            pass
                finally:
                    await response.aclose()  # never download a large body: close after headers
        except Exception as exc:
            return failure(exc)
        # The status's standard phrase, not the server's: a server's reason phrase is a
        # stranger's text ("403 [Verified by paperbot](https://evil.example)").
        return Reply(response.status_code, standard_phrase(response.status_code), response.headers)

    async def run(
        self, keys: list[str], progress: Callable[[int, int], None] | None
    ) -> dict[str, LinkStatus]:
        results: dict[str, LinkStatus] = {}
        tasks = {asyncio.create_task(self.check(key)): key for key in keys}
        done_count = 0

        def finished(_: asyncio.Task[LinkStatus]) -> None:
            nonlocal done_count
            done_count += 1
            if progress:
                progress(done_count, len(keys))

        for task in tasks:
            task.add_done_callback(finished)
        async with self.client:
            timeout = None if self.deadline is None else max(0.0, self._time_left())
            if tasks:
                _, pending = await asyncio.wait(tasks, timeout=timeout)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        for task, key in tasks.items():
            if task.cancelled():
                results[key] = LinkStatus(key, "unverified", BUDGET_DETAIL)
            else:
                results[key] = task.result()
        return results


async def check_links_async(
    urls: Iterable[str],
    net: NetSettings,
    cache: LinkCache | None = None,
    *,
    deadline: float | None = None,
    resolver: Resolver | None = None,
    trusted: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> dict[str, LinkStatus]:
    """Check every URL once; returns each URL as given -> its LinkStatus.

    ``deadline`` is a ``clock.monotonic()`` value: what is not done by then is ``unverified`` with
    detail ``BUDGET_DETAIL``. ``resolver`` replaces DNS (tests), ``trusted`` lists networks the
    SSRF guard lets through (an intranet mirror, a test server). ``progress(done, total)`` is
    called as checks finish. ``cache`` keeps ok and broken answers for ``net.link_ttl_seconds``.
    ``clock`` paces the retries (tests pass one that never sleeps).
    """
    given = list(dict.fromkeys(urls))
    keys = list(dict.fromkeys(check_key(u) for u in given))
    known: dict[str, LinkStatus] = {}
    if cache is not None:
        for key in keys:
            stored = cache.get("link", key)
            if not isinstance(stored, dict):
                continue
            try:
                known[key] = LinkStatus(**stored)
            except TypeError:  # stored by an older version
                continue
    todo = [k for k in keys if k not in known]
    checker = _Checker(net, resolver, trusted, deadline, clock)
    fresh = await checker.run(todo, progress)
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
