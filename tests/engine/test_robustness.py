"""Whatever a pull request does to the list, the review either comes out or fails with a clear
PaperbotError: never a crash. Mutations are random but seeded, so the test is deterministic."""

import random

import pytest

from bot.engine import review
from bot.engine.criteria import Criteria
from bot.errors import PaperbotError
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


@pytest.mark.parametrize("seed", range(60))
def test_a_mangled_list_gets_a_review_or_a_clear_error(seed):
    rng = random.Random(seed)
    head = mutate(BASE, rng)
    try:
        result = review(BASE, head, Criteria())
    except PaperbotError as exc:
        assert str(exc)
        return
    assert result.verdict in ("approve", "comment", "request_changes")


@pytest.mark.parametrize("text", ["", "\n\n", "# Title only\n"])
def test_a_pr_that_creates_the_list_reviews_every_entry_as_added(text):
    result = review(text, BASE, Criteria())
    assert len(result.diff.added) == len(result.head.entries) > 200


@pytest.mark.parametrize("text", ["- a lone bullet\n", "<html></html>", "just prose\n"])
def test_text_that_is_no_list_is_a_clear_error(text):
    with pytest.raises(PaperbotError, match="not a markdown paper list"):
        review(text, BASE, Criteria())
