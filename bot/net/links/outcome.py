"""What an answer, or the lack of one, says about a link: ok, broken, unverified or skipped.

Only what is provably dead is ``broken``: 404, 410, a name the DNS says does not exist, a refused
connection. Bot walls, logins, rate limits, timeouts, TLS trouble and server errors are
``unverified``; the SSRF guard's refusals are ``skipped``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx

from bot.engine.model import LinkOutcome
from bot.net.guard import Blocked, NameNotFound, ResolveError
from bot.net.retry import Again, retryable_status

REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
GONE = frozenset({404, 410})
REFUSED = "connection refused"  # confirmed by the checker at once (``check._send``), not retried


@dataclass(frozen=True)
class Reply:
    """A final answer's status line and headers (the body is never kept)."""

    status: int
    reason: str
    headers: httpx.Headers


@dataclass(frozen=True)
class Failure:
    """No answer: what that means for the link, and whether asking again may help."""

    outcome: LinkOutcome
    detail: str
    retryable: bool


def judge(reply: Reply) -> tuple[LinkOutcome, str]:
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


def failure(exc: Exception) -> Failure:
    if isinstance(exc, Blocked):
        return Failure("skipped", f"{exc} (SSRF guard)", False)
    if isinstance(exc, NameNotFound):
        return Failure("broken", "DNS name does not exist", False)
    if isinstance(exc, ResolveError):
        return Failure("unverified", str(exc), True)
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return Failure("unverified", "timed out", True)
    if _cause(exc, ConnectionRefusedError):
        return Failure("broken", REFUSED, False)
    ssl_error = _cause(exc, ssl.SSLError)
    if ssl_error is not None:
        return Failure("unverified", f"TLS error ({ssl_error})", False)
    if isinstance(exc, httpx.TransportError):
        return Failure("unverified", f"network error ({type(exc).__name__}: {exc})", True)
    return Failure("unverified", f"could not check ({type(exc).__name__}: {exc})", False)


def again(answer: Reply | Failure) -> Again | None:
    if isinstance(answer, Reply):
        return Again(answer.headers.get("retry-after")) if retryable_status(answer.status) else None
    return Again() if answer.retryable else None
