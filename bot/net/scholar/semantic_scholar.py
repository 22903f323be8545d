"""Semantic Scholar: citation counts by arXiv id or DOI (one batch request), else by title search.

Keys are limited to one request a second, so every request passes the process's S2 gate.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.identity import normalise_title
from bot.engine.model import PaperMeta
from bot.net.scholar.http import S2_GATE, Http
from bot.net.scholar.match import Candidate, PaperQuery, choose, from_id

S2 = "Semantic Scholar"
S2_FIELDS = "title,year,citationCount"
S2_BATCH = 500


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
