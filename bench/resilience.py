"""Benchmark: the bot as deployed (gunicorn as the Procfile runs it) against the fake GitHub.

Prints the seconds from a pull request's current-head delivery to its result in a shuffled
burst of 30 deliveries and 10 redeliveries (p50, p95, max over the 10 pull requests and every
run), the GitHub requests each review took, the seconds from a restart after kill -9 in the
middle of a review to its result (default lease), the delay two 502s add, and what a sweep costs:
of a repository whose results are lost (a wiped disk), then again once they are known.

Run: python bench/resilience.py [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Config, ServiceSettings  # noqa: E402
from bot.service.queue import Queue  # noqa: E402
from bot.service.reconcile import sweep  # noqa: E402
from tests.service.conftest import REPO  # noqa: E402
from tests.service.fake_github import FakeGitHub  # noqa: E402
from tests.service.running import Bot, pushed, sha, wait_until  # noqa: E402
from tests.service.test_resilience import add_pushes, burst  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def after_kill() -> float:
    """kill -9 while the review reads the list, restart at once: seconds to the result."""
    with FakeGitHub() as github, tempfile.TemporaryDirectory() as work:
        db = Path(work) / "paperbot.sqlite3"
        add_pushes(github, range(1, 2), 1)
        github.hold("GET", "/contents/README.md", 60)
        bot = Bot(github.url, db)
        bot.deliver(pushed(1, sha(1, 1)), "d-1")
        wait_until(lambda: github.calls("GET", "/contents/README.md"), 10, "review started")
        bot.kill()
        github.state.faults.clear()
        restarted_at = time.monotonic()
        restarted = Bot(github.url, db)
        try:
            wait_until(lambda: github.statuses_of(sha(1, 1)), 60, "posted after restart")
            return time.monotonic() - restarted_at
        finally:
            restarted.stop()


def after_two_502s() -> float:
    """Seconds from the delivery to the result when GitHub answers 502 twice first."""
    with FakeGitHub() as github, tempfile.TemporaryDirectory() as work:
        add_pushes(github, range(1, 2), 1)
        github.fail("GET", "/pulls/1", 502, times=2)
        bot = Bot(github.url, Path(work) / "paperbot.sqlite3")
        try:
            started = time.monotonic()
            bot.deliver(pushed(1, sha(1, 1)), "d-1")
            wait_until(lambda: github.statuses_of(sha(1, 1)), 60, "posted")
            return time.monotonic() - started
        finally:
            bot.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    latencies: list[float] = []
    per_review: list[int] = []
    for _ in range(args.runs):
        with FakeGitHub() as github, tempfile.TemporaryDirectory() as work:
            bot = Bot(github.url, Path(work) / "paperbot.sqlite3")
            try:
                latencies += burst(bot, github).values()
            finally:
                bot.stop()
            db = Path(work) / "paperbot.sqlite3"
            for (reason,) in sqlite3.connect(db).execute(
                "SELECT reason FROM queue_jobs WHERE state = 'done'"
            ):
                if found := re.search(r"\((\d+) GitHub requests\)", reason or ""):
                    per_review.append(int(found.group(1)))
    print(f"burst: {len(latencies)} pull requests over {args.runs} runs")
    print(
        f"delivery to result: p50 {statistics.median(latencies):.2f} s, "
        f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s"
    )
    print(f"GitHub requests per review: {sorted(set(per_review))} (first per process is +1)")
    killed = [after_kill() for _ in range(args.runs)]
    print(f"kill -9 mid-review, restart to result: {', '.join(f'{s:.1f} s' for s in killed)}")
    delays = [after_two_502s() for _ in range(args.runs)]
    print(f"two 502s, delivery to result: {', '.join(f'{s:.1f} s' for s in delays)}")
    with FakeGitHub() as github, tempfile.TemporaryDirectory() as work:
        add_pushes(github, range(1, 11), 1)
        service = ServiceSettings(
            github_token="ghp_test",
            github_api_url=github.url,
            db_path=str(Path(work) / "q.sqlite3"),
            repositories=REPO,
        )
        queue = Queue.of(service)
        lost = sweep(Config(service=service), queue)
        print(f"sweep, 10 open pull requests without a result: {lost}")
        for number in range(1, 11):  # their results, as if posted meanwhile
            sha = github.state.pulls[number]["head"]
            github.state.statuses.append({"sha": sha, "state": "success", "context": "paperbot"})
        fresh = Queue.of(ServiceSettings(db_path=str(Path(work) / "fresh.sqlite3")))
        config = Config(service=service)
        print(f"sweep, 10 open pull requests with results, a fresh queue: {sweep(config, fresh)}")
        print(f"sweep, the same again: {sweep(config, fresh)}")


if __name__ == "__main__":
    main()
