"""Network rules: dead links, unverifiable links, links to another paper, citation thresholds.

They only read the facts the network phase gathered (``ctx.facts``) and never fetch. What the
phase could not settle (no answer, a fuzzy match, the time budget ran out) is a warning, never an
error: a contributor is not failed because a service was down or a publisher blocked the bot.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.engine.model import Change, Entry, Facts, Finding, LinkStatus
from bot.engine.rules.context import RuleContext
from bot.engine.scope import needs_citations, new_urls, removal_candidates, removal_ranking
from bot.engine.titles import likeness

# Below this likeness (0-100, see ``bot.engine.titles``) a linked paper is another paper. Low on
# purpose: lists shorten and re-case titles, and a false "wrong link" error is worse than a missed
# one.
MISMATCH_BELOW = 60.0


def _label(entry: Entry, url: str) -> str:
    label = next((link.label for link in entry.links if link.url == url), "")
    return f"[[{label}]] {url}" if label else url


def _changes(ctx: RuleContext) -> Iterator[tuple[Change, Entry, Facts]]:
    """The changes that leave an entry in the head list, with the facts (none when offline)."""
    if ctx.facts is None:
        return
    for change in ctx.diff.added + ctx.diff.moved + ctx.diff.edited:
        if change.after:
            yield change, change.after, ctx.facts


def _link_statuses(ctx: RuleContext) -> Iterator[tuple[Entry, str, LinkStatus | None]]:
    for change, entry, facts in _changes(ctx):
        for url in new_urls(change):
            if url.lower().startswith(("http://", "https://")):
                yield entry, url, facts.links.get(url)


def dead_link(ctx: RuleContext) -> Iterator[Finding]:
    for entry, url, status in _link_statuses(ctx):
        if status is not None and status.outcome == "broken":
            yield Finding(
                "dead-link",
                "error",
                entry.line,
                f'"{entry.title}": {_label(entry, url)} is dead ({status.detail}).',
            )


def link_unverified(ctx: RuleContext) -> Iterator[Finding]:
    for entry, url, status in _link_statuses(ctx):
        if status is None:
            yield Finding(
                "link-unverified",
                "warning",
                entry.line,
                f'"{entry.title}": {_label(entry, url)} was not checked in time; '
                "please check it by hand.",
            )
        elif status.outcome == "skipped":
            yield Finding(
                "link-unverified",
                "warning",
                entry.line,
                f'"{entry.title}": {_label(entry, url)} was not fetched ({status.detail}); '
                "please check it by hand.",
            )
        elif status.outcome == "unverified":
            yield Finding(
                "link-unverified",
                "warning",
                entry.line,
                f'"{entry.title}": could not verify {_label(entry, url)} ({status.detail}); '
                "it may well work in a browser.",
            )
        elif status.permanent_redirect_to and status.outcome == "ok":
            new = status.permanent_redirect_to
            yield Finding(
                "link-unverified",
                "notice",
                entry.line,
                f'"{entry.title}": {url} has moved permanently to {new}.',
                entry.raw.replace(url, new),
            )


def link_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    for change, entry, facts in _changes(ctx):
        for link in entry.links:
            meta = facts.linked_titles.get(link.url)
            if meta is None or not meta.title:
                continue
            if likeness(entry.title, meta.title, shortened_ok=True) >= MISMATCH_BELOW:
                continue
            before = change.before
            preexisting = (
                before is not None
                and before.identity.title == entry.identity.title
                and any(old.url == link.url for old in before.links)
            )
            yield Finding(
                "link-mismatch",
                "error",
                entry.line,
                f'"{entry.title}": {_label(entry, link.url)} is another paper: '
                f'"{meta.title}" (according to {meta.source}).',
                preexisting=preexisting,
            )


def _threshold_words(ctx: RuleContext, entry: Entry, year: int | None) -> tuple[int | None, str]:
    threshold = ctx.criteria.threshold(year, bold=entry.sparkles)
    bold = " with the bold mark" if entry.sparkles else ""
    return threshold, f"the {year} threshold{bold} is {threshold}"


def citations(ctx: RuleContext) -> Iterator[Finding]:
    ranking = removal_ranking(ctx.head, ctx.facts)
    for change, entry, facts in _changes(ctx):
        meta = facts.citations.get(entry.line)
        if not needs_citations(change) or meta is None or not meta.confident:
            continue
        year = entry.year or meta.year
        threshold, words = _threshold_words(ctx, entry, year)
        if threshold is None or meta.citations is None or meta.citations >= threshold:
            continue
        message = (
            f'"{entry.title}" ({year}) has {meta.citations} citations on {meta.source}; {words}.'
        )
        weakest = removal_candidates(ranking, entry)
        if weakest:
            names = ", ".join(f'"{e.title}" ({m.citations}, {m.source})' for e, m in weakest)
            message += f' Lowest-cited top-100 papers in "{entry.section}": {names}.'
        yield Finding("citations", "error", entry.line, message)


def citations_unverified(ctx: RuleContext) -> Iterator[Finding]:
    for change, entry, facts in _changes(ctx):
        if not needs_citations(change):
            continue
        meta = facts.citations.get(entry.line)
        threshold, words = _threshold_words(ctx, entry, entry.year or (meta.year if meta else None))
        if threshold is None:
            continue  # no threshold to meet (the year rule speaks about the year)
        if entry.line not in facts.citations:
            reason = "was not looked up in time"
        elif meta is None:
            reason = "is unknown to Semantic Scholar and OpenAlex, or they did not answer"
        elif not meta.confident:
            count = "an unknown number of" if meta.citations is None else meta.citations
            reason = (
                f'has no sure match: the closest on {meta.source} is "{meta.title}" '
                f"({meta.year}, {count} citations)"
            )
        elif meta.citations is None:
            reason = f"has no citation count on {meta.source}"
        else:
            continue
        yield Finding(
            "citations-unverified",
            "warning",
            entry.line,
            f'"{entry.title}": the citation count could not be verified; the paper {reason}'
            f"; {words}. Please check it by hand.",
        )


NET_RULES = {
    "dead-link": dead_link,
    "link-unverified": link_unverified,
    "link-mismatch": link_mismatch,
    "citations": citations,
    "citations-unverified": citations_unverified,
}
