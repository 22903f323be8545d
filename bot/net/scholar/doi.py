"""DOIs: the handle system says whether one is registered, Crossref gives its title."""

from __future__ import annotations

from bot.engine.model import PaperMeta
from bot.net.scholar.http import Http, doi_path

CROSSREF = "Crossref"


# The handle API's responseCode (DOI Handbook, "REST API Response Format"): 1, the handle exists;
# 200, it exists but holds no values of the type asked for (still registered); 100 (HTTP 404), no
# such handle. Anything else (2: server error, ...) says nothing about the DOI.
_REGISTERED = {1: True, 200: True, 100: False}


async def doi_registered(http: Http, dois: list[str]) -> dict[str, bool]:
    """Whether each DOI is registered; a DOI the API gave no clear answer for is left out."""
    base = http.net.doi_url.rstrip("/")
    answers: dict[str, bool] = {}
    for doi in dois:
        path = doi_path(doi)
        response = None if path is None else await http.send("GET", f"{base}/api/handles/{path}")
        if response is None or response.status_code not in (200, 404):
            continue
        try:
            code = response.json().get("responseCode")
        except (ValueError, AttributeError):
            continue  # not the API's JSON: a proxy's page, say
        if isinstance(code, int) and code in _REGISTERED:
            answers[doi] = _REGISTERED[code]
    return answers


async def crossref_titles(http: Http, dois: list[str]) -> dict[str, PaperMeta | None]:
    """Crossref's record of each DOI (None: not a Crossref DOI), one request at a time."""
    base = http.net.crossref_url.rstrip("/")
    params = {"mailto": http.net.crossref_mailto} if http.net.crossref_mailto else {}
    answers: dict[str, PaperMeta | None] = {}
    for doi in dois:
        path = doi_path(doi)
        url = f"{base}/works/{path}"
        reply = None if path is None else await http.json("GET", url, params=params)
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
