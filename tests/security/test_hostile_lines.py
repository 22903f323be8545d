"""Attack 1: one PR line (or a flood of entries) made to stall the parser. Every shape of a
megabyte is reviewed in linear time, and a line past the cap is reported, not read."""

from __future__ import annotations

import time

import pytest

from bot.engine.criteria import Criteria
from bot.engine.render import markdown
from bot.engine.titles import TitleIndex
from bot.engine.verdict import review
from bot.errors import NotAListError
from bot.net.links.collect import extract_links
from bot.service.job import run_review
from bot.service.post import MAX_INLINE_NOTES, post_for
from tests.history import LATEST, readme
from tests.security.hostile import FLOODS, SHAPES, hostile_head, surname
from tests.service.conftest import BASE as BASE_SHA
from tests.service.conftest import HEAD, REPO

BASE = readme(LATEST)
MEGABYTE = 1_000_000
# Generous: linear code takes 0.1-6 s here for a megabyte; the old quadratic code took over 120 s.
BOUND_SECONDS = 30.0


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_megabyte_of_each_hostile_shape_is_reviewed_within_the_bound(shape):
    head = hostile_head(BASE, SHAPES[shape](MEGABYTE))
    started = time.monotonic()
    try:
        result = review(BASE, head, Criteria())
        markdown(result, Criteria())
    except NotAListError as exc:  # a megabyte of headings is more lines than a list may have
        assert shape == "headings" and "lines; paperbot reads lists of up to" in str(exc)
    else:
        assert result.verdict == "request_changes"
    assert time.monotonic() - started < BOUND_SECONDS


def test_a_line_past_the_cap_is_a_format_error_and_is_not_read():
    head = hostile_head(BASE, SHAPES["year"](MEGABYTE))
    result = review(BASE, head, Criteria())
    (added,) = result.diff.added
    assert added.after.unread == "line 120 is 1,000,005 characters long (at most 1,000)"
    (finding,) = [f for f in result.findings if f.rule == "format"]
    assert (finding.severity, finding.line) == ("error", 120)
    assert not [f for f in result.findings if f.rule == "year"]  # not read, so not judged


def test_an_entry_with_more_markup_than_any_paper_is_reported_and_not_read():
    line = "- T (2015), A. " + "[a](" * 200
    result = review(BASE, hostile_head(BASE, line), Criteria())
    (added,) = result.diff.added
    assert "markdown marks" in added.after.unread


def test_a_list_too_long_to_review_in_reasonable_time_is_a_clear_error():
    with pytest.raises(NotAListError, match="characters long; paperbot reads lists of up to"):
        review(BASE, BASE + "x" * 5_000_000, Criteria())


def test_a_megabyte_of_closing_parentheses_after_a_bare_url_is_collected_at_once():
    text = "# Papers\n\nSee http://example.org/x" + ")" * MEGABYTE + "\n"
    started = time.monotonic()
    assert extract_links(text) == [("http://example.org/x", 3)]
    assert time.monotonic() - started < BOUND_SECONDS


def test_fuzzy_title_matching_compares_a_bounded_number_of_titles():
    titles = [f"paper number {i} about things" for i in range(20_000)]
    index = TitleIndex(titles)
    assert len(index.candidates("paper number 7 about things")) <= 3 * 64
    assert 7 in index.candidates("paper number 7 about things")


def test_a_list_file_too_large_to_read_is_not_downloaded_and_the_pr_hears_why(fake_github, config):

    fake_github.add_pull(2, BASE_SHA, HEAD, BASE, BASE + "x" * 6_000_000)
    run_review(config, REPO, 2, HEAD)
    (status,) = fake_github.state.statuses
    assert status["state"] == "error" and "cannot read README.md" in status["description"]
    assert "6,0" in fake_github.state.issue_comments[0]["body"]  # the size, in the comment


def test_thousands_of_one_title_by_different_authors_are_not_compared_pairwise():
    # 200 KB: before the cap on comparisons per shared title this took about a minute.
    block = FLOODS["one title many authors"](200_000)
    started = time.monotonic()
    result = review(BASE, hostile_head(BASE, block), Criteria())
    assert time.monotonic() - started < BOUND_SECONDS
    assert not [f for f in result.findings if f.rule == "duplicate"]  # other authors: not one paper


def test_a_repeat_among_papers_sharing_a_title_is_still_found():
    block = FLOODS["one title many authors"](700)  # 10 papers
    block += f"- Same title here (2015), {surname(3)} et al. [[pdf]](https://y.org/3)\n"
    result = review(BASE, hostile_head(BASE, block), Criteria())
    (finding,) = [f for f in result.findings if f.rule == "duplicate"]
    assert finding.line == 130 and "already listed at line 123" in finding.message


def test_a_list_of_more_lines_than_a_review_can_hold_is_a_clear_error():
    head = hostile_head(BASE, FLOODS["tiny items"](4 * 20_000))
    with pytest.raises(NotAListError, match="lines; paperbot reads lists of up to 20,000"):
        review(BASE, head, Criteria())


def test_a_flood_of_findings_is_summarised_within_githubs_limits():
    head = hostile_head(BASE, FLOODS["tiny items"](4 * 19_000))  # 3 findings on each line
    result = review(BASE, head, Criteria())
    post = post_for(result, Criteria())
    assert len(result.findings) > 50_000
    assert len(post.summary) < 65_536  # GitHub's limit for a comment: nothing was cut
    assert "more, not shown" in post.summary and "more changes, not shown" in post.summary
    assert len(post.notes) == MAX_INLINE_NOTES and len(post.annotations) == 50
    assert "first 50 of 19,000 lines with findings" in post.review_body
