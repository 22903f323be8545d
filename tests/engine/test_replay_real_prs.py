"""Replays the real pull requests sent to awesome-deep-learning-papers (base -> head README)."""

import pytest

from bot.engine.criteria import Criteria
from bot.engine.verdict import review
from tests.expectations.load import load, observed
from tests.history import pr_texts, pull_requests

CRITERIA = Criteria()


def _review(number: int):
    base, head = pr_texts(number)
    return review(base, head, CRITERIA)


EXPECTED = load("real_prs.tsv")


def test_the_expectation_file_covers_every_real_pull_request():
    assert sorted(EXPECTED, key=int) == [str(n) for n in sorted(pull_requests())]


@pytest.mark.parametrize("number", sorted(pull_requests()))
def test_every_real_pull_request_gets_the_review_checked_by_hand(number):
    expected = EXPECTED[str(number)]
    assert observed(_review(number)) == (expected.verdict, expected.blamed, expected.preexisting)


@pytest.mark.parametrize("number", [80, 92, 58])
def test_adding_to_the_top100_without_removing_requests_changes(number):
    result = _review(number)
    assert result.verdict == "request_changes"
    assert "balance" in {f.rule for f in result.findings if f.severity == "error"}


@pytest.mark.parametrize("number", [15, 72])
def test_adding_a_paper_already_listed_is_a_duplicate(number):
    result = _review(number)
    assert result.verdict == "request_changes"
    (added,) = result.diff.added
    (dup,) = [f for f in result.findings if f.rule == "duplicate"]
    assert dup.line == added.after.line


@pytest.mark.parametrize("number", [6, 14, 22, 37, 52, 55, 73, 75, 88, 93])
def test_pure_fixes_are_not_blamed_for_anything(number):
    result = _review(number)
    assert result.diff.added == result.diff.removed == ()
    assert result.diff.edited
    assert [f for f in result.findings if not f.preexisting] == []
    assert result.verdict == "approve"


def test_pr_97_puts_a_2018_paper_into_the_top100_with_a_title_for_a_url():
    result = _review(97)
    rules = {f.rule for f in result.findings if f.severity == "error"}
    assert {"balance", "section", "link-syntax"} <= rules


def test_pr_55_is_seen_as_an_edit_of_the_authors_only():
    (edit,) = _review(55).diff.edited
    assert edit.fields == ("authors",)
    assert "Ioffe" in edit.after.authors


def test_pr_3_renames_sections_without_moving_papers():
    result = _review(3)
    assert result.diff.added == result.diff.removed == result.diff.moved == ()
    assert ("Survey Review", "Survey / Review") in result.diff.renamed_sections
    assert result.verdict == "approve"
