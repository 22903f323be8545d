"""The sweep that heals lost deliveries: it queues a review for each open pull request whose head
has no paperbot result and no job here, and only those; as an App it redelivers the deliveries
GitHub saw fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import Config
from bot.service.queue import Queue
from bot.service.reconcile import sweep
from bot.service.worker import process_one
from tests.history import pr_texts
from tests.service.conftest import BASE, REPO, with_service
from tests.service.fake_github import FakeGitHub
from tests.service.running import wait_until

HEADS = {n: f"{n}" * 40 for n in range(1, 6)}


def five_pulls(fake: FakeGitHub) -> None:
    """#1 reviewed already, #2 lost (no status), #3 a draft, #4 lost, #5 closed."""
    for number, head in HEADS.items():
        fake.add_pull(number, BASE, head, *pr_texts(74))
    fake.state.statuses.append({"sha": HEADS[1], "state": "failure", "context": "paperbot"})
    fake.state.pulls[3]["draft"] = True
    fake.close(5)


def test_a_sweep_queues_the_pull_requests_without_a_result_and_only_those(
    config: Config, queue: Queue, fake_github: FakeGitHub
) -> None:
    five_pulls(fake_github)
    report = sweep(with_service(config, repositories=REPO), queue)
    assert (report.open_pulls, report.queued) == (4, 2)
    assert report.requests == 1 + 3  # the open pull requests, then the heads of #1, #2 and #4
    while process_one(config, queue) is not None:
        pass
    assert sorted(s["sha"] for s in fake_github.state.statuses) == sorted(
        [HEADS[1], HEADS[2], HEADS[4]]
    )


def test_a_second_sweep_of_a_quiet_repository_queues_nothing_and_asks_little(
    config: Config, queue: Queue, fake_github: FakeGitHub
) -> None:
    five_pulls(fake_github)
    settings = with_service(config, repositories=REPO)
    sweep(settings, queue)
    while process_one(config, queue) is not None:
        pass
    again = sweep(settings, queue)
    assert again.queued == 0 and again.requests == 1  # jobs are known here: no head is read


def test_the_sweep_runs_once_per_interval_whichever_worker_asks(queue: Queue, clock) -> None:
    assert queue.claim_turn("reconcile", 600)
    assert not queue.claim_turn("reconcile", 600)
    clock.advance(600)
    assert queue.claim_turn("reconcile", 600)


def test_as_an_app_the_sweep_covers_its_installations_and_redelivers_failed_deliveries(
    app_config: Config, queue: Queue, fake_github: FakeGitHub
) -> None:
    five_pulls(fake_github)
    fake_github.state.check_runs.append({"name": "paperbot", "head_sha": HEADS[1]})
    now = datetime.now(UTC)
    fake_github.add_delivery("g-ok", 202)
    fake_github.add_delivery("g-failed", 502)
    fake_github.add_delivery("g-failed-then-ok", 502)
    fake_github.add_delivery("g-failed-then-ok", 202)
    old = (now - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fake_github.add_delivery("g-too-old", 502, delivered_at=old)
    report = sweep(app_config, queue)
    assert (report.repositories, report.queued, report.redelivered) == (1, 2, 1)
    (redelivered,) = fake_github.state.redelivered
    assert next(d for d in fake_github.state.deliveries if d["id"] == redelivered)["guid"] == (
        "g-failed"
    )


def test_a_repository_github_refuses_is_named_and_the_others_are_still_swept(
    config: Config, queue: Queue, fake_github: FakeGitHub
) -> None:
    five_pulls(fake_github)
    report = sweep(with_service(config, repositories=f"someone/gone, {REPO}"), queue)
    assert report.repositories == 2 and report.queued == 2
    (failure,) = report.failures
    assert failure.startswith("someone/gone: list open pull requests: GitHub answered 404")
    assert "not swept: someone/gone" in str(report)


def test_only_failures_a_second_try_can_mend_are_redelivered_and_not_forever(
    app_config: Config, queue: Queue, fake_github: FakeGitHub
) -> None:
    fake_github.add_delivery("g-refused", 400)  # the bot's own refusal: same bytes, same answer
    fake_github.add_delivery("g-unsigned", 401)
    fake_github.add_delivery("g-timed-out", 0)
    fake_github.add_delivery("g-limited", 429)
    for _ in range(3):
        fake_github.add_delivery("g-hopeless", 503)
    fake_github.add_delivery("g-twice", 502)
    fake_github.add_delivery("g-twice", 502, redelivery=True)
    report = sweep(app_config, queue)
    by_id = {d["id"]: d for d in fake_github.state.deliveries}
    asked = [by_id[i] for i in fake_github.state.redelivered]
    assert sorted(d["guid"] for d in asked) == ["g-limited", "g-timed-out", "g-twice"]
    assert next(d for d in asked if d["guid"] == "g-twice")["redelivery"]  # its newest attempt
    assert report.redelivered == 3


def test_a_redelivery_that_succeeded_is_not_asked_for_again(
    app_config: Config, queue: Queue, fake_github: FakeGitHub
) -> None:
    fake_github.add_delivery("g-failed", 502)
    assert sweep(app_config, queue).redelivered == 1
    wait_until(lambda: len(fake_github.state.deliveries) == 2, 5, "the redelivery")
    assert fake_github.state.deliveries[-1]["status_code"] == 202
    assert sweep(app_config, queue).redelivered == 0
