"""arXiv's export API: does an id exist, and under which title (100 ids a request, one request every
3 s from every process sharing the database, as arXiv's terms ask)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from bot.engine.identity import arxiv_id_problem
from bot.engine.model import LinkStatus, PaperMeta
from bot.net.scholar.http import ARXIV_GATE, Http

ARXIV = "arXiv"
ARXIV_BATCH = 100
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV_ABS_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)(?:v\d+)?$", re.I)
_SUBJECT_CLASS = re.compile(r"^([a-z\-]+)\.[a-z]{2}/")
_ERROR_ID = re.compile(r"/api/errors#incorrect_id_format_for_(?P<id>\S+)$", re.I)


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


def query_id(arxiv: str) -> str:
    """The id to ask the export API for: old-style ids without their subject class
    (math.GT/0309136 -> math/0309136)."""
    return _SUBJECT_CLASS.sub(r"\1/", arxiv)


def arxiv_link_status(url: str, arxiv: str, answers: Mapping[str, PaperMeta | None]) -> LinkStatus:
    """What the export API's ``answers`` say of a link to ``arxiv`` (a review's or an audit's):
    an id of the wrong syntax is broken without asking, no answer proves nothing."""
    if problem := arxiv_id_problem(arxiv):
        return LinkStatus(url, "broken", f"{arxiv} is no arXiv id: {problem}")
    if arxiv not in answers:
        return LinkStatus(url, "unverified", "the arXiv export API did not answer")
    if answers[arxiv] is None:
        return LinkStatus(url, "broken", f"arXiv has no paper {arxiv}", 404)
    return LinkStatus(url, "ok", "found through the arXiv export API", 200)


def rejected_id(text: str) -> str | None:
    """The id a 400 error feed names (``...api/errors#incorrect_id_format_for_<id>``), or None."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    for entry in root.iter(f"{_ATOM}entry"):
        raw_id = (entry.findtext(f"{_ATOM}id") or "").strip()
        if match := _ERROR_ID.search(raw_id):
            return match.group("id").lower()
    return None


async def arxiv_titles(
    http: Http, ids: list[str], answers: dict[str, PaperMeta | None] | None = None
) -> dict[str, PaperMeta | None]:
    """One export-API call per 100 ids, spaced by ``net.arxiv_interval_seconds``.

    An id of the wrong syntax is not sent (arXiv would refuse the whole batch with a 400): it is
    answered None, no such paper. Should arXiv still refuse an id, its error names it: that id
    is answered None and the rest of the batch is asked again."""
    answers = {} if answers is None else answers
    valid = [arxiv for arxiv in ids if arxiv_id_problem(arxiv) is None]
    answers.update({arxiv: None for arxiv in ids if arxiv not in valid})
    for start in range(0, len(valid), ARXIV_BATCH):
        chunk = valid[start : start + ARXIV_BATCH]
        while chunk:
            response = await http.send(
                "GET",
                http.net.arxiv_url,
                (ARXIV_GATE, http.net.arxiv_interval_seconds),
                params={"id_list": ",".join(chunk), "max_results": str(len(chunk))},
            )
            if response is not None and response.status_code == 200:
                parsed = parse_arxiv_feed(response.text, chunk)
                answers.update(parsed or {})
            refused = rejected_id(response.text) if response is not None else None
            if response is None or response.status_code != 400 or refused not in chunk:
                break
            answers[refused] = None
            chunk = [arxiv for arxiv in chunk if arxiv != refused]
    return answers
