"""The network phase of a review: gather the facts the network rules need, within a time budget.

Only what the PR touched is checked: the links it adds or changes, the titles behind the arXiv,
DOI and NIPS links of the entries it touched, and the citation counts of the papers it puts into
the top 100. Everything runs concurrently; what the budget cuts short is named in
``Facts.incomplete`` and left out of the facts, so the rules report it as unverified and the
review is still posted. Answers are cached, so a re-run on an unchanged PR asks nobody anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from bot.config import Config, NetSettings
from bot.engine.model import Diff, Facts, LinkStatus, PaperList, PaperMeta
from bot.net.cache import Cache
from bot.net.guard import Resolver
from bot.net.links.check import BUDGET_DETAIL, check_links_async
from bot.net.lookups import Lookups, lookups_for
from bot.net.retry import SYSTEM_CLOCK, Clock
from bot.net.scholar.arxiv import arxiv_titles
from bot.net.scholar.doi import crossref_titles, doi_registered
from bot.net.scholar.http import Http, new_client
from bot.net.scholar.match import PaperQuery
from bot.net.scholar.openalex import openalex
from bot.net.scholar.semantic_scholar import semantic_scholar

GRACE_SECONDS = 0.25


def _meta_to_json(meta: PaperMeta | None) -> dict[str, Any]:
    return {"meta": asdict(meta) if meta else None}


def _meta_from_json(value: dict[str, Any]) -> PaperMeta | None:
    meta = value.get("meta")
    return PaperMeta(**meta) if meta else None


class _Run:
    """One gathering: the answers so far (from the cache or the network) and the cache policy."""

    def __init__(self, lookups: Lookups, config: Config, cache: Cache | None) -> None:
        self.plan = lookups
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
        for arxiv in set(self.plan.arxiv_links.values()) | set(self.plan.arxiv_titles.values()):
            if (hit := self._get("arxiv", arxiv)) is not None:
                self.arxiv[arxiv] = _meta_from_json(hit)
        for key in set(self.plan.doi_links.values()):
            if (hit := self._get("doi", key)) is not None:
                self.registered[key] = bool(hit["registered"])
        for key in set(self.plan.doi_titles.values()):
            if (hit := self._get("crossref", key)) is not None:
                self.crossref[key] = _meta_from_json(hit)
        for line, query in self.plan.papers.items():
            if (hit := self._get("citations", query.key)) is not None:
                self.papers[line] = _meta_from_json(hit)
        for line, query in self.plan.peers.items():
            hit = self._get("citations", query.key)
            self._keep_peer(line, _meta_from_json(hit) if hit is not None else None)

    def _keep_peer(self, line: int, meta: PaperMeta | None) -> None:
        if meta is not None and meta.confident and meta.citations is not None:
            self.peer_counts[line] = meta

    # work still to do -------------------------------------------------------------------------

    def todo_arxiv(self) -> list[str]:
        wanted = set(self.plan.arxiv_links.values()) | set(self.plan.arxiv_titles.values())
        return sorted(wanted - set(self.arxiv))

    def todo_registered(self) -> list[str]:
        return sorted(set(self.plan.doi_links.values()) - set(self.registered))

    def todo_crossref(self) -> list[str]:
        return sorted(set(self.plan.doi_titles.values()) - set(self.crossref))

    def todo_peers(self) -> list[PaperQuery]:
        """Peers with an arXiv id or DOI whose count is not known yet: they join the batch."""
        todo = {
            q.key: q
            for line, q in self.plan.peers.items()
            if line not in self.peer_counts and (q.arxiv or q.doi)
        }
        return list(todo.values())

    def todo_papers(self) -> list[PaperQuery]:
        """One query per paper (a list may hold the same entry twice)."""
        todo = {q.key: q for line, q in self.plan.papers.items() if line not in self.papers}
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
        for line, query in self.plan.peers.items():
            if (meta := s2.get(query.key)) is not None and meta.confident:
                self._keep_peer(line, meta)
                self._put("citations", query.key, _meta_to_json(meta), True)
        for query in todo:
            if (meta := s2.get(query.key)) is not None and meta.confident:
                self._keep(query.key, meta, cache=True)
        unsure = self.todo_papers()
        oa: dict[str, PaperMeta | None] = {}
        await openalex(http, unsure, self.similarity, oa)
        for query in unsure:
            if query.key not in s2 and query.key not in oa and http.remaining() <= 0:
                continue  # out of time, not out of luck: reported as incomplete
            metas = [a[query.key] for a in (s2, oa) if a.get(query.key) is not None]
            best = next((m for m in metas if m and m.confident), metas[0] if metas else None)
            both = query.key in s2 and query.key in oa
            self._keep(query.key, best, cache=both or bool(best and best.confident))

    def _keep(self, key: str, meta: PaperMeta | None, cache: bool) -> None:
        for line, query in self.plan.papers.items():
            if query.key == key:
                self.papers[line] = meta
        if cache:
            self._put("citations", key, _meta_to_json(meta), meta is not None)

    async def check_links(self, deadline: float, resolver: Resolver | None, clock: Clock) -> None:
        found = await check_links_async(
            self.plan.link_urls,
            self.net,
            self.cache,
            deadline=deadline,
            resolver=resolver,
            clock=clock,
        )
        self.links.update(found)
        late = sum(1 for status in found.values() if status.detail == BUDGET_DETAIL)
        if late:
            self.incomplete.append(f"links: {late} not checked within the time budget")

    # facts ------------------------------------------------------------------------------------

    def facts(self) -> Facts:
        links = dict(self.links)
        for url, arxiv in self.plan.arxiv_links.items():
            if arxiv not in self.arxiv:
                links[url] = LinkStatus(url, "unverified", "the arXiv export API did not answer")
            elif self.arxiv[arxiv] is None:
                links[url] = LinkStatus(url, "broken", f"arXiv has no paper {arxiv}", 404)
            else:
                links[url] = LinkStatus(url, "ok", "found through the arXiv export API", 200)
        for url, key in self.plan.doi_links.items():
            if key not in self.registered:
                links[url] = LinkStatus(url, "unverified", "doi.org did not answer")
            elif not self.registered[key]:
                links[url] = LinkStatus(url, "broken", f"DOI {key} is not registered", 404)
            else:
                links[url] = LinkStatus(url, "ok", "DOI registered at doi.org", 200)
        titles: dict[str, PaperMeta | None] = dict(self.plan.slug_titles)
        for url, arxiv in self.plan.arxiv_titles.items():
            titles[url] = self.arxiv.get(arxiv)
        for url, key in self.plan.doi_titles.items():
            titles[url] = self.crossref.get(key)
        citations: dict[int, PaperMeta | None] = dict(self.peer_counts)
        citations.update(self.papers)
        return Facts(links, citations, titles, tuple(self.incomplete))


def gather(
    base: PaperList,
    head: PaperList,
    diff: Diff,
    config: Config,
    cache: Cache | None = None,
    clock: Clock = SYSTEM_CLOCK,
    *,
    resolver: Resolver | None = None,
) -> Facts:
    """Facts for the network rules, within ``config.net.budget_seconds``; never raises.

    ``clock`` measures the budget and paces the retries (tests pass one that never sleeps).
    ``resolver`` replaces DNS for the link checker (tests). ``base`` is accepted for symmetry
    with the engine: the diff already says what changed.
    """
    del base
    deadline = clock.monotonic() + config.net.budget_seconds
    run = _Run(lookups_for(head, diff, config.criteria), config, cache)
    if not config.net.enabled:
        run.incomplete.append("network checks are switched off (PAPERBOT_NET_ENABLED)")
        return run.facts()
    try:
        run.from_cache()
    except Exception as exc:  # a broken cache must not break the review
        run.cache = None
        run.incomplete.append(f"cache unavailable ({exc.__class__.__name__})")
    try:
        _run_sync(lambda: _gather(run, deadline, clock, resolver))
    except Exception as exc:  # a bug here must cost the review its network facts, not its life
        run.incomplete.append(f"network phase failed ({exc.__class__.__name__}: {exc})")
    return run.facts()


def _run_sync(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    with ThreadPoolExecutor(1) as pool:  # called from async code: use a loop of our own
        pool.submit(lambda: asyncio.run(make())).result()


async def _noting_failure(work: Awaitable[None], what: str, run: _Run) -> None:
    """A lookup that crashes costs the review that lookup's facts, and says so."""
    try:
        await work
    except Exception as exc:
        run.incomplete.append(f"{what}: failed ({exc.__class__.__name__}: {exc})")


async def _gather(run: _Run, deadline: float, clock: Clock, resolver: Resolver | None) -> None:
    jobs: dict[str, asyncio.Task[None]] = {}
    if run.plan.link_urls:
        work = run.check_links(deadline, resolver, clock)
        jobs["links"] = asyncio.create_task(_noting_failure(work, "links", run))
    lookups = {
        "arXiv": (run.todo_arxiv, run.fetch_arxiv),
        "doi.org": (run.todo_registered, run.fetch_registered),
        "Crossref": (run.todo_crossref, run.fetch_crossref),
        "citations": (run.todo_papers, run.fetch_papers),
    }
    wanted = {name: fetch for name, (todo, fetch) in lookups.items() if todo()}
    if not wanted:
        await _wait(jobs, run, deadline, clock)
        return
    async with new_client(run.net) as client:
        http = Http(client, run.net, deadline, clock)
        for name, fetch in wanted.items():
            jobs[name] = asyncio.create_task(_noting_failure(fetch(http), name, run))
        await _wait(jobs, run, deadline, clock)


async def _wait(
    jobs: dict[str, asyncio.Task[None]], run: _Run, deadline: float, clock: Clock
) -> None:
    """Every job watches the deadline itself; a short grace lets it say what it could not do."""
    if not jobs:
        return
    left = max(0.0, deadline - clock.monotonic())
    await asyncio.wait(jobs.values(), timeout=left + GRACE_SECONDS)
    late = [name for name, job in jobs.items() if not job.done()]
    for name in late:
        jobs[name].cancel()
    await asyncio.gather(*(jobs[name] for name in late), return_exceptions=True)
    unchecked = {
        "links": lambda: len(run.plan.link_urls) - len(run.links),
        "arXiv": lambda: len(run.todo_arxiv()),
        "doi.org": lambda: len(run.todo_registered()),
        "Crossref": lambda: len(run.todo_crossref()),
        "citations": lambda: len(run.todo_papers()),
    }
    out_of_time = clock.monotonic() >= deadline
    for name in jobs:
        cut = name in late or (out_of_time and name != "links")  # links count their own
        if cut and (count := unchecked[name]()):
            run.incomplete.append(f"{name}: {count} not checked within the time budget")
