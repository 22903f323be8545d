"""The webhook: only signed deliveries get in, and a wanted one is queued and answered at once."""

from __future__ import annotations

import json
import sqlite3

import pytest
from flask.testing import FlaskClient

from bot.config import Config
from bot.errors import ConfigError
from bot.service.queue import Queue
from bot.service.webhook import create_app, signature_ok
from tests.service.conftest import deliver, payload, sign, with_service


def test_signature_matches_githubs_documented_test_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_ok("It's a Secret to Everybody", b"Hello, World!", expected)
    assert not signature_ok("It's a Secret to Everybody", b"Hello, World?", expected)
    assert not signature_ok("It's a Secret to Everybody", b"Hello, World!", None)


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc", "garbage"])
def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_queued(
    client: FlaskClient, queue: Queue, signature: str
) -> None:
    answer = deliver(client, "pull_request", payload("pull_request.opened"), signature=signature)
    assert answer.status_code == 401
    assert "X-Hub-Signature-256" in answer.get_json()["error"]
    assert queue.counts() == dict.fromkeys(queue.counts(), 0)


def test_an_opened_pull_request_is_queued_with_both_commits(
    client: FlaskClient, queue: Queue
) -> None:
    answer = deliver(client, "pull_request", payload("pull_request.opened"), delivery="d-42")
    assert answer.status_code == 202
    assert answer.get_json()["queued"] is True
    job = queue.job("d-42")
    assert job["repo"] == "Codertocat/Hello-World" and job["number"] == 2
    assert job["head_sha"].startswith("ec26c3e5") and job["base_sha"].startswith("f95f852b")
    assert job["installation_id"] == 1


@pytest.mark.parametrize(
    "name", ["pull_request.synchronize", "pull_request.edited.base", "pull_request.opened.fork"]
)
def test_pushes_retargets_and_fork_pull_requests_are_queued(
    client: FlaskClient, queue: Queue, name: str
) -> None:
    assert deliver(client, "pull_request", payload(name)).status_code == 202
    assert queue.depth() == 1


def test_ready_for_review_and_reopened_are_queued(client: FlaskClient, queue: Queue) -> None:
    for number, action in enumerate(["ready_for_review", "reopened"]):
        body = payload("pull_request.opened") | {"action": action}
        assert deliver(client, "pull_request", body, delivery=f"d-{number}").status_code == 202
    assert queue.counts()["queued"] == 1 and queue.counts()["superseded"] == 1


@pytest.mark.parametrize(
    "name", ["pull_request.labeled", "pull_request.edited.title", "pull_request.converted_to_draft"]
)
def test_other_actions_are_acknowledged_and_ignored(
    client: FlaskClient, queue: Queue, name: str
) -> None:
    answer = deliver(client, "pull_request", payload(name))
    assert answer.status_code == 200 and "ignored" in answer.get_json()
    assert queue.depth() == 0


def test_a_draft_is_not_reviewed_until_it_is_ready(client: FlaskClient, queue: Queue) -> None:
    body = payload("pull_request.opened")
    body["pull_request"]["draft"] = True
    assert deliver(client, "pull_request", body).get_json()["ignored"] == "draft pull request"
    assert queue.depth() == 0


def test_other_events_are_acknowledged_and_ignored(client: FlaskClient, queue: Queue) -> None:
    answer = deliver(client, "issues", {"action": "opened"})
    assert answer.status_code == 200 and queue.depth() == 0


def test_ping_is_answered(client: FlaskClient) -> None:
    answer = deliver(client, "ping", payload("ping"))
    assert answer.status_code == 200 and answer.get_json()["ok"] is True


def test_a_redelivery_is_acknowledged_but_not_queued_again(
    client: FlaskClient, queue: Queue
) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"), delivery="d-1")
    again = deliver(client, "pull_request", payload("pull_request.opened"), delivery="d-1")
    assert again.status_code == 200 and again.get_json()["queued"] is False
    assert queue.depth() == 1


def test_malformed_json_is_a_clear_400(client: FlaskClient) -> None:
    answer = deliver(client, "pull_request", b"{not json")
    assert answer.status_code == 400 and answer.get_json() == {"error": "body is not JSON"}


def test_a_payload_without_its_pull_request_is_a_clear_400(client: FlaskClient) -> None:
    answer = deliver(client, "pull_request", {"action": "opened", "pull_request": {}})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "pull_request delivery: repository.full_name must be str"


def test_a_body_over_the_limit_is_refused_before_anything_else(
    config: Config, queue: Queue
) -> None:
    client = create_app(with_service(config, max_body_bytes=1000), queue).test_client()
    raw = json.dumps(payload("pull_request.opened")).encode()
    answer = deliver(client, "pull_request", raw)
    assert answer.status_code == 413 and "1000 bytes" in answer.get_json()["error"]
    assert queue.depth() == 0


def test_healthz_reports_the_queue(client: FlaskClient) -> None:
    deliver(client, "pull_request", payload("pull_request.opened"))
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json()["depth"] == 1 and answer.get_json()["queue"]["queued"] == 1


def test_unknown_paths_answer_json_not_html(client: FlaskClient) -> None:
    answer = client.get("/nope")
    assert answer.status_code == 404 and answer.get_json() == {"error": "Not Found"}


def test_the_server_refuses_to_start_without_a_secret(config: Config, queue: Queue) -> None:
    with pytest.raises(ConfigError, match="GITHUB_WEBHOOK_SECRET"):
        create_app(with_service(config, webhook_secret=None), queue)


def test_a_local_dry_run_starts_without_a_secret_and_takes_unsigned_deliveries(
    config: Config, queue: Queue
) -> None:
    client = create_app(
        with_service(config, webhook_secret=None, dry_run=True), queue
    ).test_client()
    answer = deliver(client, "pull_request", payload("pull_request.opened"), signature="")
    assert answer.status_code == 202


def test_signing_uses_the_raw_bytes(client: FlaskClient) -> None:
    raw = json.dumps(payload("ping"), indent=4).encode()
    assert deliver(client, "ping", raw, signature=sign(raw)).status_code == 200


class BrokenQueue(Queue):
    """A queue whose disk is full: the one failure a webhook cannot hide."""

    def enqueue(self, *args: object, **kwargs: object) -> bool:
        raise sqlite3.OperationalError("database or disk is full")


def test_a_queue_failure_is_a_clear_500_without_a_traceback(config: Config) -> None:
    client = create_app(config, BrokenQueue(config.service.db_path)).test_client()
    answer = deliver(client, "pull_request", payload("pull_request.opened"))
    assert answer.status_code == 500
    assert answer.get_json() == {
        "error": "internal error; the delivery was not queued, redeliver it"
    }
