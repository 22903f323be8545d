"""OpenAlex, the fallback for citation counts: by DOI (an arXiv paper by its DataCite DOI), else
by title."""

from __future__ import annotations

from bot.engine.identity import normalise_title
from bot.engine.model import PaperMeta
from bot.engine.titles import likeness
from bot.net.scholar.http import Http, doi_path
from bot.net.scholar.match import Candidate, PaperQuery, choose, from_id

OPENALEX = "OpenAlex"
OPENALEX_SELECT = "id,doi,display_name,publication_year,cited_by_count"


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
        path = doi_path(doi) if doi else None
        if path:
            reply = await http.json(
                "GET", f"{base}/works/doi:{path}", params={**params, "select": OPENALEX_SELECT}
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
