"""Which paper a service's answer is: title matching, apart from how the services are asked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.engine.model import PaperMeta
from bot.engine.titles import likeness

# A match found by an exact id only needs to look like the entry (it may be the title
# shortened); a title search must match closely (``criteria.title_similarity``).
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
