"""The durable queue, on both engines (SQLite and a real PostgreSQL): nothing lost, nothing
doubled, failures kept with their reason."""

from __future__ import annotations

import pytest

from bot.service.queue import LEASE_SECONDS, Queue
from tests.service.conftest import REPO, Clock


@pytest.fixture
def queue(store_target: str, clock: Clock) -> Queue:
    return Queue(store_target, max_attempts=3, clock=clock)


def test_a_redelivery_of_the_same_id_is_queued_once(queue: Queue) -> None:
    assert queue.enqueue("d-1", REPO, 2, "a" * 40)
    assert not queue.enqueue("d-1", REPO, 2, "a" * 40)
    assert queue.depth() == 1


def test_a_later_delivery_does_not_cancel_an_earlier_one_since_order_is_not_promised(
    queue: Queue,
) -> None:
    queue.enqueue("d-3", REPO, 2, "c" * 40)  # push 3 arrives first
    queue.enqueue("d-2", REPO, 2, "b" * 40)  # then push 2: it must not cancel push 3's review
    first = queue.claim()
    assert first and first.delivery == "d-3" and queue.complete(first)
    second = queue.claim()
    assert second and second.delivery == "d-2"  # it reads the pull request and is superseded


def test_a_second_job_for_a_head_already_waiting_is_recorded_as_superseded(queue: Queue) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    assert queue.enqueue("sweep:x", REPO, 2, "a" * 40)
    assert queue.job("sweep:x")["state"] == "superseded"
    assert queue.job("sweep:x")["reason"] == "same head as delivery d-1"
    assert queue.depth() == 1


def test_jobs_of_one_pull_request_never_run_at_the_same_time(queue: Queue) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    running = queue.claim()
    queue.enqueue("d-2", REPO, 2, "b" * 40)
    assert queue.claim() is None
    assert running and queue.complete(running)
    follow_up = queue.claim()
    assert follow_up and follow_up.delivery == "d-2"


def test_a_job_whose_worker_died_is_taken_again_after_its_lease(queue: Queue, clock: Clock) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    assert queue.claim() is not None  # this worker "dies" here
    restarted = Queue(queue.db, max_attempts=3, clock=clock)
    assert restarted.claim() is None
    clock.advance(LEASE_SECONDS + 1)
    job = restarted.claim()
    assert job and job.delivery == "d-1" and job.attempts == 2


def test_a_job_that_kills_every_worker_is_failed_not_retried_forever(
    queue: Queue, clock: Clock
) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    for _ in range(3):
        assert queue.claim() is not None
        clock.advance(LEASE_SECONDS + 1)
    assert queue.claim() is None
    assert queue.job("d-1")["state"] == "failed"
    assert "worker died" in queue.job("d-1")["reason"]


def test_a_transient_failure_retries_after_one_then_four_seconds_then_fails_with_its_reason(
    queue: Queue, clock: Clock
) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    job = queue.claim()
    assert job and queue.retry(job, "GitHub answered 502") == "queued"
    assert queue.claim() is None
    clock.advance(1.2)  # 1 s, with at most 20% jitter
    job = queue.claim()
    assert job and queue.retry(job, "GitHub answered 502") == "queued"
    clock.advance(3.1)
    assert queue.claim() is None  # 4 s, with at least 80% of it
    clock.advance(1.7)
    job = queue.claim()
    assert job and queue.retry(job, "GitHub answered 503") == "failed"
    row = queue.job("d-1")
    assert row["state"] == "failed" and "503" in row["reason"] and "3 attempts" in row["reason"]
    assert queue.depth() == 0


@pytest.mark.parametrize("wait", [2.0, 600.0])
def test_the_wait_github_asks_for_is_waited_exactly(queue: Queue, clock: Clock, wait) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    job = queue.claim()
    assert job
    queue.retry(job, "rate limited", wait=wait)
    clock.advance(wait - 0.01)
    assert queue.claim() is None
    clock.advance(0.01)
    assert queue.claim() is not None


def test_a_worker_that_lost_its_lease_cannot_complete_the_job(queue: Queue, clock: Clock) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    slow = queue.claim()
    clock.advance(LEASE_SECONDS + 1)
    fresh = queue.claim()
    assert slow and fresh and not queue.complete(slow)
    assert queue.complete(fresh)
    assert queue.job("d-1")["state"] == "done"
