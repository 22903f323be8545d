"""Is a link alive? Collect the URLs, check them politely and in parallel, report three outcomes.

Only what is provably dead is ``broken`` (404, 410, a name the DNS says does not exist, a refused
connection); whatever a server did not let us see (bot walls, logins, rate limits, timeouts, TLS
trouble, server errors) is ``unverified``, because a link checker that fails pull requests on a
publisher's 403 gets switched off. ``skipped`` means the SSRF guard or the scheme kept us away.

arXiv links are checked here like any other URL; the review's network phase (``bot.netcheck``)
leaves them out and has ``bot.scholar`` verify them in batches through arXiv's export API instead.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from os import PathLike
from typing import Any, Protocol, TextIO

import httpx
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.config import Config, NetSettings
from bot.errors import InputError
from bot.guard import (
    Blocked,
    GuardedBackend,
    GuardedTransport,
    NameNotFound,
    ResolveError,
    Resolver,
)
from bot.model import LinkOutcome, LinkStatus
from bot.retry import retry_delay

REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
GONE = frozenset({404, 410})
# Answers worth asking again after a pause: the server may say otherwise in a moment.
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 529})
SMALL_BODY = 64 * 1024  # read bodies up to this size so the connection can be reused
BUDGET_DETAIL = "not checked: time budget"
HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
}


class LinkCache(Protocol):
    """What ``bot.cache.Cache`` offers; only real answers (ok, broken) are stored."""

    def get(self, kind: str, key: str) -> Any | None: ...

    def put(self, kind: str, key: str, value: Any, ttl: float) -> None: ...


@dataclass(frozen=True)
class _Reply:
    status: int
    reason: str
    headers: httpx.Headers


@dataclass(frozen=True)
class _Failure:
    outcome: LinkOutcome
    detail: str
    retryable: bool


def check_key(url: str) -> str:
    """The part of a URL that is fetched: two spellings differing only by fragment are one check."""
    return url.strip().split("#", 1)[0]


def judge(reply: _Reply) -> tuple[LinkOutcome, str]:
    """The outcome of a final (non-redirect) answer."""
    status = reply.status
    text = f"{status} {reply.reason}".strip()
    if 200 <= status < 300:
        return "ok", text
    if status in GONE:
        return "broken", text
    if reply.headers.get("cf-mitigated") == "challenge" or (
        status in (403, 503) and reply.headers.get("server", "").lower() == "cloudflare"
    ):
        return "unverified", f"{text} (Cloudflare challenge)"
    if status in (401, 407):
        return "unverified", f"{text} (login required)"
    if status in (403, 451):
        return "unverified", f"{text} (bot wall?)"
    if status == 429:
        return "unverified", f"{text} (rate limited)"
    if 500 <= status < 600:
        return "unverified", f"{text} (server error)"
    if status in REDIRECTS:
        return "unverified", f"{text} without a Location"
    return "unverified", text


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _failure(exc: Exception) -> _Failure:
    if isinstance(exc, Blocked):
        return _Failure("skipped", f"{exc} (SSRF guard)", False)
    if isinstance(exc, NameNotFound):
        return _Failure("broken", "DNS name does not exist", False)
    if isinstance(exc, ResolveError):
        return _Failure("unverified", str(exc), True)
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return _Failure("unverified", "timed out", True)
    if _cause(exc, ConnectionRefusedError):
        return _Failure("broken", "connection refused", True)
    ssl_error = _cause(exc, ssl.SSLError)
    if ssl_error is not None:
        return _Failure("unverified", f"TLS error ({ssl_error})", False)
    if isinstance(exc, httpx.TransportError):
        return _Failure("unverified", f"network error ({type(exc).__name__}: {exc})", True)
    return _Failure("unverified", f"could not check ({type(exc).__name__}: {exc})", False)


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
    ) -> None:
        self.net = net
        self.deadline = deadline
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
            if isinstance(answer, _Failure):
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

    async def _ask(self, url: str) -> _Reply | _Failure:
        """HEAD first; GET (the truth) once HEAD is refused or fails; retry what may pass."""
        method = "HEAD"
        attempt = 0
        while True:
            try:
                answer: _Reply | _Failure = await self._send(method, url)
            except Exception as exc:
                answer = _failure(exc)
            if isinstance(answer, _Reply):
                if method == "HEAD" and not 200 <= answer.status < 400:
                    method = "GET"
                    if answer.status not in RETRYABLE:
                        continue
                if answer.status not in RETRYABLE:
                    return answer
                retry_after = answer.headers.get("retry-after")
            else:
                if not answer.retryable:
                    return answer
                if method == "HEAD" and answer.detail == "timed out":
                    method = "GET"  # some servers never answer HEAD
                retry_after = None
            if attempt >= self.net.retries:
                return answer
            pause = retry_delay(attempt, retry_after, self.net.retry_after_cap)
            if self.deadline is not None and time.monotonic() + pause >= self.deadline:
                return answer
            await asyncio.sleep(pause)
            attempt += 1

    async def _send(self, method: str, url: str) -> _Reply:
        host = httpx.URL(url).host
        slot = self.hosts.setdefault(host, asyncio.Semaphore(self.net.per_host))
        async with slot, self.any_host, asyncio.timeout(self.request_cap):
            request = self.client.build_request(method, url)
            response = await self.client.send(request, stream=True)
            try:
                length = response.headers.get("content-length", "")
                if method == "GET" and length.isdigit() and int(length) <= SMALL_BODY:
                    await response.aread()
            finally:
                await response.aclose()  # never download a large body: close after the headers
        return _Reply(response.status_code, response.reason_phrase, response.headers)

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
            timeout = None
            if self.deadline is not None:
                timeout = max(0.0, self.deadline - time.monotonic())
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
) -> dict[str, LinkStatus]:
    """Check every URL once; returns each URL as given -> its LinkStatus.

    ``deadline`` is a ``time.monotonic()`` value: what is not done by then is ``unverified`` with
    detail ``BUDGET_DETAIL``. ``resolver`` replaces DNS (tests), ``trusted`` lists networks the
    SSRF guard lets through (an intranet mirror, a test server). ``progress(done, total)`` is
    called as checks finish. ``cache`` keeps ok and broken answers for ``net.link_ttl_seconds``.
    """
    given = list(dict.fromkeys(urls))
    keys = list(dict.fromkeys(check_key(u) for u in given))
    known: dict[str, LinkStatus] = {}
    if cache is not None:
        for key in keys:
            stored = cache.get("link", key)
            try:
                known[key] = LinkStatus(**stored)
            except TypeError:  # absent, or stored by an older version
                continue
    todo = [k for k in keys if k not in known]
    checker = _Checker(net, resolver, trusted, deadline)
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
    urls: Iterable[str],
    net: NetSettings,
    cache: LinkCache | None = None,
    *,
    deadline: float | None = None,
    resolver: Resolver | None = None,
    trusted: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, LinkStatus]:
    """Synchronous face of ``check_links_async`` (runs its own event loop)."""
    return asyncio.run(
        check_links_async(
            urls,
            net,
            cache,
            deadline=deadline,
            resolver=resolver,
            trusted=trusted,
            progress=progress,
        )
    )


# --- audit: every link of a whole list ------------------------------------------------------

_md = MarkdownIt("commonmark")
_BARE_URL = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]+", re.IGNORECASE)
_HTML_URL = re.compile(r"""(?:href|src)\s*=\s*["']?(https?://[^"'\s>]+)""", re.IGNORECASE)


def _trim(url: str) -> str:
    """A bare URL in prose ends before trailing punctuation and an unmatched closing bracket."""
    while url:
        unmatched = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] in ".,;:!?*_~" or unmatched:
            url = url[:-1]
        else:
            break
    return url


def _inline_links(children: list[Token], first_line: int) -> Iterable[tuple[str, int]]:
    line = first_line
    in_link = 0
    for token in children:
        if token.type in ("softbreak", "hardbreak"):
            line += 1
        elif token.type == "link_open":
            in_link += 1
            yield str(token.attrs.get("href", "")), line
        elif token.type == "link_close":
            in_link -= 1
        elif token.type == "image":
            yield str(token.attrs.get("src", "")), line
        elif token.type == "html_inline":
            for match in _HTML_URL.finditer(token.content):
                yield match.group(1), line
        elif token.type == "text" and not in_link:
            for match in _BARE_URL.finditer(token.content):
                yield _trim(match.group(0)), line


def extract_links(text: str) -> list[tuple[str, int]]:
    """Every http(s) link of a markdown document with its 1-based line, in reading order.

    Markdown links and images, links in inline and block HTML, and bare URLs in prose (a list
    often holds ``[[pdf]] (url)`` with a stray space, which markdown renders as text).
    """
    found: list[tuple[str, int]] = []
    for token in _md.parse(text):
        if not token.map:
            continue
        if token.type == "inline":
            found.extend(_inline_links(token.children or [], token.map[0] + 1))
        elif token.type == "html_block":
            for offset, html_line in enumerate(token.content.splitlines(), token.map[0] + 1):
                found += [(m.group(1), offset) for m in _HTML_URL.finditer(html_line)]
    return [(url, line) for url, line in found if url.lower().startswith(("http://", "https://"))]


class _ProgressBar:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} links")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def audit(
    path: str | PathLike[str],
    config: Config,
    out: TextIO,
    fmt: str = "text",
    err: TextIO | None = None,
) -> int:
    """``paperbot audit FILE``: check every link of a whole list; 1 if any is broken, else 0.

    ``fmt`` is ``text`` (problems, one per line, then a summary) or ``jsonl`` (one object per
    distinct URL: ``url``, ``status`` ok|broken|unverified|skipped, ``detail``, ``line``, ``code``,
    ``permanent_redirect_to``). A progress bar goes to ``err`` (default stderr) on a terminal only.
    """
    if fmt not in ("text", "jsonl"):
        raise InputError(f"unknown format {fmt!r} (use text or jsonl)")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    first_line: dict[str, int] = {}
    for url, line in extract_links(text):
        first_line.setdefault(url, line)
    err = sys.stderr if err is None else err
    bar = _ProgressBar(err) if err.isatty() and first_line else None
    results = check_links(first_line, config.net, progress=bar)
    counts: dict[str, int] = {}
    for url, line in first_line.items():
        status = results[url]
        counts[status.outcome] = counts.get(status.outcome, 0) + 1
        if fmt == "jsonl":
            record = {
                "url": url,
                "status": status.outcome,
                "detail": status.detail,
                "line": line,
                "code": status.status,
                "permanent_redirect_to": status.permanent_redirect_to,
            }
            out.write(json.dumps(record) + "\n")
        elif status.outcome != "ok":
            out.write(f"{path}:{line}: {status.outcome}: {url} ({status.detail})\n")
        elif status.permanent_redirect_to:
            out.write(f"{path}:{line}: moved: {url} -> {status.permanent_redirect_to}\n")
    if fmt == "text":
        summary = ", ".join(
            f"{counts.get(k, 0)} {k}" for k in ("ok", "broken", "unverified", "skipped")
        )
        out.write(f"{len(first_line)} links: {summary}\n")
    out.flush()
    return 1 if counts.get("broken") else 0
