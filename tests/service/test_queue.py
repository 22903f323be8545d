"""The durable queue: nothing lost, nothing doubled, failures kept with their reason."""

from __future__ import annotations

from bot.service.queue import BACKOFF_BASE_SECONDS, LEASE_SECONDS, Queue
from tests.service.conftest import REPO, Clock


def test_a_redelivery_of_the_same_id_is_queued_once(queue: Queue) -> None:
    assert queue.enqueue("d-1", REPO, 2, "a" * 40)
    assert not queue.enqueue("d-1", REPO, 2, "a" * 40)
    assert queue.depth() == 1


def test_a_newer_head_supersedes_the_waiting_job_of_the_same_pull_request(queue: Queue) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    queue.enqueue("d-other", REPO, 3, "c" * 40)
    queue.enqueue("d-2", REPO, 2, "b" * 40)
    job = queue.claim()
    assert job and job.delivery == "d-other"
    job = queue.claim()
    assert job and (job.delivery, job.head_sha) == ("d-2", "b" * 40)
    assert queue.job("d-1")["state"] == "superseded"
    assert "d-2" in queue.job("d-1")["reason"]


def test_jobs_of_one_pull_request_never_run_at_the_same_time(queue: Queue) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    running = queue.claim()
    queue.enqueue("d-2", REPO, 2, "b" * 40)
    assert queue.claim() is None
    assert running and queue.complete(running)
    follow_up = queue.claim()
    assert follow_up and follow_up.delivery == "d-2"


def test_a_job_whose_worker_died_is_taken_again_after_its_lease(
    queue: Queue, clock: Clock, config
) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    assert queue.claim() is not None  # this worker "dies" here
    restarted = Queue(config.service.db_path, max_attempts=3, clock=clock)
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


def test_a_transient_failure_backs_off_then_the_job_fails_with_its_reason(
    queue: Queue, clock: Clock
) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    job = queue.claim()
    assert job and queue.retry(job, "GitHub answered 502") == "queued"
    assert queue.claim() is None
    clock.advance(BACKOFF_BASE_SECONDS)
    job = queue.claim()
    assert job and queue.retry(job, "GitHub answered 502") == "queued"
    clock.advance(BACKOFF_BASE_SECONDS * 2)
    job = queue.claim()
    assert job and queue.retry(job, "GitHub answered 503") == "failed"
    row = queue.job("d-1")
    assert row["state"] == "failed" and "503" in row["reason"] and "3 attempts" in row["reason"]
    assert queue.depth() == 0


def test_the_wait_github_asks_for_is_honoured_when_longer_than_backoff(
    queue: Queue, clock: Clock
) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    job = queue.claim()
    assert job
    queue.retry(job, "rate limited", wait=600)
    clock.advance(599)
    assert queue.claim() is None
    clock.advance(1)
    assert queue.claim() is not None


def test_a_worker_that_lost_its_lease_cannot_complete_the_job(queue: Queue, clock: Clock) -> None:
    queue.enqueue("d-1", REPO, 2, "a" * 40)
    slow = queue.claim()
    clock.advance(LEASE_SECONDS + 1)
    fresh = queue.claim()
    assert slow and fresh and not queue.complete(slow)
    assert queue.complete(fresh)
    assert queue.job("d-1")["state"] == "done"
