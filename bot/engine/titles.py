"""How alike two paper titles are, for the network phase and its rules (0-100, rapidfuzz)."""

from __future__ import annotations

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
