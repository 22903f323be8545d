"""A paper is listed once: an added or edited entry must not repeat another entry of the list."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from itertools import islice

from rapidfuzz import fuzz, process

from bot.engine.identity import keys
from bot.engine.model import Entry, Finding
from bot.engine.rules.context import RuleContext
from bot.engine.titles import TitleIndex

_KEY_NAMES = {"arxiv": "arXiv id", "doi": "DOI", "url": "link", "title": "title"}
# Entries compared per shared key: a real list shares a title among a handful of papers, and a PR
# adding thousands of one title by different authors must not cost thousands squared comparisons.
MAX_PER_KEY = 16


_AUTHOR_END = re.compile(r",| and | et al|&")
_WORD = re.compile(r"[^\W\d_]+")


def first_author(authors: str) -> str:
    """The first author's surname, lower-case: 'K. He et al.' -> 'he'."""
    head = _AUTHOR_END.split(authors, maxsplit=1)[0]
    words = _WORD.findall(head.lower())
    return words[-1] if words else ""


class _SamePaper:
    """Equal titles are not enough: 'Deep learning' (LeCun, 2015) is not 'Deep learning' (book).
    Each entry's first author is worked out once per review, not once per comparison."""

    def __init__(self) -> None:
        self._surnames: dict[int, str] = {}

    def _surname(self, entry: Entry) -> str:
        if id(entry) not in self._surnames:
            self._surnames[id(entry)] = first_author(entry.authors)
        return self._surnames[id(entry)]

    def __call__(self, a: Entry, b: Entry) -> bool:
        ia, ib = a.identity, b.identity
        if ia.arxiv and ib.arxiv and ia.arxiv != ib.arxiv:
            return False
        if ia.doi and ib.doi and ia.doi != ib.doi:
            return False
        if a.year and b.year and abs(a.year - b.year) > 1:
            return False
        fa, fb = self._surname(a), self._surname(b)
        return not (fa and fb and fuzz.ratio(fa, fb) < 80)


def _useful_keys(entry: Entry) -> list[str]:
    # A link to a site's front page ("openai.com") names no paper.
    return [k for k in keys(entry.identity) if not (k.startswith("url:") and "/" not in k)]


def _candidates(
    entry: Entry, index: dict[str, list[Entry]], titles: TitleIndex, ctx: RuleContext
) -> Iterator[tuple[Entry, str, bool]]:
    """Entries that may be the same paper, strongest evidence first: (entry, why, by title)."""
    for key in _useful_keys(entry):
        kind = key.split(":", 1)[0]
        for other in islice(index[key], MAX_PER_KEY):
            yield other, f"same {_KEY_NAMES[kind]}", kind == "title"
    if entry.identity.title:
        among = titles.candidates(entry.identity.title)
        for _, score, i in process.extract(
            entry.identity.title,
            [titles.titles[i] for i in among],
            scorer=fuzz.ratio,
            score_cutoff=ctx.criteria.title_similarity,
            limit=5,
        ):
            yield ctx.head.entries[among[i]], f"near-identical title, {score:.0f}% alike", True


def duplicate(ctx: RuleContext) -> Iterator[Finding]:
    index: dict[str, list[Entry]] = defaultdict(list)
    for entry in ctx.head.entries:
        for key in _useful_keys(entry):
            index[key].append(entry)
    titles = TitleIndex([e.identity.title for e in ctx.head.entries])
    touched = {id(e) for e in ctx.touched}
    same_paper = _SamePaper()
    for entry in ctx.touched:
        twin = next(
            (
                (other, why)
                for other, why, by_title in _candidates(entry, index, titles, ctx)
                if other is not entry
                and not (by_title and not same_paper(entry, other))
                # When the PR adds the same paper twice, blame the later line only.
                and not (id(other) in touched and other.line > entry.line)
            ),
            None,
        )
        if twin:
            other, why = twin
            yield Finding(
                "duplicate",
                "error",
                entry.line,
                f'"{entry.title}" is already listed at line {other.line} in "{other.section}" '
                f"({why}). Keep one entry.",
            )
