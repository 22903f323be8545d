"""Whatever a pull request does to the list, the review either comes out or fails with a clear
PaperbotError: never a crash. Mutations are random but seeded, so the test is deterministic, and
what each seeded mangling must get is written in tests/expectations/manglings.tsv."""

import random

import pytest

from bot.engine.criteria import Criteria
from bot.engine.verdict import review
from bot.errors import PaperbotError
from tests.expectations.load import load, observed
from tests.history import LATEST, readme

BASE = readme(LATEST)
NOISE = ["[", "]", "(", ")", "[[pdf]]", "](", "**", "`", "<!--", "-->", "<a href=x>", "\\", "\n", "#",
         "- ", "* ", "  ", "(2015)", "http://", "\x00", "\u202e", "é", "|", "@", "![", "\t"]  # fmt: skip


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(lines))
        line = lines[i]
        at = rng.randint(0, len(line))
        choice = rng.random()
        if choice < 0.5:
            lines[i] = line[:at] + rng.choice(NOISE) + line[at:]
        elif choice < 0.7:
            lines[i] = line[:at] + line[at + rng.randint(1, 20) :]
        elif choice < 0.85:
            lines.insert(i, rng.choice(lines))
        else:
            del lines[i]
    return "\n".join(lines) + "\n"


EXPECTED = load("manglings.tsv")


def test_the_expectation_file_covers_every_seed():
    assert list(EXPECTED) == [str(seed) for seed in range(60)]


@pytest.mark.parametrize("seed", range(60))
def test_a_mangled_list_gets_the_review_checked_by_hand_or_a_clear_error(seed):
    expected = EXPECTED[str(seed)]
    head = mutate(BASE, random.Random(seed))
    try:
        got = observed(review(BASE, head, Criteria()))
    except PaperbotError as exc:
        got = (f"error: {exc}", "-", "-")
    assert got == (expected.verdict, expected.blamed, expected.preexisting)


@pytest.mark.parametrize("text", ["", "\n\n", "# Title only\n"])
def test_a_pr_that_creates_the_list_reviews_every_entry_as_added(text):
    result = review(text, BASE, Criteria())
    assert len(result.diff.added) == len(result.head.entries) > 200


@pytest.mark.parametrize("text", ["- a lone bullet\n", "<html></html>", "just prose\n"])
def test_text_that_is_no_list_is_a_clear_error(text):
    with pytest.raises(PaperbotError, match="not a markdown paper list"):
        review(text, BASE, Criteria())
