"""How alike two paper titles are (0-100, rapidfuzz), and which titles to compare at all."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rapidfuzz import fuzz

from bot.engine.identity import normalise_title

SHORTENED = 90.0  # the likeness of a title the list shortened to the full one


def likeness(a: str, b: str, shortened_ok: bool = False) -> float:
    """Case, punctuation and word order do not count. With ``shortened_ok``, a title whose words
    (at least three) all appear in the other counts as that title shortened, as lists often do."""
    x, y = normalise_title(a), normalise_title(b)
    if not x or not y:
        return 0.0
    score = max(fuzz.ratio(x, y), fuzz.token_sort_ratio(x, y))
    short, long = sorted((x.split(), y.split()), key=len)
    if shortened_ok and len(short) >= 3 and set(short) <= set(long):
        score = max(score, SHORTENED)
    return score


class TitleIndex:
    """Which titles are worth comparing with a title: those sharing one of its rarest words.

    A title near-identical to another (92% alike) keeps almost all its words and so shares the
    rarest of them; comparing only those keeps fuzzy matching linear in the list, however many
    titles a pull request adds (a rapidfuzz scan of every title for every new one is quadratic).
    """

    def __init__(self, titles: Sequence[str], words: int = 3, per_word: int = 64) -> None:
        self.titles = list(titles)
        self._words = words
        self._per_word = per_word
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, title in enumerate(self.titles):
            for word in set(title.split()):
                self._postings[word].append(i)

    def candidates(self, title: str) -> list[int]:
        """Positions of the titles to compare with ``title``, in list order (at most
        ``words * per_word``)."""
        known = [w for w in set(title.split()) if w in self._postings]
        rarest = sorted(known, key=lambda w: (len(self._postings[w]), w))[: self._words]
        found: set[int] = set()
        for word in rarest:
            found.update(self._postings[word][: self._per_word])
        return sorted(found)
