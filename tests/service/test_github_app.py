"""Running as a GitHub App: an installation token from the payload's installation id, and a
check run with line annotations instead of a commit status."""

from __future__ import annotations

from flask.testing import FlaskClient

from bot.config import Config
from bot.service.job import run_review
from bot.service.queue import Queue
from bot.service.worker import process_one
from tests.history import pr_texts
from tests.service.conftest import BASE, HEAD, REPO, deliver, payload
from tests.service.fake_github import FakeGitHub


def test_as_an_app_the_bot_posts_a_check_run_with_annotations(
    app_config: Config, queue: Queue, fake_github: FakeGitHub, client: FlaskClient
) -> None:
    base, head = pr_texts(74)
    fake_github.add_pull(2, BASE, HEAD, base, head)
    deliver(client, "pull_request", payload("pull_request.opened"))
    assert process_one(app_config, queue) == "done"

    assert fake_github.calls("POST", "/app/installations/1/access_tokens")
    assert fake_github.state.statuses == []
    (run,) = fake_github.state.check_runs
    assert (run["name"], run["head_sha"], run["conclusion"]) == ("paperbot", HEAD, "failure")
    lines = {
        (a["path"], a["start_line"], a["annotation_level"]) for a in run["output"]["annotations"]
    }
    assert ("README.md", 130, "failure") in lines
    assert len(fake_github.state.reviews) == 1


def test_a_review_by_hand_finds_the_installation_of_the_repository(
    app_config: Config, fake_github: FakeGitHub
) -> None:
    base, head = pr_texts(74)
    fake_github.add_pull(2, BASE, HEAD, base, head)
    done = run_review(app_config, REPO, 2)
    assert "check run failure" in done
    assert fake_github.calls("GET", f"/repos/{REPO}/installation")
    assert fake_github.calls("GET", f"/repos/{REPO}/pulls/2")
