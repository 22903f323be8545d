"""The one HTTP layer of the scholarly clients: a client bound to the review's deadline, the shared
retry policy, and the gates that space a service's requests (arXiv asks for one every 3 s; the
gates are kept in the database, ``bot.store.gates``, so all processes share them).

Each client (arXiv, Semantic Scholar, OpenAlex, Crossref, doi.org) answers a batch of questions and
returns a dict holding only the questions it could answer. A value of None is an answer ("no such
paper"); a missing key means "no answer" (the service was down, rate-limited or out of time), which
the caller reports as unverified. Nothing here raises on a network problem: a review must never
fail because an API did.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from bot.config import NetSettings
from bot.engine.identity import valid_doi
from bot.net.guard import PUBLIC_ONLY, Blocked, NameNotFound, Reach, ResolveError
from bot.net.retry import SYSTEM_CLOCK, Again, Clock, RetryPolicy, retryable_status, with_retries
from bot.store.gates import Gates, LocalGates

ARXIV_GATE = "arxiv"  # the gates' names (bot.store.gates)
S2_GATE = "semantic-scholar"
Pace = tuple[str, float]  # a gate's name and the interval between its slots
# From its slot to the service a request still has to connect and shake hands (each review has a
# client of its own), which takes a varying part of a second; measured at a loopback service, two
# requests booked 3 s apart arrived 2.81 s apart. Slots are that much further apart than the
# service asks, so that it never sees two requests closer than it allows (bench/pacing.py).
ARRIVAL_MARGIN_SECONDS = 0.25


async def paced(name: str, interval: float, http: Http) -> bool:
    """Wait for the gate's next slot; False when that slot comes after the deadline."""
    spacing = interval + ARRIVAL_MARGIN_SECONDS if interval > 0 else 0.0
    wait = http.gates.reserve(name, spacing, http.clock.wall())
    if wait >= http.remaining():
        return False
    if wait > 0:
        await http.clock.sleep(wait)
    return True


class Http:
    """One async client bound to the review's deadline: retries 429/5xx/timeouts with backoff
    (``bot.net.retry``: Retry-After honoured up to ``net.retry_after_cap``).

    ``send`` returns the response for any final status (2xx, 404, other 4xx), or None when there
    was no answer: a transport error, or 429/5xx after the retries, or no time left.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        net: NetSettings,
        deadline: float,
        clock: Clock = SYSTEM_CLOCK,
        gates: Gates | None = None,
    ) -> None:
        self.client = client
        self.net = net
        self.deadline = deadline
        self.clock = clock
        self.gates: Gates = gates or LocalGates()
        self.policy = RetryPolicy(net.retries, net.retry_after_cap, clock)

    def remaining(self) -> float:
        return self.deadline - self.clock.monotonic()

    async def send(
        self, method: str, url: str, pace: Pace | None = None, **kwargs: Any
    ) -> httpx.Response | None:
        """``pace`` (a gate's name and an interval) spaces every attempt, retries included."""

        async def attempt() -> httpx.Response | None | Exception:
            if pace is not None and not await paced(*pace, self):
                return None
            left = self.remaining()
            if left <= 0:
                return None
            timeout = httpx.Timeout(
                min(self.net.read_timeout, left), connect=min(self.net.connect_timeout, left)
            )
            try:
                return await self.client.request(method, url, timeout=timeout, **kwargs)
            except (httpx.HTTPError, Blocked, NameNotFound, ResolveError) as exc:
                return exc

        answer = await with_retries(attempt, _again, self.policy, self.remaining)
        if isinstance(answer, httpx.Response) and not retryable_status(answer.status_code):
            return answer
        return None

    async def json(
        self, method: str, url: str, pace: Pace | None = None, **kwargs: Any
    ) -> tuple[int, Any] | None:
        """(status, body) for a final answer, None for no answer or a body that is not JSON."""
        response = await self.send(method, url, pace, **kwargs)
        if response is None:
            return None
        if response.status_code != 200:
            return response.status_code, None
        try:
            return 200, response.json()
        except ValueError:
            return None


def doi_path(doi: str) -> str | None:
    """A DOI as URL path segments, percent-encoded; None when it is no DOI, or holds a ``.`` or
    ``..`` segment that would walk out of the API's path."""
    return quote(doi, safe="/") if valid_doi(doi) else None


def new_client(net: NetSettings, reach: Reach = PUBLIC_ONLY) -> httpx.AsyncClient:
    """The scholarly services' client: behind the same SSRF guard as link checks (every redirect
    hop connects through it), and deaf to proxy settings in the environment."""
    limits = httpx.Limits(max_connections=net.max_concurrency)
    return httpx.AsyncClient(
        transport=reach.transport(net.allow_private, net.dns_probe_host, limits),
        headers={"User-Agent": net.user_agent},
        follow_redirects=True,
        max_redirects=net.max_redirects,
        trust_env=False,
    )


def _again(answer: httpx.Response | None | Exception) -> Again | None:
    if answer is None:  # no time left: final
        return None
    if isinstance(answer, Blocked | NameNotFound):  # the guard said no, or no such host
        return None
    if isinstance(answer, Exception):
        return Again()
    if retryable_status(answer.status_code):
        return Again(answer.headers.get("retry-after"))
    return None
