"""What a change asks of the network phase, and what its answers suggest.

The network phase (``bot.net``) asks only about what these name, the network rules judge the same
changes, and the rendered review shows the same removal candidates: one definition for all three.
"""

from __future__ import annotations

from bot.engine.model import Change, Entry, Facts, PaperList, PaperMeta

REMOVAL_SUGGESTIONS = 3


def needs_citations(change: Change) -> bool:
    """A paper the PR puts into the top 100, or changes there so that its threshold may differ."""
    after, before = change.after, change.before
    if after is None or not after.top100:
        return False
    if before is None or not before.top100:
        return True
    return (
        (after.sparkles and not before.sparkles)
        or after.year != before.year
        or (after.identity.title, after.identity.arxiv, after.identity.doi)
        != (before.identity.title, before.identity.arxiv, before.identity.doi)
    )


def new_urls(change: Change) -> tuple[str, ...]:
    """The links a change adds: every link of a new entry, the changed ones of an edited one."""
    if change.after is None:
        return ()
    old = {link.url for link in change.before.links} if change.before else set()
    return tuple(dict.fromkeys(link.url for link in change.after.links if link.url not in old))


Ranking = dict[str, list[tuple[Entry, PaperMeta]]]


def removal_ranking(head: PaperList, facts: Facts | None) -> Ranking:
    """Each section's top-100 papers with a known citation count, lowest first: built once per
    review, so that a PR adding thousands of papers does not rank the section once per paper.

    Counts are known for the section's papers with an arXiv id or DOI (asked in the same batch
    request as the new paper) and for cached ones.
    """
    ranking: Ranking = {}
    if facts is None:
        return ranking
    for entry in head.entries:
        meta = facts.citations.get(entry.line) if entry.top100 else None
        if meta is not None and meta.confident and meta.citations is not None:
            ranking.setdefault(entry.section, []).append((entry, meta))
    for known in ranking.values():
        known.sort(key=lambda pair: (pair[1].citations, pair[0].line))
    return ranking


def removal_candidates(
    ranking: Ranking, entry: Entry, limit: int = REMOVAL_SUGGESTIONS
) -> list[tuple[Entry, PaperMeta]]:
    """The lowest-cited top-100 papers of the entry's section other than itself (may be fewer
    than ``limit``: only papers with a known count are ranked)."""
    found = []
    for pair in ranking.get(entry.section, ()):
        if pair[0].line != entry.line:
            found.append(pair)
            if len(found) == limit:
                break
    return found
