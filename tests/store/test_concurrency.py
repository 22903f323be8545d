"""Many workers on one database, on both engines: each with a handle of its own, as separate
processes (or machines, with PostgreSQL) would have. No job is claimed twice, jobs of one pull
request never run together, one delivery per head is queued, one sweep per interval, gates hold
their spacing across processes, and on PostgreSQL an idle worker wakes at a job's NOTIFY."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter

from bot.service.queue import Queue
from bot.store import open_database
from bot.store.database import Database, PostgresDatabase, SQLiteDatabase, is_postgres
from bot.store.gates import SharedGates

REPO = "octo/list"


def handle(target: str) -> Database:
    """A handle of its own on the database, as another process would open one."""
    open_database(target)  # the schema, once
    return PostgresDatabase(target, pool_size=2) if is_postgres(target) else SQLiteDatabase(target)


def test_workers_never_claim_a_job_twice_nor_run_two_jobs_of_one_pull_request(store_target):
    queue = Queue(store_target)
    for number in range(10):
        for push in range(4):
            queue.enqueue(f"d-{number}-{push}", REPO, number, f"{number:02d}{push:038d}")
    done: list[str] = []
    running: Counter[int] = Counter()
    overlaps: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = Queue(handle(store_target))
        idle = 0
        while idle < 20:
            job = mine.claim()
            if job is None:
                idle += 1
                time.sleep(0.01)
                continue
            with lock:
                running[job.number] += 1
                if running[job.number] > 1:
                    overlaps.append(job.number)
            time.sleep(0.005)
            with lock:
                running[job.number] -= 1
                done.append(job.delivery)
            assert mine.complete(job)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == sorted(f"d-{n}-{p}" for n in range(10) for p in range(4))
    assert overlaps == []
    assert queue.counts()["done"] == 40


def test_deliveries_of_one_head_arriving_together_make_one_job(store_target):
    Queue(store_target)
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def deliver(n: int) -> None:
        queue = Queue(handle(store_target))
        barrier.wait()
        results.append(queue.enqueue(f"d-{n}", REPO, 7, "a" * 40))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = Queue(store_target).counts()
    assert results == [True] * 6 and (counts["queued"], counts["superseded"]) == (1, 5)


def _ask_together(queues: list[Queue], key: str) -> list[bool]:
    turns: list[bool] = []
    barrier = threading.Barrier(len(queues))

    def ask(queue: Queue) -> None:
        barrier.wait()
        turns.append(queue.claim_turn(key, 600))

    threads = [threading.Thread(target=ask, args=(q,)) for q in queues]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return turns


def test_one_sweep_per_interval_whoever_asks_at_once(store_target):
    Queue(store_target)
    queues = [Queue(handle(store_target)) for _ in range(5)]
    for round_ in range(10):
        assert sorted(_ask_together(queues, f"reconcile-{round_}")) == [False] * 4 + [True]


def _reserve(target: str, count: int, interval: float) -> list[float]:
    gates = SharedGates(handle(target))
    slots = []
    for _ in range(count):
        now = time.time()
        slots.append(now + gates.reserve("arxiv", interval, now))
    return slots


def test_a_gate_spaces_the_slots_of_three_processes(store_target):
    open_database(store_target)
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        booked = pool.starmap(_reserve, [(store_target, 5, 0.05)] * 3)
    slots = sorted(slot for slots in booked for slot in slots)
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert len(slots) == 15 and min(gaps) >= 0.05 - 1e-6


def test_gates_of_different_services_do_not_wait_for_each_other(store_target):
    gates = SharedGates(open_database(store_target))
    assert gates.reserve("arxiv", 3.0, 100.0) == 0.0
    assert gates.reserve("semantic-scholar", 1.0, 100.0) == 0.0
    assert gates.reserve("arxiv", 3.0, 100.5) == 2.5
    assert gates.reserve("arxiv", 3.0, 110.0) == 0.0


def test_an_idle_worker_wakes_when_another_process_queues_a_job(store_target, request):
    if not is_postgres(store_target):
        # SQLite announces a job to this process's threads only.
        queue = Queue(store_target)
        woken = threading.Thread(target=queue.wait)
        started = time.monotonic()
        woken.start()
        time.sleep(0.05)
        queue.enqueue("d-1", REPO, 1, "a" * 40)
        woken.join()
        assert time.monotonic() - started < 0.9  # before its one-second look
        return
    waiter = Queue(handle(store_target))
    waiter.db.wait("paperbot_jobs", 0.01)  # listening from here on
    other = Queue(handle(store_target))
    outcome: list[tuple[bool, float]] = []

    def wait() -> None:
        started = time.monotonic()
        outcome.append((waiter.wait(), time.monotonic() - started))

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.1)
    other.enqueue("d-1", REPO, 1, "a" * 40)
    thread.join()
    ((woken, took),) = outcome
    assert woken and took < 2.0  # the NOTIFY, not the five-second look
