"""End to end, as deployed: gunicorn as the Procfile runs it against the fake GitHub, with bursts of
out-of-order deliveries and redeliveries, kill -9 in the middle of a review, a wiped database and
server errors. Every pull request ends with one summary comment and one result, on its current
head, and a review interrupted by a crash is posted once, soon after the restart."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.history import pr_texts
from tests.service.conftest import BASE, REPO
from tests.service.fake_github import FakeGitHub
from tests.service.running import Bot, Worker, pushed, sha, wait_until

PULLS = range(1, 11)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def add_pushes(github: FakeGitHub, pulls: range, pushes: int) -> None:
    """Each pull request pushed ``pushes`` times; the last push is its current head."""
    base, head = pr_texts(74)
    for number in pulls:
        for push in range(1, pushes + 1):
            github.add_pull(number, BASE, sha(number, push), base, head)


def burst(bot: Bot, github: FakeGitHub) -> dict[int, float]:
    """30 deliveries for 10 pull requests (3 pushes each) and 10 redeliveries, shuffled, sent by
    8 senders at once; the seconds from each current head's delivery to its result."""
    add_pushes(github, PULLS, 3)
    deliveries = [(n, p, f"d-{n}-{p}") for n in PULLS for p in (1, 2, 3)]
    deliveries += random.Random(7).sample(deliveries, 10)  # GitHub's "Redeliver" button
    random.Random(11).shuffle(deliveries)
    sent: dict[int, float] = {}

    def send(delivery: tuple[int, int, str]) -> None:
        number, push, guid = delivery
        assert bot.deliver(pushed(number, sha(number, push)), guid) in (200, 202)
        if push == 3:
            sent.setdefault(number, time.monotonic())

    with ThreadPoolExecutor(8) as senders:
        list(senders.map(send, deliveries))
    wait_until(lambda: all(github.statuses_of(sha(n, 3)) for n in PULLS), 60, "every result")
    posted = {n: next(c.at for c in github.calls("POST", f"/statuses/{sha(n, 3)}")) for n in PULLS}
    return {n: posted[n] - sent[n] for n in PULLS}


def test_a_shuffled_burst_with_redeliveries_ends_with_one_review_of_each_current_head(
    github: FakeGitHub, tmp_path: Path
) -> None:
    bot = Bot(github.url, tmp_path / "paperbot.sqlite3")
    try:
        latencies = burst(bot, github)
        wait_until(lambda: bot.queue()["queued"] + bot.queue()["running"] == 0, 30, "drained")
    finally:
        bot.stop()
    for number in PULLS:
        assert len(github.summaries(number)) == 1
        assert [
            s["sha"] for s in github.state.statuses if s["sha"].startswith(f"{number:02d}")
        ] == [sha(number, 3)]
    assert statistics.median(latencies.values()) < 10


def test_a_review_cut_by_kill_9_is_posted_once_soon_after_the_restart(
    github: FakeGitHub, tmp_path: Path
) -> None:
    db = tmp_path / "paperbot.sqlite3"
    add_pushes(github, range(1, 2), 1)
    github.hold("GET", "/contents/README.md", 30)  # the review hangs on reading the list
    bot = Bot(github.url, db, PAPERBOT_LEASE_SECONDS="3")
    assert bot.deliver(pushed(1, sha(1, 1)), "d-1") == 202
    wait_until(lambda: github.calls("GET", "/contents/README.md"), 10, "review started")
    bot.kill()
    github.state.faults.clear()
    restarted = Bot(github.url, db, PAPERBOT_LEASE_SECONDS="3")
    try:
        took = wait_until(lambda: github.statuses_of(sha(1, 1)), 30, "posted after restart")
        time.sleep(1.0)  # time for a second posting, if there were one
    finally:
        restarted.stop()
    assert took < 30
    assert len(github.statuses_of(sha(1, 1))) == 1 and len(github.summaries(1)) == 1


def test_a_stale_job_of_a_killed_worker_never_posts_after_the_newer_head(
    github: FakeGitHub, tmp_path: Path
) -> None:
    db = tmp_path / "paperbot.sqlite3"
    add_pushes(github, range(1, 2), 1)
    github.hold("GET", "/contents/README.md", 30)
    bot = Bot(github.url, db, PAPERBOT_LEASE_SECONDS="3")
    assert bot.deliver(pushed(1, sha(1, 1)), "d-1") == 202
    wait_until(lambda: github.calls("GET", "/contents/README.md"), 10, "review started")
    bot.kill()
    github.state.faults.clear()
    add_pushes(github, range(1, 2), 2)  # a push while the bot was down
    restarted = Bot(github.url, db, PAPERBOT_LEASE_SECONDS="3")
    try:
        assert restarted.deliver(pushed(1, sha(1, 2)), "d-2") == 202
        wait_until(lambda: github.statuses_of(sha(1, 2)), 30, "the new head's result")
        wait_until(lambda: restarted.queue()["running"] == 0, 10, "the stale job settled")
    finally:
        restarted.stop()
    assert github.statuses_of(sha(1, 1)) == []  # the stale job was superseded, not posted


def test_after_a_wiped_database_the_sweep_reviews_what_was_queued(
    github: FakeGitHub, tmp_path: Path
) -> None:
    db = tmp_path / "paperbot.sqlite3"
    add_pushes(github, range(1, 4), 1)
    bot = Bot(github.url, db, PAPERBOT_INLINE_WORKER="false")  # the deliveries only queue
    for number in range(1, 4):
        assert bot.deliver(pushed(number, sha(number, 1)), f"d-{number}") == 202
    bot.kill()
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()  # the dyno's disk, reset
    restarted = Bot(
        github.url,
        db,
        PAPERBOT_RECONCILE_INTERVAL_SECONDS="600",
        PAPERBOT_REPOSITORIES=REPO,
    )
    try:
        wait_until(lambda: all(github.statuses_of(sha(n, 1)) for n in range(1, 4)), 30, "swept")
    finally:
        restarted.stop()
    assert all(len(github.summaries(n)) == 1 for n in range(1, 4))


def test_two_server_errors_delay_a_review_by_seconds(github: FakeGitHub, tmp_path: Path) -> None:
    add_pushes(github, range(1, 2), 1)
    github.fail("GET", "/pulls/1", 502, times=2)
    bot = Bot(github.url, tmp_path / "paperbot.sqlite3")
    try:
        started = time.monotonic()
        assert bot.deliver(pushed(1, sha(1, 1)), "d-1") == 202
        took = wait_until(lambda: github.statuses_of(sha(1, 1)), 30, "posted")
    finally:
        bot.stop()
    assert time.monotonic() - started < 12 and took < 12  # 1 s + 4 s of backoff, and the review


def test_on_postgresql_web_and_worker_processes_share_one_queue_and_survive_a_killed_worker(
    github: FakeGitHub, postgres_server
) -> None:
    url = postgres_server.new_database()
    lease = {"PAPERBOT_LEASE_SECONDS": "3"}
    bot = Bot(github.url, url, PAPERBOT_INLINE_WORKER="false", **lease)
    workers = [Worker(github.url, url, **lease) for _ in range(3)]
    try:
        add_pushes(github, PULLS, 3)
        deliveries = [(n, p, f"d-{n}-{p}") for n in PULLS for p in (1, 2, 3)]
        deliveries += random.Random(3).sample(deliveries, 10)
        random.Random(5).shuffle(deliveries)
        for number, push, guid in deliveries[:15]:
            assert bot.deliver(pushed(number, sha(number, push)), guid) in (200, 202)
        workers[0].kill()  # in the middle: some of its jobs may be half done
        for number, push, guid in deliveries[15:]:
            assert bot.deliver(pushed(number, sha(number, push)), guid) in (200, 202)
        wait_until(lambda: all(github.statuses_of(sha(n, 3)) for n in PULLS), 60, "every result")
        wait_until(lambda: bot.queue()["queued"] + bot.queue()["running"] == 0, 30, "drained")
    finally:
        for process in [bot, *workers]:
            process.stop()
    for number in PULLS:
        assert len(github.summaries(number)) == 1
        statuses = [s["sha"] for s in github.state.statuses if s["sha"].startswith(f"{number:02d}")]
        assert statuses == [sha(number, 3)]
        reviews = [r["commit_id"] for r in github.state.reviews if r["pull"] == number]
        assert reviews == [sha(number, 3)]  # one review, of the current head
