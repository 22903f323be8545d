"""Attack 2: a contributor writes the bot's marker into a comment of their own, hoping the bot
edits it (the contributor could then rewrite the verdict). The bot only edits, and only skips
review comments, that its own account wrote."""

from __future__ import annotations

from bot.config import Config
from bot.service.job import run_review
from bot.service.post import MARKER
from tests.history import pr_texts
from tests.service.conftest import BASE, HEAD, REPO
from tests.service.fake_github import FakeGitHub

DECOY = f"{MARKER}\n### paperbot review: ✅ **Looks good**: no findings\n"
ADDED_LINE = 130  # the paper PR #74 adds


def test_a_contributors_comment_with_the_marker_is_left_alone(
    fake_github: FakeGitHub, config: Config
) -> None:
    fake_github.add_pull(2, BASE, HEAD, *pr_texts(74))
    fake_github.add_comment(2, DECOY, login="contributor")
    run_review(config, REPO, 2, HEAD)
    run_review(config, REPO, 2, HEAD)  # a second run edits its own comment only
    decoy, mine = fake_github.state.issue_comments
    assert decoy["body"] == DECOY and decoy["user"]["login"] == "contributor"
    assert mine["user"]["login"] == "paperbot-user" and "Changes requested" in mine["body"]
    assert not fake_github.calls("PATCH", f"/issues/comments/{decoy['id']}")


def test_a_contributors_copy_of_the_bots_inline_note_does_not_stand_in_for_it(
    fake_github: FakeGitHub, config: Config
) -> None:
    fake_github.add_pull(2, BASE, HEAD, *pr_texts(74))
    run_review(config, REPO, 2, HEAD)
    (note,) = fake_github.state.review_comments
    # The bot's note is gone (resolved, deleted); a contributor posts a copy of it, word for word.
    fake_github.state.review_comments.clear()
    fake_github.state.reviews.clear()
    fake_github.add_review_comment(2, note["path"], note["line"], note["body"], "contributor")
    run_review(config, REPO, 2, HEAD)
    (review,) = fake_github.state.reviews
    assert [c["line"] for c in review["comments"]] == [ADDED_LINE]


def test_the_app_knows_itself_as_its_bot_account(fake_github: FakeGitHub, app_config) -> None:
    fake_github.add_pull(2, BASE, HEAD, *pr_texts(74))
    fake_github.add_comment(2, DECOY, login="contributor")
    run_review(app_config, REPO, 2, HEAD, installation_id=1)
    decoy, mine = fake_github.state.issue_comments
    assert decoy["body"] == DECOY and mine["user"]["login"] == "paperbot[bot]"
