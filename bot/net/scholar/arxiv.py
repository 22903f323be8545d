"""arXiv's export API: does an id exist, and under which title (100 ids a request, one request every
3 s from the whole process, as arXiv's terms ask)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from bot.engine.model import PaperMeta
from bot.net.scholar.http import ARXIV_GATE, Http

ARXIV = "arXiv"
ARXIV_BATCH = 100
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
