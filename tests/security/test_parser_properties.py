"""Properties of the parser over text a stranger could send (hypothesis, derandomized so that
every run tries the same cases): it never crashes, every entry sits on the line git gives it, and
a pull request that changes nothing reports no change."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.criteria import Criteria
from bot.engine.parse import git_lines, parse
from bot.engine.verdict import review
from bot.errors import NotAListError
from tests.history import LATEST, readme

BASE = readme(LATEST)
CRITERIA = Criteria()
LINES = git_lines(BASE)
# Pieces that matter to markdown, to line breaks and to the bot's own patterns.
PIECES = st.sampled_from(
    [
        "- ",
        "* ",
        "1. ",
        "### ",
        "**",
        "[[pdf]]",
        "](",
        "(2015)",
        "http://x.org/a",
        "<!--",
        "-->",
        "```",
        "`",
        "\n",
        "\r",
        "\r\n",
        "\u2028",
        "\x0c",
        "\x85",
        "\u202e",
        "\u200b",
        "|",
        "\\",
        "[",
        "]",
        "(",
        ")",
        "Title",
        " et al.",
        ", ",
        "é",
        "#",
    ]  # fmt: skip
)
FAST = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def text_from(pieces: list[str]) -> str:
    return "".join(pieces)


@FAST
@given(st.lists(PIECES, max_size=60))
def test_any_text_parses_or_is_a_clear_error_and_entries_sit_on_git_lines(pieces):
    text = "## Papers\n" + text_from(pieces)
    try:
        found = parse(text, CRITERIA)
    except NotAListError:
        return
    lines = git_lines(text)
    for entry in found.entries:
        assert lines[entry.line - 1] == entry.raw


@FAST
@given(
    st.lists(st.tuples(st.integers(0, len(LINES) - 1), st.lists(PIECES, max_size=8)), max_size=6)
)
def test_edits_of_the_real_list_keep_every_entry_on_its_git_line(edits):
    lines = list(LINES)
    for at, pieces in edits:
        lines[at] = (
            lines[at][: len(lines[at]) // 2] + text_from(pieces) + lines[at][len(lines[at]) // 2 :]
        )
    head = "\n".join(lines) + "\n"
    result = review(BASE, head, CRITERIA)
    head_lines = git_lines(head)
    for entry in result.head.entries:
        assert head_lines[entry.line - 1] == entry.raw
    for finding in result.findings:
        assert finding.line is None or 1 <= finding.line <= len(head_lines)


@FAST
@given(st.lists(PIECES, max_size=60), st.integers(0, 2**32))
def test_a_pull_request_that_changes_nothing_reports_no_change(pieces, seed):
    lines = list(LINES)
    random.Random(seed).shuffle(lines)  # any list, written any way
    text = "\n".join(lines[:40]) + "\n" + text_from(pieces)
    try:
        result = review(text, text, CRITERIA)
    except NotAListError:
        return
    assert result.diff.all == () and result.diff.renamed_sections == ()
    assert [f for f in result.findings if not f.preexisting] == []
