"""Signed delivery -> 202 -> worker -> GitHub: one comment, one review, one status, never doubled.

GitHub is played by a real HTTP server on loopback (``FakeGitHub``) serving real versions of the
awesome-deep-learning-papers README; the pull request is PR #74 of that list (adds a 2017 paper
to the top 100 without removing one) dressed in the octokit example's repository and commits.
"""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient

from bot.config import Config
from bot.service.post import MARKER
from bot.service.queue import LEASE_SECONDS, Queue
from bot.service.worker import process_one
from tests.history import pr_texts, readme
from tests.service.conftest import BASE, HEAD, REPO, Clock, deliver, payload, with_service
from tests.service.fake_github import FakeGitHub

PUSHED = "2222222222222222222222222222222222222222"
ADDED_LINE = 130  # "Fully Context Aware Video Prediction" in PR #74's head README


@pytest.fixture
def pull_74(fake_github: FakeGitHub) -> FakeGitHub:
    base, head = pr_texts(74)
    fake_github.add_pull(2, BASE, HEAD, base, head)
    return fake_github


def pushed(fake: FakeGitHub) -> dict:
    """A synchronize delivery for a new head: PR #72's head README on the same base."""
    fake.add_pull(2, BASE, PUSHED, pr_texts(74)[0], pr_texts(72)[1])
    body = payload("pull_request.synchronize")
    body["pull_request"]["head"]["sha"] = body["after"] = PUSHED
    return body


def test_an_opened_pull_request_gets_one_comment_one_review_and_one_status(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    answer = deliver(client, "pull_request", payload("pull_request.opened"))
    assert answer.status_code == 202
    assert pull_74.state.calls == []  # the answer came before any work: nothing touched GitHub

    assert process_one(config, queue) == "done"

    state = pull_74.state
    assert len(state.issue_comments) == 1 and state.issue_comments[0]["body"].startswith(MARKER)
    assert "Fully Context Aware Video Prediction" in state.issue_comments[0]["body"]
    assert len(state.reviews) == 1
    review = state.reviews[0]
    assert review["commit_id"] == HEAD and review["event"] == "COMMENT"
    assert [(c["path"], c["line"], c["side"]) for c in review["comments"]] == [
        ("README.md", ADDED_LINE, "RIGHT")
    ]
    assert "balance" in review["comments"][0]["body"]
    assert [(s["sha"], s["state"], s["context"]) for s in state.statuses] == [
        (HEAD, "failure", "paperbot")
    ]
    # the pull request, compare, config, list x2, who the bot is (once per process), comments,
    # comment, review, status
    assert len(state.calls) == 10
    job = queue.job("d-1")
    assert job["state"] == "done" and f"({len(state.calls)} GitHub requests)" in job["reason"]


def test_the_list_is_read_at_the_merge_base_and_the_head(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    process_one(config, queue)
    reads = [c.path for c in pull_74.calls("GET", "/contents/")]
    assert reads == [
        f"/repos/{REPO}/contents/.github/paperbot.toml",
        f"/repos/{REPO}/contents/README.md",
        f"/repos/{REPO}/contents/README.md",
    ]


def test_a_redelivery_of_the_same_id_changes_nothing(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"), delivery="d-1")
    process_one(config, queue)
    calls = len(pull_74.state.calls)
    deliver(client, "pull_request", payload("pull_request.opened"), delivery="d-1")
    assert process_one(config, queue) is None
    assert len(pull_74.state.calls) == calls


def test_a_push_edits_the_same_comment_instead_of_adding_one(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"), delivery="d-1")
    process_one(config, queue)
    first = dict(pull_74.state.issue_comments[0])
    deliver(client, "pull_request", pushed(pull_74), delivery="d-2")
    process_one(config, queue)

    state = pull_74.state
    assert len(state.issue_comments) == 1 and state.issue_comments[0]["id"] == first["id"]
    assert state.issue_comments[0]["body"] != first["body"]
    assert "rethinking generalization" in state.issue_comments[0]["body"]
    assert len(pull_74.calls("PATCH", "/issues/comments/")) == 1
    assert [s["sha"] for s in state.statuses] == [HEAD, PUSHED]
    assert state.reviews[-1]["commit_id"] == PUSHED


def test_running_the_same_review_again_posts_no_second_review(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"), delivery="d-1")
    process_one(config, queue)
    body = payload("pull_request.opened") | {"action": "reopened"}
    deliver(client, "pull_request", body, delivery="d-2")
    assert process_one(config, queue) == "done"
    assert len(pull_74.state.reviews) == 1 and len(pull_74.state.issue_comments) == 1
    assert pull_74.calls("PATCH") == []


def test_a_bad_signature_costs_zero_github_calls(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    answer = deliver(client, "pull_request", payload("pull_request.opened"), signature="sha256=00")
    assert answer.status_code == 401
    assert process_one(config, queue) is None
    assert pull_74.state.calls == []


def test_a_worker_killed_mid_job_is_replaced_and_the_review_is_posted_once(
    client: FlaskClient, queue: Queue, config: Config, clock: Clock, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    assert queue.claim() is not None  # the worker takes the lease, then its process dies
    restarted = Queue(config.service.db_path, max_attempts=3, clock=clock)
    assert process_one(config, restarted) is None  # the lease is still held
    clock.advance(LEASE_SECONDS + 1)
    assert process_one(config, restarted) == "done"
    assert len(pull_74.state.reviews) == 1 and len(pull_74.state.issue_comments) == 1
    assert len(pull_74.state.statuses) == 1


def test_a_worker_killed_after_posting_but_before_the_status_does_not_post_twice(
    client: FlaskClient, queue: Queue, config: Config, clock: Clock, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    pull_74.fail("POST", "/statuses/", 500, times=1)  # the job breaks off before its status
    assert process_one(config, queue) == "queued"
    clock.advance(LEASE_SECONDS)
    assert process_one(config, queue) == "done"
    assert len(pull_74.state.reviews) == 1 and len(pull_74.state.issue_comments) == 1
    assert [s["state"] for s in pull_74.state.statuses] == ["failure"]


def test_a_github_5xx_is_retried_with_backoff_then_succeeds(
    client: FlaskClient, queue: Queue, config: Config, clock: Clock, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    pull_74.fail("GET", "/compare/", 502, times=1)
    assert process_one(config, queue) == "queued"
    assert pull_74.state.reviews == [] and process_one(config, queue) is None
    clock.advance(60)
    assert process_one(config, queue) == "done"
    assert len(pull_74.state.reviews) == 1
    assert queue.job("d-1")["attempts"] == 2


def test_a_rate_limit_waits_as_long_as_github_asks(
    client: FlaskClient, queue: Queue, config: Config, clock: Clock, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    pull_74.fail("GET", "/compare/", 429, times=1, retry_after="120")
    assert process_one(config, queue) == "queued"
    clock.advance(119)
    assert process_one(config, queue) is None
    clock.advance(1)
    assert process_one(config, queue) == "done"


def test_an_exhausted_rate_limit_waits_until_its_reset(
    client: FlaskClient, queue: Queue, config: Config, clock: Clock, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    reset = str(int(time.time()) + 300)
    pull_74.fail("GET", "/compare/", 403, x_ratelimit_remaining="0", x_ratelimit_reset=reset)
    assert process_one(config, queue) == "queued"
    clock.advance(250)
    assert process_one(config, queue) is None
    clock.advance(60)
    assert process_one(config, queue) == "done"


def test_a_missing_permission_fails_at_once_with_githubs_words(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    pull_74.fail("POST", "/reviews", 403)
    assert process_one(config, queue) == "failed"
    assert "post the review: GitHub answered 403" in queue.job("d-1")["reason"]


def test_a_review_whose_line_github_refuses_is_posted_without_inline_comments(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    pull_74.fail("POST", "/reviews", 422)
    assert process_one(config, queue) == "done"
    assert [len(r["comments"]) for r in pull_74.state.reviews] == [0]


def test_a_persistent_failure_is_kept_as_failed_with_its_reason(
    client: FlaskClient, queue: Queue, config: Config, clock: Clock, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    pull_74.fail("GET", "/compare/", 503, times=99)
    outcomes = []
    for _ in range(3):
        outcomes.append(process_one(config, queue))
        clock.advance(3600)
    assert outcomes == ["queued", "queued", "failed"]
    job = queue.job("d-1")
    assert job["state"] == "failed" and "503" in job["reason"] and "compare" in job["reason"]
    assert pull_74.writes() == []


def test_a_missing_repository_fails_at_once_with_the_reason(
    client: FlaskClient, queue: Queue, config: Config
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))  # no pull added to the fake
    assert process_one(config, queue) == "failed"
    assert "404" in queue.job("d-1")["reason"]


def test_a_fork_pull_request_is_read_through_the_base_repository_at_the_head_commit(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened.fork"))
    assert process_one(config, queue) == "done"
    assert all(
        c.path.startswith(f"/repos/{REPO}/") or c.path == "/user" for c in pull_74.state.calls
    )
    assert len(pull_74.state.reviews) == 1


def test_a_pull_request_that_does_not_touch_the_list_only_gets_a_green_status(
    client: FlaskClient, queue: Queue, config: Config, fake_github: FakeGitHub
) -> None:
    base, head = pr_texts(74)
    fake_github.add_pull(2, BASE, HEAD, base, head, changed=("fetch_papers.py",))
    deliver(client, "pull_request", payload("pull_request.opened"))
    assert process_one(config, queue) == "done"
    assert [(s["state"], s["description"]) for s in fake_github.state.statuses] == [
        ("success", "paperbot: README.md not changed")
    ]
    # the pull request, compare, config, who the bot is, comments (a summary to update?), status
    assert len(fake_github.state.calls) == 6
    assert fake_github.calls("GET", "/contents/README.md") == []
    assert fake_github.state.issue_comments == []  # no earlier summary: none is created


def test_the_repository_criteria_come_from_the_base_branch_only(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    pull_74.state.files[(".github/paperbot.toml", BASE)] = '[rules]\ndisabled = ["balance"]\n'
    pull_74.state.files[(".github/paperbot.toml", HEAD)] = '[rules]\ndisabled = ["section"]\n'
    deliver(client, "pull_request", payload("pull_request.opened"))
    process_one(config, queue)
    body = pull_74.state.issue_comments[0]["body"]
    assert "`balance`" not in body and "`section`" in body


def test_a_malformed_repository_config_is_reported_by_its_key(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    pull_74.state.files[(".github/paperbot.toml", BASE)] = "[list]\ntop_cap = 'many'\n"
    deliver(client, "pull_request", payload("pull_request.opened"))
    assert process_one(config, queue) == "done"
    comment = pull_74.state.issue_comments[0]["body"]
    assert "list.top_cap" in comment and ".github/paperbot.toml" in comment
    assert pull_74.state.statuses[0]["state"] == "error"
    assert pull_74.state.reviews == []


def test_a_list_deleted_by_the_pull_request_gets_a_clear_error_status(
    client: FlaskClient, queue: Queue, config: Config, fake_github: FakeGitHub
) -> None:
    fake_github.add_pull(2, BASE, HEAD, readme("1a0a9dfb1ee2.md"), "")
    del fake_github.state.files[("README.md", HEAD)]
    deliver(client, "pull_request", payload("pull_request.opened"))
    assert process_one(config, queue) == "done"
    status = fake_github.state.statuses[0]
    assert status["state"] == "error" and "README.md is missing" in status["description"]


def test_a_pull_request_that_breaks_the_list_gets_a_clear_error_and_nothing_is_lost(
    client: FlaskClient, queue: Queue, config: Config, fake_github: FakeGitHub
) -> None:
    fake_github.add_pull(2, BASE, HEAD, readme("1a0a9dfb1ee2.md"), "all gone, just prose")
    deliver(client, "pull_request", payload("pull_request.opened"))
    assert process_one(config, queue) == "done"
    status = fake_github.state.statuses[0]
    assert status["state"] == "error" and "cannot read README.md" in status["description"]
    comment = fake_github.state.issue_comments[0]["body"]
    assert "not a markdown paper list" in comment and comment.startswith(MARKER)


def test_the_review_event_follows_the_repositorys_opt_in(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    pull_74.state.files[(".github/paperbot.toml", BASE)] = '[review]\nevent = "REQUEST_CHANGES"\n'
    deliver(client, "pull_request", payload("pull_request.opened"))
    process_one(config, queue)
    assert pull_74.state.reviews[0]["event"] == "REQUEST_CHANGES"


def test_a_known_fix_is_offered_as_a_suggestion(
    client: FlaskClient, queue: Queue, config: Config, fake_github: FakeGitHub
) -> None:
    base, head = pr_texts(108)  # a new entry missing the comma after "(1986)"
    fake_github.add_pull(2, BASE, HEAD, base, head)
    deliver(client, "pull_request", payload("pull_request.opened"))
    process_one(config, queue)
    (comment,) = fake_github.state.reviews[0]["comments"]
    assert "```suggestion\n" in comment["body"]
    assert fake_github.state.statuses[0]["state"] == "success"


def test_a_dry_run_reads_but_posts_nothing(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    assert process_one(with_service(config, dry_run=True), queue) == "done"
    assert pull_74.writes() == []
    assert "line 130" in queue.job("d-1")["reason"]


def test_github_out_of_reach_is_retried_later(
    client: FlaskClient, queue: Queue, config: Config
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    unreachable = with_service(config, github_api_url="http://127.0.0.1:9")
    assert process_one(unreachable, queue) == "queued"
    assert "ConnectionError" in queue.job("d-1")["reason"]


def test_a_huge_summary_is_cut_to_what_github_accepts(fake_github: FakeGitHub, config: Config):
    from bot.service.github import MAX_COMMENT_CHARS, GitHub

    github = GitHub(config.service, REPO)
    github.upsert_summary(2, MARKER + "x" * 100_000)
    body = fake_github.state.issue_comments[0]["body"]
    assert len(body) == MAX_COMMENT_CHARS and body.startswith(MARKER) and "cut" in body[-80:]


def test_a_push_that_leaves_the_finding_on_its_line_does_not_repeat_the_inline_comment(
    client: FlaskClient, queue: Queue, config: Config, pull_74: FakeGitHub
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"), delivery="d-1")
    process_one(config, queue)
    pull_74.add_pull(2, BASE, PUSHED, *pr_texts(74))  # a push that changed another file
    body = payload("pull_request.synchronize")
    body["pull_request"]["head"]["sha"] = PUSHED
    deliver(client, "pull_request", body, delivery="d-2")
    assert process_one(config, queue) == "done"
    assert len(pull_74.state.reviews) == 1 and len(pull_74.state.review_comments) == 1
    assert [s["sha"] for s in pull_74.state.statuses] == [HEAD, PUSHED]
