"""arXiv links, verified through arXiv's export API and never fetched.

arXiv's terms allow robots one request every 3 s from all of their machines together, and send
them to the export API for metadata: 900 arXiv links fetched 8 at a time is what gets a bot's
addresses blocked. So the checker hands every link to an arXiv host, including one met as a
redirect hop, to ``ArxivLinks``: an id is asked of the export API, up to 100 ids a call, through
the arXiv gate (``bot.net.scholar.http``; with ``SharedGates``, shared by every process of the
database); a page of arXiv's that names no paper is skipped. Answers are cached as a review caches
them, so that a review after an audit (or a second audit) asks arXiv nothing new. The database and
the API's client are opened at the first arXiv link: a list without one leaves no database behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from bot.config import Config
from bot.engine.identity import arxiv_id
from bot.engine.model import LinkStatus, PaperMeta
from bot.net.cache import Cache
from bot.net.guard import PUBLIC_ONLY, Reach
from bot.net.scholar.arxiv import ARXIV_BATCH, arxiv_link_status, arxiv_titles, query_id
from bot.net.scholar.http import Http, new_client
from bot.store import database_for
from bot.store.gates import SharedGates

NOT_FETCHED = "an arXiv page that names no paper: arXiv's pages are not fetched by robots"
_NO_ANSWER = object()


def is_arxiv_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "arxiv.org" or host.endswith(".arxiv.org")


def api_id(url: str) -> str | None:
    """The id to ask the export API for, as the review asks it (``query_id``)."""
    found = arxiv_id(url)
    return query_id(found) if found else None


class ArxivLinks:
    """The checker's delegate for arXiv (``check.Delegate``): ids that arrive while a call waits
    for the gate join the next call. With ``listed``, set once every link of the list has been
    read, the first call waits for it: a call made while the list is still being read would
    cost a second call, 3 s later, for the ids read after it."""

    def __init__(
        self, config: Config, reach: Reach = PUBLIC_ONLY, listed: asyncio.Event | None = None
    ) -> None:
        self.config = config
        self.reach = reach
        self.listed = listed
        self.http: Http | None = None
        self.cache: Cache | None = None
        self.answers: dict[str, asyncio.Future[Any]] = {}
        self.queued: list[str] = []
        self.caller: asyncio.Task[None] | None = None

    def _connect(self) -> Http:
        """The export API's client, paced by the service database's arXiv gate."""
        if self.http is None:
            db = database_for(self.config.service)
            self.cache = Cache(db)
            client = new_client(self.config.net, self.reach)
            self.http = Http(client, self.config.net, math.inf, gates=SharedGates(db))
        return self.http

    async def aclose(self) -> None:
        if self.http is not None:
            await self.http.client.aclose()

    def wants(self, url: str) -> bool:
        try:
            host = urlsplit(url.strip()).hostname or ""
        except ValueError:
            return False
        return is_arxiv_host(host) or api_id(url) is not None

    async def status(self, url: str) -> LinkStatus:
        arxiv = api_id(url)
        if arxiv is None:
            return LinkStatus(url, "skipped", NOT_FETCHED)
        answer = self.answers.get(arxiv)
        if answer is None:
            answer = self.answers[arxiv] = asyncio.get_running_loop().create_future()
            self.queued.append(arxiv)
            if self.caller is None:
                self.caller = asyncio.create_task(self._call_in_turn())
        found = await asyncio.shield(answer)
        return arxiv_link_status(url, arxiv, {} if found is _NO_ANSWER else {arxiv: found})

    async def _call_in_turn(self) -> None:
        """Cached answers first, then one export-API call per 100 ids at the gate's pace; what
        is left unanswered (a failure, the run's end) is "no answer", never "no such paper"."""
        try:
            if self.listed is not None:
                await self.listed.wait()
            http = self._connect()
            unknown: list[str] = []
            while self.queued or unknown:
                fresh, self.queued = self.queued, []
                cached = await asyncio.to_thread(self._cached, fresh)
                for arxiv in fresh:
                    if arxiv in cached:
                        self.answers[arxiv].set_result(cached[arxiv])
                    else:
                        unknown.append(arxiv)
                batch, unknown = unknown[:ARXIV_BATCH], unknown[ARXIV_BATCH:]
                if batch:
                    found = await arxiv_titles(http, batch)
                    await asyncio.to_thread(self._keep, found)
                    for arxiv in batch:
                        self.answers[arxiv].set_result(found.get(arxiv, _NO_ANSWER))
        except Exception:  # no database, a bug: the audit goes on, these links unverified
            pass
        finally:
            self.caller = None
            for answer in self.answers.values():
                if not answer.done():
                    answer.set_result(_NO_ANSWER)

    def _cached(self, ids: list[str]) -> dict[str, PaperMeta | None]:
        found: dict[str, PaperMeta | None] = {}
        if self.cache is None:
            return found
        for arxiv in ids:
            with contextlib.suppress(Exception):  # a broken cache costs requests, not the audit
                hit = self.cache.get("arxiv", arxiv)
                if isinstance(hit, dict) and "meta" in hit:
                    found[arxiv] = PaperMeta(**hit["meta"]) if hit["meta"] else None
        return found

    def _keep(self, found: dict[str, PaperMeta | None]) -> None:
        """A review's policy: a paper for ``metadata_ttl_seconds``, "no such paper" for
        ``link_ttl_seconds``; no answer is not kept."""
        if self.cache is None:
            return
        net = self.config.net
        for arxiv, meta in found.items():
            ttl = net.metadata_ttl_seconds if meta else net.link_ttl_seconds
            with contextlib.suppress(Exception):  # an unkept answer still serves this audit
                self.cache.put("arxiv", arxiv, {"meta": asdict(meta) if meta else None}, ttl)
