"""Clients for the scholarly services: Semantic Scholar, OpenAlex, the arXiv export API, Crossref.

Each look-up answers a batch of questions and returns a dict holding only the questions it could
answer. A value of None is an answer ("no such paper"); a missing key means "no answer" (the
service was down, rate-limited or out of time), which the caller reports as unverified. Nothing
here raises on a network problem: a review must never fail because an API did.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bot.config import NetSettings
from bot.identity import normalise_title
from bot.model import PaperMeta
from bot.retry import retry_delay
from bot.titles import likeness

S2 = "Semantic Scholar"
OPENALEX = "OpenAlex"
ARXIV = "arXiv"
CROSSREF = "Crossref"

S2_FIELDS = "title,year,citationCount"
S2_BATCH = 500
OPENALEX_SELECT = "id,doi,display_name,publication_year,cited_by_count"
ARXIV_BATCH = 100

# Every look-up fills ``answers`` as replies arrive (so a cut-off run keeps what it got) and
# returns it. A match found by an exact id only needs to look like the entry (it may be the
# title shortened); a title search must match closely (``criteria.title_similarity``).
ID_MATCH_SCORE = 80.0
LOOSE_MATCH_SCORE = 75.0


@dataclass(frozen=True)
class PaperQuery:
    """One paper to resolve, as the list writes it."""

    key: str  # the caller's handle for the answer
    title: str
    year: int | None
    arxiv: str | None = None
    doi: str | None = None


@dataclass(frozen=True)
class Candidate:
    id: str
    title: str
    year: int | None
    citations: int | None
    url: str | None


def choose(
    query: PaperQuery, candidates: Iterable[Candidate], source: str, similarity: float
) -> PaperMeta | None:
    """Pick the paper a title search means; a fuzzy or ambiguous pick is not confident."""
    scored = sorted(
        ((likeness(query.title, c.title), c) for c in candidates),
        key=lambda sc: (-sc[0], -(sc[1].citations or 0)),
    )
    scored = [(s, c) for s, c in scored if s >= LOOSE_MATCH_SCORE]
    if not scored:
        return None
    close = [(s, c) for s, c in scored if s >= similarity]
    if query.year is not None:
        dated = [(s, c) for s, c in close if c.year is None or abs(c.year - query.year) <= 1]
        close = dated or close
    distinct = {c.id for _, c in close}
    best = close[0][1] if close else scored[0][1]
    confident = len(distinct) == 1 and (
        query.year is None or best.year is None or abs(best.year - query.year) <= 1
    )
    return PaperMeta(best.title, best.year, best.citations, source, confident, best.url)


def from_id(query: PaperQuery, found: Candidate, source: str) -> PaperMeta:
    confident = likeness(query.title, found.title, shortened_ok=True) >= ID_MATCH_SCORE
    return PaperMeta(found.title, found.year, found.citations, source, confident, found.url)


class _Gate:
    """Spaces one service's requests across the whole process (arXiv: one every 3 s)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = float("-inf")

    def reserve(self, interval: float) -> float:
        """Book the next slot; returns how long to wait for it."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._last + interval)
            self._last = slot
            return slot - now


ARXIV_GATE = _Gate()
S2_GATE = _Gate()
Pace = tuple[_Gate, float]


async def paced(gate: _Gate, interval: float, http: Http) -> bool:
    """Wait for the gate's next slot; False when that slot comes after the deadline."""
    wait = gate.reserve(interval)
    if wait >= http.remaining():
        return False
    if wait > 0:
        await asyncio.sleep(wait)
    return True


class Http:
    """One async client bound to the review's deadline: retries 429/5xx/timeouts with backoff
    (``bot.retry``: Retry-After honoured up to ``net.retry_after_cap``).

    ``send`` returns the response for any final status (2xx, 404, other 4xx), or None when there
    was no answer: a transport error, or 429/5xx after the retries, or no time left.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        net: NetSettings,
        deadline: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.net = net
        self.deadline = deadline
        self.clock = clock

    def remaining(self) -> float:
        return self.deadline - self.clock()

    async def send(
        self, method: str, url: str, pace: Pace | None = None, **kwargs: Any
    ) -> httpx.Response | None:
        """``pace`` (a gate and an interval) spaces every attempt, retries included."""
        for attempt in range(self.net.retries + 1):
            if pace is not None and not await paced(*pace, self):
                return None
            left = self.remaining()
            if left <= 0:
                return None
            timeout = httpx.Timeout(
                min(self.net.read_timeout, left), connect=min(self.net.connect_timeout, left)
            )
            retry_after: str | None = None
            try:
                response = await self.client.request(method, url, timeout=timeout, **kwargs)
            except httpx.HTTPError:
                pass
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                retry_after = response.headers.get("retry-after")
            if attempt == self.net.retries:
                return None
            delay = retry_delay(attempt, retry_after, self.net.retry_after_cap)
            if delay >= self.remaining():
                return None
            await asyncio.sleep(delay)
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


def new_client(net: NetSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={"User-Agent": net.user_agent},
        follow_redirects=True,
        max_redirects=net.max_redirects,
        limits=httpx.Limits(max_connections=net.max_concurrency),
    )


# --- Semantic Scholar -------------------------------------------------------------------------


def _s2_candidate(paper: dict) -> Candidate:
    pid = str(paper.get("paperId") or "")
    return Candidate(
        id=pid,
        title=str(paper.get("title") or ""),
        year=paper.get("year") if isinstance(paper.get("year"), int) else None,
        citations=paper.get("citationCount")
        if isinstance(paper.get("citationCount"), int)
        else None,
        url=f"https://www.semanticscholar.org/paper/{pid}" if pid else None,
    )


def _s2_id(query: PaperQuery) -> str | None:
    if query.arxiv:
        return f"ARXIV:{query.arxiv}"
    if query.doi:
        return f"DOI:{query.doi}"
    return None


async def semantic_scholar(
    http: Http,
    queries: list[PaperQuery],
    similarity: float,
    answers: dict[str, PaperMeta | None] | None = None,
    compared: Sequence[PaperQuery] = (),
) -> dict[str, PaperMeta | None]:
    """Batch by arXiv id / DOI, then title search for the rest (one request at a time).

    ``compared`` papers (the ones a new paper could replace) ride along in the batch request by
    id, and are never searched by title: their counts are a suggestion, not a verdict.
    """
    base = http.net.semantic_scholar_url.rstrip("/")
    headers = {"x-api-key": http.net.semantic_scholar_key} if http.net.semantic_scholar_key else {}
    pace = (S2_GATE, http.net.semantic_scholar_interval_seconds)
    answers = {} if answers is None else answers
    by_id = [q for q in queries if _s2_id(q)] + [q for q in compared if _s2_id(q)]
    by_title = [q for q in queries if not _s2_id(q)]
    searchable = {q.key for q in queries}
    for start in range(0, len(by_id), S2_BATCH):
        chunk = by_id[start : start + S2_BATCH]
        reply = await http.json(
            "POST",
            f"{base}/paper/batch",
            pace,
            params={"fields": S2_FIELDS},
            json={"ids": [_s2_id(q) for q in chunk]},
            headers=headers,
        )
        if reply is None:
            continue
        if reply[0] != 200 or not isinstance(reply[1], list):
            # e.g. 400 for an id S2 cannot read: try the titles
            by_title.extend(q for q in chunk if q.key in searchable)
            continue
        for query, paper in zip(chunk, reply[1], strict=False):
            if isinstance(paper, dict):
                answers[query.key] = from_id(query, _s2_candidate(paper), S2)
            elif query.key in searchable:
                by_title.append(query)
    for query in by_title:
        reply = await http.json(
            "GET",
            f"{base}/paper/search",
            pace,
            params={"query": normalise_title(query.title), "limit": 10, "fields": S2_FIELDS},
            headers=headers,
        )
        if reply is None:
            continue
        status, body = reply
        if status == 200 and isinstance(body, dict):
            papers = [p for p in body.get("data") or [] if isinstance(p, dict)]
            answers[query.key] = choose(query, map(_s2_candidate, papers), S2, similarity)
        elif status == 404:
            answers[query.key] = None
    return answers


# --- OpenAlex ---------------------------------------------------------------------------------


def _openalex_candidate(work: dict) -> Candidate:
    wid = str(work.get("id") or "")
    return Candidate(
        id=wid,
        title=str(work.get("display_name") or work.get("title") or ""),
        year=work.get("publication_year")
        if isinstance(work.get("publication_year"), int)
        else None,
        citations=work.get("cited_by_count")
        if isinstance(work.get("cited_by_count"), int)
        else None,
        url=wid or None,
    )


def _openalex_doi(query: PaperQuery) -> str | None:
    if query.doi:
        return query.doi
    if query.arxiv:
        return f"10.48550/arxiv.{query.arxiv}"  # arXiv's DataCite DOI
    return None


async def _openalex_title_search(
    http: Http, base: str, params: dict[str, str], query: PaperQuery
) -> tuple[int, list[Candidate]] | None:
    reply = await http.json(
        "GET",
        f"{base}/works",
        params={
            **params,
            "filter": f"title.search:{normalise_title(query.title)}",
            "per-page": "10",
            "select": OPENALEX_SELECT,
        },
    )
    if reply is None:
        return None
    status, body = reply
    works = body.get("results") if status == 200 and isinstance(body, dict) else None
    return status, [_openalex_candidate(w) for w in works or [] if isinstance(w, dict)]


def _with_versions(
    meta: PaperMeta, query: PaperQuery, found: list[Candidate], similarity: float
) -> PaperMeta:
    """OpenAlex may keep an arXiv preprint apart from its published version: count the best."""
    counts = [
        c.citations
        for c in found
        if c.citations is not None
        and likeness(query.title, c.title) >= similarity
        and (query.year is None or c.year is None or abs(c.year - query.year) <= 1)
    ]
    best = max(counts + [meta.citations or 0])
    return PaperMeta(meta.title, meta.year, best, meta.source, meta.confident, meta.url)


async def openalex(
    http: Http,
    queries: list[PaperQuery],
    similarity: float,
    answers: dict[str, PaperMeta | None] | None = None,
) -> dict[str, PaperMeta | None]:
    """By DOI (an arXiv paper by its DataCite DOI, plus its published versions found by title),
    else by title search."""
    base = http.net.openalex_url.rstrip("/")
    params: dict[str, str] = {}
    if http.net.openalex_key:
        params["api_key"] = http.net.openalex_key
    if http.net.openalex_mailto:
        params["mailto"] = http.net.openalex_mailto
    answers = {} if answers is None else answers
    for query in queries:
        by_id: PaperMeta | None = None
        doi = _openalex_doi(query)
        if doi:
            reply = await http.json(
                "GET", f"{base}/works/doi:{doi}", params={**params, "select": OPENALEX_SELECT}
            )
            if reply is None:
                continue
            if reply[0] == 200 and isinstance(reply[1], dict):
                by_id = from_id(query, _openalex_candidate(reply[1]), OPENALEX)
                if query.doi:  # a publisher DOI is the paper of record
                    answers[query.key] = by_id
                    continue
        searched = await _openalex_title_search(http, base, params, query)
        if searched is None:
            if by_id is not None:
                answers[query.key] = by_id
            continue
        status, found = searched
        if by_id is not None and by_id.confident:
            answers[query.key] = _with_versions(by_id, query, found, similarity)
        elif status == 200:
            answers[query.key] = choose(query, found, OPENALEX, similarity) or by_id
        elif status == 404:
            answers[query.key] = by_id
    return answers


# --- arXiv export API -------------------------------------------------------------------------

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV_ABS_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)(?:v\d+)?$", re.I)


def parse_arxiv_feed(text: str, asked: Iterable[str]) -> dict[str, PaperMeta | None] | None:
    """Titles by id from an Atom feed; an id the feed lacks does not exist. None: not a feed."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    if root.tag != f"{_ATOM}feed":
        return None
    found: dict[str, PaperMeta] = {}
    for entry in root.iter(f"{_ATOM}entry"):
        raw_id = (entry.findtext(f"{_ATOM}id") or "").strip()
        if "/api/errors" in raw_id:
            return None
        match = _ARXIV_ABS_ID.search(raw_id)
        title = " ".join((entry.findtext(f"{_ATOM}title") or "").split())
        if not match or not title:
            continue
        published = entry.findtext(f"{_ATOM}published") or ""
        year = int(published[:4]) if published[:4].isdigit() else None
        arxiv = match.group("id").lower()
        found[arxiv] = PaperMeta(title, year, None, ARXIV, True, f"https://arxiv.org/abs/{arxiv}")
    return {arxiv: found.get(arxiv) for arxiv in asked}


async def arxiv_titles(
    http: Http, ids: list[str], answers: dict[str, PaperMeta | None] | None = None
) -> dict[str, PaperMeta | None]:
    """One export-API call per 100 ids, spaced by ``net.arxiv_interval_seconds``."""
    answers = {} if answers is None else answers
    for start in range(0, len(ids), ARXIV_BATCH):
        chunk = ids[start : start + ARXIV_BATCH]
        response = await http.send(
            "GET",
            http.net.arxiv_url,
            (ARXIV_GATE, http.net.arxiv_interval_seconds),
            params={"id_list": ",".join(chunk), "max_results": str(len(chunk))},
        )
        if response is None or response.status_code != 200:
            continue
        parsed = parse_arxiv_feed(response.text, chunk)
        if parsed is not None:
            answers.update(parsed)
    return answers


# --- DOIs: the handle system says whether one exists, Crossref gives its title ----------------


async def doi_registered(http: Http, dois: list[str]) -> dict[str, bool]:
    base = http.net.doi_url.rstrip("/")
    answers: dict[str, bool] = {}
    for doi in dois:
        reply = await http.json("GET", f"{base}/api/handles/{doi}")
        if reply is None:
            continue
        status, body = reply
        if status == 200 and isinstance(body, dict):
            answers[doi] = body.get("responseCode") == 1
        elif status == 404:
            answers[doi] = False
    return answers


async def crossref_titles(http: Http, dois: list[str]) -> dict[str, PaperMeta | None]:
    """Crossref's record of each DOI (None: not a Crossref DOI), one request at a time."""
    base = http.net.crossref_url.rstrip("/")
    params = {"mailto": http.net.crossref_mailto} if http.net.crossref_mailto else {}
    answers: dict[str, PaperMeta | None] = {}
    for doi in dois:
        reply = await http.json("GET", f"{base}/works/{doi}", params=params)
        if reply is None:
            continue
        status, body = reply
        if status == 404:
            answers[doi] = None
            continue
        message = body.get("message") if status == 200 and isinstance(body, dict) else None
        if not isinstance(message, dict):
            continue
        titles = message.get("title") or []
        title = " ".join(str(titles[0]).split()) if titles else ""
        parts = (message.get("issued") or {}).get("date-parts") or [[None]]
        year = parts[0][0] if parts and parts[0] and isinstance(parts[0][0], int) else None
        count = message.get("is-referenced-by-count")
        answers[doi] = (
            PaperMeta(
                title,
                year,
                count if isinstance(count, int) else None,
                CROSSREF,
                bool(title),
                f"https://doi.org/{doi}",
            )
            if title
            else None
        )
    return answers
