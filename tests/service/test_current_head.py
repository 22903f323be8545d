"""Every pull request gets one review of its current head: deliveries out of order, an old body
replayed under a new id, a worker that died mid-review, GitHub asking to wait."""

from __future__ import annotations

import threading
import time

from flask.testing import FlaskClient

from bot.config import Config
from bot.service.queue import Queue
from bot.service.worker import process_one
from tests.history import pr_texts
from tests.service.conftest import BASE, REPO, Clock, deliver, payload
from tests.service.fake_github import FakeGitHub

PUSH_2 = "2" * 40
PUSH_3 = "3" * 40


def pushed(number: int, head: str) -> dict:
    body = payload("pull_request.synchronize")
    body["number"] = body["pull_request"]["number"] = number
    body["pull_request"]["head"]["sha"] = body["after"] = head
    body["pull_request"]["base"]["sha"] = BASE
    return body


def drain(config: Config, queue: Queue) -> list[str]:
    outcomes = []
    while (outcome := process_one(config, queue)) is not None:
        outcomes.append(outcome)
    return outcomes


def test_a_push_delivered_after_a_newer_one_posts_nothing(
    client: FlaskClient, queue: Queue, config: Config, fake_github: FakeGitHub
) -> None:
    base, _ = pr_texts(74)
    fake_github.add_pull(2, BASE, PUSH_2, base, pr_texts(74)[1])
    fake_github.add_pull(2, BASE, PUSH_3, base, pr_texts(72)[1])  # push 3 is the head now
    deliver(client, "pull_request", pushed(2, PUSH_3), delivery="d-3")
    assert drain(config, queue) == ["done"]
    deliver(client, "pull_request", pushed(2, PUSH_2), delivery="d-2")  # arrives late
    assert drain(config, queue) == ["superseded"]
    assert [s["sha"] for s in fake_github.state.statuses] == [PUSH_3]
    assert (
        len(fake_github.summaries(2)) == 1 and "rethinking" in fake_github.summaries(2)[0]["body"]
    )
    assert "head is now 333333333333" in queue.job("d-2")["reason"]


def test_an_old_body_replayed_under_a_new_delivery_id_posts_nothing(
    client: FlaskClient, queue: Queue, config: Config, fake_github: FakeGitHub
) -> None:
    base, head = pr_texts(74)
    fake_github.add_pull(2, BASE, PUSH_2, base, head)
    fake_github.add_pull(2, BASE, PUSH_3, base, head)
    deliver(client, "pull_request", pushed(2, PUSH_2), delivery="replayed-under-a-new-id")
    assert drain(config, queue) == ["superseded"]
    assert fake_github.writes() == []


def test_a_closed_pull_request_is_not_reviewed(
    client: FlaskClient, queue: Queue, config: Config, fake_github: FakeGitHub
) -> None:
    fake_github.add_pull(2, BASE, PUSH_2, *pr_texts(74))
    fake_github.close(2)
    deliver(client, "pull_request", pushed(2, PUSH_2))
    assert drain(config, queue) == ["superseded"] and fake_github.writes() == []


def test_the_job_of_a_worker_that_died_is_taken_again_within_a_lease(
    queue: Queue, config: Config, clock: Clock, fake_github: FakeGitHub
) -> None:
    fake_github.add_pull(2, BASE, PUSH_2, *pr_texts(74))
    queue.enqueue("d-1", REPO, 2, PUSH_2, BASE)
    assert queue.claim() is not None  # a worker took it, then was killed: no heartbeat
    assert process_one(config, queue) is None  # its lease still runs
    clock.advance(queue.lease_seconds)
    assert process_one(config, queue) == "done"
    assert [s["sha"] for s in fake_github.state.statuses] == [PUSH_2]


def test_a_running_job_keeps_its_lease_alive(
    config: Config, fake_github: FakeGitHub, tmp_path
) -> None:
    queue = Queue(str(tmp_path / "q.sqlite3"), lease_seconds=0.2)  # a heartbeat every 0.05 s
    fake_github.add_pull(2, BASE, PUSH_2, *pr_texts(74))
    fake_github.hold("GET", "/contents/README.md", 0.6)  # the review takes three leases
    queue.enqueue("d-1", REPO, 2, PUSH_2, BASE)
    worker = threading.Thread(target=process_one, args=(config, queue))
    worker.start()
    time.sleep(0.4)
    assert queue.claim() is None  # not taken by anyone else while its worker lives
    worker.join(timeout=10)
    assert queue.job("d-1")["state"] == "done" and len(fake_github.state.statuses) == 1


def test_github_asking_to_wait_two_seconds_is_waited_two_seconds(
    queue: Queue, config: Config, clock: Clock, fake_github: FakeGitHub
) -> None:
    fake_github.add_pull(2, BASE, PUSH_2, *pr_texts(74))
    fake_github.fail("GET", "/pulls/2", 403, **{"Retry-After": "2", "X-RateLimit-Remaining": "0"})
    queue.enqueue("d-1", REPO, 2, PUSH_2, BASE)
    assert process_one(config, queue) == "queued"
    clock.advance(1.99)
    assert process_one(config, queue) is None
    clock.advance(0.01)
    assert process_one(config, queue) == "done"


def test_two_server_errors_cost_about_five_seconds_not_forty_five(
    queue: Queue, config: Config, clock: Clock, fake_github: FakeGitHub
) -> None:
    fake_github.add_pull(2, BASE, PUSH_2, *pr_texts(74))
    fake_github.fail("GET", "/pulls/2", 502, times=2)
    queue.enqueue("d-1", REPO, 2, PUSH_2, BASE)
    waited = 0.0
    while (outcome := process_one(config, queue)) != "done":
        assert outcome in ("queued", None)
        clock.advance(0.1)
        waited += 0.1
    assert 0.8 * 5 <= waited <= 1.2 * 5 + 0.2  # 1 s then 4 s, each with jitter
