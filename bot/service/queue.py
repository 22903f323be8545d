"""The durable job queue: one SQLite table, so a review survives a crash or restart of the process.

GitHub does not redeliver a webhook by itself, so a delivery we acknowledged must never be lost:
it is written here before the webhook answers 202, and it stays here (``done``, ``failed`` or
``superseded``) after it ran. The rules the queue keeps:

- one job per ``X-GitHub-Delivery``: a redelivery of the same id adds nothing;
- deliveries arrive in any order: every job reads the pull request first and reviews its current
  head, and a job whose head is no longer current is ``superseded`` (one request, nothing posted);
  a second job for a head already waiting or running is recorded as superseded at once;
- jobs of one pull request never run at the same time, so reviews are posted in delivery order;
- a worker holds a job under a short lease that its heartbeat renews while the job runs; a worker
  that dies (kill -9, a crash) stops renewing, and within a lease (20 s) the job is taken
  again (after ``max_attempts`` deaths the job is failed, so a poison job cannot loop);
- a transient failure waits exactly as long as GitHub asked, else 1, 4, 9... seconds with jitter
  (octokit's retry schedule), and after the last attempt the job is kept as ``failed``;
- a job for a closed pull request or a draft is ``superseded`` too.

Each call opens its own short connection: safe across threads and forked gunicorn workers.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.config import ServiceSettings

# A running job's lease (PAPERBOT_LEASE_SECONDS): renewed four times a lease while its worker
# lives, so a job of a dead worker is taken again within a lease (not after a long one).
LEASE_SECONDS = 20.0
BACKOFF_CAP_SECONDS = 3600.0  # caps our own backoff and what a rate-limit reset can make us wait

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_jobs (
    id INTEGER PRIMARY KEY,
    delivery TEXT NOT NULL UNIQUE,
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    head_sha TEXT NOT NULL,
    base_sha TEXT,
    installation_id INTEGER,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after REAL NOT NULL,
    lease TEXT,
    leased_until REAL,
    reason TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_jobs_ready ON queue_jobs (state, run_after);
CREATE INDEX IF NOT EXISTS queue_jobs_pull ON queue_jobs (repo, number, state);
CREATE TABLE IF NOT EXISTS queue_meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
"""

STATES = ("queued", "running", "done", "failed", "superseded")


@dataclass(frozen=True)
class Job:
    """One review to do: a pull request at a head commit, as one webhook delivery asked for it."""

    id: int
    delivery: str
    repo: str
    number: int
    head_sha: str
    base_sha: str | None
    installation_id: int | None
    attempts: int
    lease: str


class Queue:
    def __init__(
        self,
        path: str,
        max_attempts: int = 5,
        clock: Callable[[], float] = time.time,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.path = path
        self.max_attempts = max_attempts
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = lease_seconds / 4
        self.arrived = threading.Event()  # wakes a worker in this process as soon as a job comes
        db = sqlite3.connect(path, timeout=10.0)
        try:
            db.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
            db.executescript(_SCHEMA)
        finally:
            db.close()

    @classmethod
    def of(cls, service: ServiceSettings) -> Queue:
        """The queue the deployment's settings describe."""
        return cls(service.db_path, service.job_attempts, lease_seconds=service.lease_seconds)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One transaction on a fresh connection; BEGIN IMMEDIATE so two workers never race."""
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL: survives a process crash, fsyncs less
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def enqueue(
        self,
        delivery: str,
        repo: str,
        number: int,
        head_sha: str,
        base_sha: str | None = None,
        installation_id: int | None = None,
    ) -> bool:
        """Queue a review; False when this delivery was queued before (a redelivery).

        Deliveries arrive in any order, so a newer one does not cancel an older one here: each
        job reads the pull request first and is superseded if its head is no longer current.
        A job for a head that already has one waiting or running is recorded, as superseded."""
        now = self.clock()
        with self._db() as db:
            twin = db.execute(
                "SELECT delivery FROM queue_jobs WHERE repo = ? AND number = ? AND head_sha = ? "
                "AND state IN ('queued', 'running') LIMIT 1",
                (repo, number, head_sha),
            ).fetchone()
            state, reason = (
                ("superseded", f"same head as delivery {twin[0]}")
                if twin
                else (
                    "queued",
                    None,
                )
            )
            cursor = db.execute(
                "INSERT OR IGNORE INTO queue_jobs (delivery, repo, number, head_sha, base_sha, "
                "installation_id, state, run_after, reason, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    delivery,
                    repo,
                    number,
                    head_sha,
                    base_sha,
                    installation_id,
                    state,
                    now,
                    reason,
                    now,
                    now,
                ),  # fmt: skip
            )
            if cursor.rowcount == 0:
                return False
        self.arrived.set()
        return True

    def claim(self) -> Job | None:
        """Lease the next job that is due, or take back one whose worker died."""
        now = self.clock()
        with self._db() as db:
            while True:
                row = db.execute(
                    "SELECT id, state, attempts FROM queue_jobs AS j WHERE "
                    "((state = 'queued' AND run_after <= ?) "
                    "OR (state = 'running' AND leased_until <= ?)) "
                    "AND NOT EXISTS (SELECT 1 FROM queue_jobs AS r WHERE r.repo = j.repo "
                    "AND r.number = j.number AND r.state = 'running' AND r.leased_until > ?) "
                    "ORDER BY run_after, id LIMIT 1",
                    (now, now, now),
                ).fetchone()
                if row is None:
                    return None
                job_id, state, attempts = row
                if state == "running" and attempts >= self.max_attempts:
                    self._finish(
                        db, job_id, "failed", f"worker died during all {attempts} attempts"
                    )
                    continue
                lease = uuid.uuid4().hex
                db.execute(
                    "UPDATE queue_jobs SET state = 'running', attempts = attempts + 1, lease = ?, "
                    "leased_until = ?, updated_at = ? WHERE id = ?",
                    (lease, now + self.lease_seconds, now, job_id),
                )
                found = db.execute(
                    "SELECT id, delivery, repo, number, head_sha, base_sha, installation_id, "
                    "attempts, lease FROM queue_jobs WHERE id = ?",
                    (job_id,),
                ).fetchone()
                return Job(*found)

    def complete(self, job: Job, note: str | None = None) -> bool:
        """Mark the job done; False if its lease was lost (another worker has taken it since)."""
        with self._db() as db:
            return self._finish(db, job.id, "done", note, job.lease)

    def fail(self, job: Job, reason: str) -> bool:
        """Keep the job as failed with its reason: the input or the permissions are wrong."""
        with self._db() as db:
            return self._finish(db, job.id, "failed", reason, job.lease)

    def retry(self, job: Job, reason: str, wait: float | None = None) -> str:
        """Try again after ``wait`` (what GitHub asked: exactly that), else after 1, 4, 9...
        seconds with jitter; fail after the last try."""
        if job.attempts >= self.max_attempts:
            self.fail(job, f"gave up after {job.attempts} attempts: {reason}")
            return "failed"
        delay = min(wait if wait is not None else backoff(job.attempts), BACKOFF_CAP_SECONDS)
        now = self.clock()
        with self._db() as db:
            db.execute(
                "UPDATE queue_jobs SET state = 'queued', run_after = ?, reason = ?, lease = NULL, "
                "leased_until = NULL, updated_at = ? WHERE id = ? AND lease = ?",
                (now + delay, reason, now, job.id, job.lease),
            )
        return "queued"

    def supersede(self, job: Job, reason: str) -> bool:
        """The pull request has moved on: this job's head is no longer its head."""
        with self._db() as db:
            return self._finish(db, job.id, "superseded", reason, job.lease)

    def renew(self, job: Job) -> bool:
        """The worker's heartbeat: extend the lease; False if it was lost (taken again)."""
        now = self.clock()
        with self._db() as db:
            cursor = db.execute(
                "UPDATE queue_jobs SET leased_until = ? WHERE id = ? AND lease = ? "
                "AND state = 'running'",
                (now + self.lease_seconds, job.id, job.lease),
            )
            return cursor.rowcount == 1

    def knows(self, repo: str, number: int, head_sha: str) -> bool:
        """Whether a job for this head is waiting, running or done (a sweep need not add one)."""
        with self._db() as db:
            row = db.execute(
                "SELECT 1 FROM queue_jobs WHERE repo = ? AND number = ? AND head_sha = ? "
                "AND state IN ('queued', 'running', 'done') LIMIT 1",
                (repo, number, head_sha),
            ).fetchone()
        return row is not None

    def remember(self, repo: str, number: int, head_sha: str, reason: str) -> None:
        """Record a head as reviewed without a job here (a sweep found its result on GitHub),
        so that later sweeps need not ask GitHub about it again."""
        now = self.clock()
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO queue_jobs (delivery, repo, number, head_sha, state, "
                "run_after, reason, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 'done', ?, ?, ?, ?)",
                (f"seen:{repo}#{number}@{head_sha}", repo, number, head_sha, now, reason, now, now),
            )

    def claim_turn(self, key: str, every: float) -> bool:
        """True for one caller per ``every`` seconds across every process sharing the database
        (the reconcile sweep: one per interval, not one per worker)."""
        now = self.clock()
        with self._db() as db:
            row = db.execute("SELECT value FROM queue_meta WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] > now - every:
                return False
            db.execute(
                "INSERT INTO queue_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, now),
            )
        return True

    def _finish(
        self,
        db: sqlite3.Connection,
        job_id: int,
        state: str,
        reason: str | None,
        lease: str | None = None,
    ) -> bool:
        sql = (
            "UPDATE queue_jobs SET state = ?, reason = ?, lease = NULL, leased_until = NULL, "
            "updated_at = ? WHERE id = ?"
        )
        args: tuple = (state, reason, self.clock(), job_id)
        if lease is not None:
            sql += " AND lease = ?"
            args += (lease,)
        return db.execute(sql, args).rowcount == 1

    def counts(self) -> dict[str, int]:
        """Jobs per state, for /healthz and for tests."""
        with self._db() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM queue_jobs GROUP BY state").fetchall()
        found = dict(rows)
        return {state: found.get(state, 0) for state in STATES}

    def depth(self) -> int:
        """Jobs still to do: waiting or in progress."""
        counts = self.counts()
        return counts["queued"] + counts["running"]

    def job(self, delivery: str) -> dict[str, object] | None:
        """A job's row by delivery id, for operators and tests."""
        with self._db() as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM queue_jobs WHERE delivery = ?", (delivery,)).fetchone()
        return dict(row) if row else None


def backoff(attempts: int) -> float:
    """Seconds before try ``attempts + 1`` when GitHub named no wait: 1, 4, 9... with jitter."""
    return float(attempts**2) * random.uniform(0.8, 1.2)
