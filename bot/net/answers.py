"""The answers of one network phase: what the cache and the services said so far, the cache
policy (what is worth keeping, for how long), and the facts they make for the network rules."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import asdict
from typing import Any

from bot.config import Config, NetSettings
from bot.engine.identity import arxiv_id_problem
from bot.engine.model import Facts, LinkStatus, PaperMeta
from bot.net.cache import Cache
from bot.net.guard import Reach
from bot.net.links.check import BUDGET_DETAIL, check_links_async
from bot.net.lookups import Lookups
from bot.net.retry import Clock
from bot.net.scholar.arxiv import arxiv_link_status, arxiv_titles
from bot.net.scholar.doi import crossref_titles, doi_registered
from bot.net.scholar.http import Http
from bot.net.scholar.match import PaperQuery
from bot.net.scholar.openalex import openalex
from bot.net.scholar.semantic_scholar import semantic_scholar


def _meta_to_json(meta: PaperMeta | None) -> dict[str, Any]:
    return {"meta": asdict(meta) if meta else None}


def _meta_from_json(value: dict[str, Any]) -> PaperMeta | None:
    meta = value.get("meta")
    return PaperMeta(**meta) if meta else None


# Since 13 February 2026 OpenAlex wants an API key: without one a caller gets about $0.01 of
# usage a day, spent after a few searches, so the fallback is not tried without a key.
OPENALEX_OFF = "OpenAlex fallback off: no API key (PAPERBOT_NET_OPENALEX_KEY)"


def startup_notices(net: NetSettings) -> list[str]:
    """What a deployment should know once, at start, about the services it will use."""
    return [OPENALEX_OFF] if net.enabled and not net.openalex_key else []


class Answers:
    """One gathering: the answers so far (from the cache or the network) and the cache policy."""

    def __init__(self, lookups: Lookups, config: Config, cache: Cache | None) -> None:
        self.lookups = lookups
        self.net: NetSettings = config.net
        self.similarity = config.criteria.title_similarity
        self.cache = cache
        self.links: dict[str, LinkStatus] = {}
        self.arxiv: dict[str, PaperMeta | None] = {}
        self.registered: dict[str, bool] = {}
        self.crossref: dict[str, PaperMeta | None] = {}
        self.papers: dict[int, PaperMeta | None] = {}
        self.peer_counts: dict[int, PaperMeta] = {}
        self.incomplete: list[str] = []

    # cache ------------------------------------------------------------------------------------

    def _get(self, kind: str, key: str) -> Any | None:
        return self.cache.get(kind, key) if self.cache is not None else None

    def _put(self, kind: str, key: str, value: Any, found: bool) -> None:
        if self.cache is None:
            return
        ttl = self.net.metadata_ttl_seconds if found else self.net.link_ttl_seconds
        with contextlib.suppress(sqlite3.Error):  # an unkept answer still serves this review
            self.cache.put(kind, key, value, ttl)

    def from_cache(self) -> None:
        for arxiv in set(self.lookups.arxiv_links.values()) | set(
            self.lookups.arxiv_titles.values()
        ):
            if (hit := self._get("arxiv", arxiv)) is not None:
                self.arxiv[arxiv] = _meta_from_json(hit)
        for key in set(self.lookups.doi_links.values()):
            if (hit := self._get("doi", key)) is not None:
                self.registered[key] = bool(hit["registered"])
        for key in set(self.lookups.doi_titles.values()):
            if (hit := self._get("crossref", key)) is not None:
                self.crossref[key] = _meta_from_json(hit)
        for line, query in self.lookups.papers.items():
            if (hit := self._get("citations", query.key)) is not None:
                self.papers[line] = _meta_from_json(hit)
        for line, query in self.lookups.peers.items():
            hit = self._get("citations", query.key)
            self._keep_peer(line, _meta_from_json(hit) if hit is not None else None)

    def _keep_peer(self, line: int, meta: PaperMeta | None) -> None:
        if meta is not None and meta.confident and meta.citations is not None:
            self.peer_counts[line] = meta

    # work still to do -------------------------------------------------------------------------

    def todo_arxiv(self) -> list[str]:
        """Ids to ask arXiv about: a malformed one is a broken link without asking."""
        wanted = set(self.lookups.arxiv_links.values()) | set(self.lookups.arxiv_titles.values())
        return sorted(a for a in wanted - set(self.arxiv) if arxiv_id_problem(a) is None)

    def todo_registered(self) -> list[str]:
        return sorted(set(self.lookups.doi_links.values()) - set(self.registered))

    def todo_crossref(self) -> list[str]:
        return sorted(set(self.lookups.doi_titles.values()) - set(self.crossref))

    def todo_peers(self) -> list[PaperQuery]:
        """Peers with an arXiv id or DOI whose count is not known yet: they join the batch."""
        todo = {
            q.key: q
            for line, q in self.lookups.peers.items()
            if line not in self.peer_counts and (q.arxiv or q.doi)
        }
        return list(todo.values())

    def todo_papers(self) -> list[PaperQuery]:
        """One query per paper (a list may hold the same entry twice)."""
        todo = {q.key: q for line, q in self.lookups.papers.items() if line not in self.papers}
        return list(todo.values())

    # network ----------------------------------------------------------------------------------

    async def fetch_arxiv(self, http: Http) -> None:
        answers: dict[str, PaperMeta | None] = {}
        await arxiv_titles(http, self.todo_arxiv(), answers)
        for arxiv, meta in answers.items():
            self.arxiv[arxiv] = meta
            self._put("arxiv", arxiv, _meta_to_json(meta), meta is not None)

    async def fetch_registered(self, http: Http) -> None:
        for key in self.todo_registered():
            answer = await doi_registered(http, [key])
            if key in answer:
                self.registered[key] = answer[key]
                self._put("doi", key, {"registered": answer[key]}, answer[key])

    async def fetch_crossref(self, http: Http) -> None:
        for key in self.todo_crossref():
            answer = await crossref_titles(http, [key])
            if key in answer:
                self.crossref[key] = answer[key]
                self._put("crossref", key, _meta_to_json(answer[key]), answer[key] is not None)

    async def fetch_papers(self, http: Http) -> None:
        """Semantic Scholar first; OpenAlex for what it does not know for sure.

        A sure answer is kept as soon as it arrives; "unknown" is cached only when both services
        said so, never when one of them did not answer.
        """
        todo = self.todo_papers()
        s2: dict[str, PaperMeta | None] = {}
        await semantic_scholar(http, todo, self.similarity, s2, self.todo_peers())
        for line, query in self.lookups.peers.items():
            if (meta := s2.get(query.key)) is not None and meta.confident:
                self._keep_peer(line, meta)
                self._put("citations", query.key, _meta_to_json(meta), True)
        for query in todo:
            if (meta := s2.get(query.key)) is not None and meta.confident:
                self._keep(query.key, meta, cache=True)
        unsure = self.todo_papers()
        oa: dict[str, PaperMeta | None] = {}
        if self.net.openalex_key:
            await openalex(http, unsure, self.similarity, oa)
        elif unsure:
            self.incomplete.append(OPENALEX_OFF)
        for query in unsure:
            if query.key not in s2 and query.key not in oa and http.remaining() <= 0:
                continue  # out of time, not out of luck: reported as incomplete
            metas = [a[query.key] for a in (s2, oa) if a.get(query.key) is not None]
            best = next((m for m in metas if m and m.confident), metas[0] if metas else None)
            both = query.key in s2 and query.key in oa
            self._keep(query.key, best, cache=both or bool(best and best.confident))

    def _keep(self, key: str, meta: PaperMeta | None, cache: bool) -> None:
        for line, query in self.lookups.papers.items():
            if query.key == key:
                self.papers[line] = meta
        if cache:
            self._put("citations", key, _meta_to_json(meta), meta is not None)

    async def check_links(self, deadline: float, reach: Reach, clock: Clock) -> None:
        found = await check_links_async(
            self.lookups.link_urls,
            self.net,
            self.cache,
            deadline=deadline,
            resolver=reach.resolver,
            trusted=reach.trusted,
            clock=clock,
        )
        self.links.update(found)
        late = sum(1 for status in found.values() if status.detail == BUDGET_DETAIL)
        if late:
            self.incomplete.append(f"links: {late} not checked within the time budget")

    # facts ------------------------------------------------------------------------------------

    def facts(self) -> Facts:
        links = dict(self.links)
        for url, arxiv in self.lookups.arxiv_links.items():
            links[url] = arxiv_link_status(url, arxiv, self.arxiv)
        for url, key in self.lookups.doi_links.items():
            if key not in self.registered:
                links[url] = LinkStatus(url, "unverified", "doi.org did not answer")
            elif not self.registered[key]:
                links[url] = LinkStatus(url, "broken", f"DOI {key} is not registered", 404)
            else:
                links[url] = LinkStatus(url, "ok", "DOI registered at doi.org", 200)
        titles: dict[str, PaperMeta | None] = dict(self.lookups.slug_titles)
        for url, arxiv in self.lookups.arxiv_titles.items():
            titles[url] = self.arxiv.get(arxiv)
        for url, key in self.lookups.doi_titles.items():
            titles[url] = self.crossref.get(key)
        citations: dict[int, PaperMeta | None] = dict(self.peer_counts)
        citations.update(self.papers)
        return Facts(links, citations, titles, tuple(self.incomplete))
