"""Benchmark: the bot scaled out on PostgreSQL next to one process on SQLite, on the fake GitHub.

PostgreSQL: gunicorn with 2 web processes (no inline worker) and 3 ``paperbot worker`` processes,
as the Procfile's ``web`` and ``worker`` lines run them with DATABASE_URL set; one worker is killed
with kill -9 half way through the deliveries. SQLite: one gunicorn process with its inline worker
(the embedded default), nothing killed.

The load: 1,000 signed deliveries for 200 pull requests (4 or 5 pushes each, the base and head
texts of the list's 75 real pull requests, 10% of the deliveries sent again as GitHub's
"Redeliver" does), shuffled and sent by 8 senders at once. A push reaches the fake GitHub when
its delivery is first sent, so a shuffled older delivery arrives after its pull request moved on.

Checked at the end, for every pull request: one summary comment, exactly one status on its
current head and it is the last status posted, no commit reviewed twice, no inline comment
posted twice (a later push whose notes are all on the pull request already gets no new review).
Printed: when 50%, 95% and all of the results were posted (from the first delivery), the
throughput to 95% (the last few wait for a killed worker's lease, 20 s),
delivery-to-posted p50/p95/max (the current head's delivery to its status), webhook
acknowledgement p50/p99, and the queue's end state.

GitHub writes are not paced here (``PAPERBOT_GITHUB_WRITE_INTERVAL=0``): this measures the bot,
not GitHub's secondary rate limit, which paces content writes on real deployments.

Run: python bench/scale.py [--engine postgresql|sqlite|both] [--deliveries 1000] [--pulls 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.store import forget, open_database  # noqa: E402
from tests.history import pr_texts, pull_requests  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402
from tests.service.conftest import payload  # noqa: E402
from tests.service.fake_github import FakeGitHub  # noqa: E402
from tests.service.running import Bot, Worker, wait_until  # noqa: E402

SENDERS = 8


def head_of(number: int, push: int) -> str:
    return f"{number:03d}{push:02d}".ljust(40, "a")


def base_of(number: int) -> str:
    return f"{number:03d}".ljust(40, "b")


def plan(pulls: int, total: int, seed: int) -> list[tuple[int, int, str]]:
    """(pull request, push, delivery id): ``total`` deliveries, 1 in 11 of them a redelivery."""
    unique = round(total / 1.1)
    pushes = {n: unique // pulls + (1 if n <= unique % pulls else 0) for n in range(1, pulls + 1)}
    deliveries = [(n, p, f"d-{n}-{p}") for n in pushes for p in range(1, pushes[n] + 1)]
    rng = random.Random(seed)
    deliveries += rng.sample(deliveries, total - len(deliveries))
    rng.shuffle(deliveries)
    return deliveries


@dataclass
class Load:
    github: FakeGitHub
    texts: dict[int, tuple[str, str]]
    heads: dict[int, int] = field(default_factory=dict)  # pull request -> its newest push
    sent: dict[tuple[int, int], float] = field(default_factory=dict)
    acks: list[float] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, bot: Bot, client: httpx.Client, delivery: tuple[int, int, str]) -> None:
        number, push, guid = delivery
        with self.lock:  # the push happens, then GitHub delivers it (perhaps late, perhaps twice)
            if push > self.heads.get(number, 0):
                self.heads[number] = push
                base, head = self.texts[number]
                self.github.add_pull(number, base_of(number), head_of(number, push), base, head)
        body = payload("pull_request.synchronize")
        body["number"] = body["pull_request"]["number"] = number
        body["pull_request"]["head"]["sha"] = body["after"] = head_of(number, push)
        body["pull_request"]["base"]["sha"] = base_of(number)
        started = time.monotonic()
        status = bot.deliver(body, guid, client)
        took = time.monotonic() - started
        with self.lock:
            self.acks.append(took)
            self.sent.setdefault((number, push), started)
            if status not in (200, 202):
                self.refused.append(status)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def check(load: Load) -> list[str]:
    """What went wrong, per pull request (empty when every one ended right)."""
    state = load.github.state
    problems = []
    for number, push in sorted(load.heads.items()):
        current = head_of(number, push)
        mine = [s["sha"] for s in state.statuses if s["sha"].startswith(f"{number:03d}")]
        reviews = [r["commit_id"] for r in state.reviews if r["pull"] == number]
        notes = [
            (c["path"], c["line"], c["body"]) for c in state.review_comments if c["pull"] == number
        ]
        if len(load.github.summaries(number)) != 1:
            problems.append(f"#{number}: {len(load.github.summaries(number))} summary comments")
        if mine.count(current) != 1 or mine[-1] != current:
            problems.append(f"#{number}: statuses {mine}, current head {current}")
        if len(reviews) != len(set(reviews)):
            problems.append(f"#{number}: a commit reviewed twice: {reviews}")
        if len(notes) != len(set(notes)):
            problems.append(f"#{number}: an inline comment posted twice")
    return problems


def running(target: str) -> int:
    with open_database(target).transaction(write=False) as tx:
        row = tx.one("SELECT COUNT(*) FROM queue_jobs WHERE state = 'running'")
    return int(row[0]) if row else 0


def run(engine: str, deliveries: list[tuple[int, int, str]], pulls: int) -> dict[str, object]:
    real = sorted(pull_requests())
    with FakeGitHub() as github, tempfile.TemporaryDirectory() as work:
        server = PostgresServer() if engine == "postgresql" else None
        target = server.new_database() if server else str(Path(work) / "paperbot.sqlite3")
        texts = {n: pr_texts(real[(n - 1) % len(real)]) for n in range(1, pulls + 1)}
        load = Load(github, texts)
        if server:
            bot = Bot(github.url, target, PAPERBOT_INLINE_WORKER="false")
            workers = [Worker(github.url, target) for _ in range(3)]
        else:
            bot, workers = Bot(github.url, target, WEB_CONCURRENCY="1"), []
        try:
            clients = threading.local()

            def send(delivery: tuple[int, int, str]) -> None:
                if not hasattr(clients, "client"):
                    clients.client = httpx.Client(timeout=30)
                load.send(bot, clients.client, delivery)

            started = time.monotonic()
            half = len(deliveries) // 2
            with ThreadPoolExecutor(SENDERS) as senders:
                list(senders.map(send, deliveries[:half]))
                if workers:  # kill one in the middle of a job: wait until all three hold one
                    wait_until(lambda: running(target) == len(workers), 30, "three jobs running")
                    workers[0].kill()
                list(senders.map(send, deliveries[half:]))
            sent_in = time.monotonic() - started
            current = {n: head_of(n, p) for n, p in load.heads.items()}
            wait_until(
                lambda: all(github.statuses_of(s) for s in current.values()), 600, "all results"
            )
            wait_until(lambda: bot.queue()["queued"] + bot.queue()["running"] == 0, 120, "drained")
            times = sorted(c.at - started for c in github.calls("POST", "/statuses/"))
            queue = bot.queue()
            with open_database(target).transaction(write=False) as tx:
                retaken = tx.one("SELECT COUNT(*) FROM queue_jobs WHERE attempts > 1")
            forget(target)
        finally:
            for process in [bot, *workers]:
                process.stop()
            if server:
                server.stop()
        posted = {
            n: next(c.at for c in github.calls("POST", f"/statuses/{current[n]}")) for n in current
        }
        latency = [posted[n] - load.sent[(n, load.heads[n])] for n in current]
        statuses = len(github.calls("POST", "/statuses/"))
        return {
            "engine": engine,
            "processes": "2 web + 3 workers (one killed)" if server else "1 (web + inline worker)",
            "deliveries": len(deliveries),
            "refused": len(load.refused),
            "sent_in": sent_in,
            "statuses": statuses,
            "at": {share: percentile(times, share) for share in (0.5, 0.95, 1.0)},
            "throughput": round(0.95 * statuses) / percentile(times, 0.95),
            "p50": statistics.median(latency),
            "p95": percentile(latency, 0.95),
            "max": max(latency),
            "ack_p50": statistics.median(load.acks),
            "ack_p99": percentile(load.acks, 0.99),
            "github_requests": len(github.state.calls),
            "queue": queue,
            "retaken": retaken[0] if retaken else 0,
            "problems": check(load),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--pulls", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    deliveries = plan(args.pulls, args.deliveries, args.seed)
    engines = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
    print(f"{len(deliveries)} deliveries for {args.pulls} pull requests, {SENDERS} senders")
    for engine in engines:
        r = run(engine, deliveries, args.pulls)
        at = r["at"]
        assert isinstance(at, dict)
        print(
            f"{r['engine']} ({r['processes']}): sent in {r['sent_in']:.1f} s, "
            f"{r['refused']} refused; {r['statuses']} results, 50%/95%/all posted at "
            f"{at[0.5]:.1f}/{at[0.95]:.1f}/{at[1.0]:.1f} s = {r['throughput']:.2f} reviews/s "
            f"(to 95%); delivery to posted p50 {r['p50']:.2f} s, "
            f"p95 {r['p95']:.2f} s, max {r['max']:.2f} s; ack p50 {r['ack_p50'] * 1000:.0f} ms, "
            f"p99 {r['ack_p99'] * 1000:.0f} ms; {r['github_requests']} GitHub requests; "
            f"queue {r['queue']}, {r['retaken']} taken again after a lost lease"
        )
        problems = r["problems"]
        assert isinstance(problems, list)
        print(f"  every pull request right: {'yes' if not problems else 'NO'}")
        for problem in problems[:20]:
            print(f"  {problem}")


if __name__ == "__main__":
    main()
