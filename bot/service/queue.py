"""The durable job queue: one table, on SQLite or PostgreSQL (``bot.store``), so a review survives
a crash or restart of the process and, on PostgreSQL, is shared by every process and machine.

GitHub does not redeliver a webhook by itself, so a delivery we acknowledged must never be lost:
it is written here before the webhook answers 202, and it stays here (``done``, ``failed`` or
``superseded``) after it ran. The rules the queue keeps, on both engines:

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

On PostgreSQL, workers claim with ``FOR UPDATE SKIP LOCKED`` and take a pull request's advisory
lock before running one of its jobs, and a queued job is announced with ``NOTIFY`` so that idle
workers wake at once instead of polling.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import ServiceSettings
from bot.store import database_for, open_database
from bot.store.database import JOBS, Database, Tx

# A running job's lease (PAPERBOT_LEASE_SECONDS): renewed four times a lease while its worker
# lives, so a job of a dead worker is taken again within a lease (not after a long one).
LEASE_SECONDS = 20.0
BACKOFF_CAP_SECONDS = 3600.0  # caps our own backoff and what a rate-limit reset can make us wait
# An idle worker looks again at least this often: on SQLite a job queued by another process is not
# announced to it; on PostgreSQL every job is (NOTIFY), and this only covers a missed notice.
IDLE_SECONDS = {"sqlite": 1.0, "postgres": 5.0}

STATES = ("queued", "running", "done", "failed", "superseded")
_JOB = "id, delivery, repo, number, head_sha, base_sha, installation_id, attempts, command"


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
    command: str | None = None  # a maintainer's command (JSON), else a review of ``head_sha``


def _pull_lock(repo: str, number: int) -> str:
    return f"pull {repo}#{number}"


class Queue:
    def __init__(
        self,
        target: str | Database,
        max_attempts: int = 5,
        clock: Callable[[], float] = time.time,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.db = open_database(target) if isinstance(target, str) else target
        self.max_attempts = max_attempts
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = lease_seconds / 4

    @classmethod
    def of(cls, service: ServiceSettings) -> Queue:
        """The queue the deployment's settings describe."""
        return cls(database_for(service), service.job_attempts, lease_seconds=service.lease_seconds)

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
        with self.db.transaction() as tx:
            tx.lock(_pull_lock(repo, number))  # two deliveries of one head: one job
            twin = tx.one(
                "SELECT delivery FROM queue_jobs WHERE repo = ? AND number = ? AND head_sha = ? "
                "AND state IN ('queued', 'running') LIMIT 1",
                (repo, number, head_sha),
            )
            state = "superseded" if twin else "queued"
            reason = f"same head as delivery {twin[0]}" if twin else None
            added = tx.run(
                "INSERT INTO queue_jobs (delivery, repo, number, head_sha, base_sha, "
                "installation_id, state, run_after, reason, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery) DO NOTHING",
                (delivery, repo, number, head_sha, base_sha, installation_id, state, now,
                 reason, now, now),
            )  # fmt: skip
            if added and state == "queued":
                tx.notify(JOBS)
        return bool(added)

    def enqueue_command(
        self,
        delivery: str,
        repo: str,
        number: int,
        command: str,
        installation_id: int | None = None,
    ) -> bool:
        """Queue a maintainer's command; False when this delivery was queued before. It runs as
        a job of its pull request (never beside its review) and reviews the current head."""
        now = self.clock()
        with self.db.transaction() as tx:
            added = tx.run(
                "INSERT INTO queue_jobs (delivery, repo, number, head_sha, installation_id, "
                "state, run_after, command, created_at, updated_at) "
                "VALUES (?, ?, ?, '', ?, 'queued', ?, ?, ?, ?) ON CONFLICT (delivery) DO NOTHING",
                (delivery, repo, number, installation_id, now, command, now, now),
            )
            if added:
                tx.notify(JOBS)
        return bool(added)

    def claim(self) -> Job | None:
        """Lease the next job that is due, or take back one whose worker died."""
        now = self.clock()
        with self.db.transaction() as tx:
            candidates = tx.all(
                f"SELECT {_JOB}, state FROM queue_jobs AS j WHERE "
                "((state = 'queued' AND run_after <= ?) "
                "OR (state = 'running' AND leased_until <= ?)) "
                "AND NOT EXISTS (SELECT 1 FROM queue_jobs AS r WHERE r.repo = j.repo "
                "AND r.number = j.number AND r.state = 'running' AND r.leased_until > ?) "
                "ORDER BY run_after, id LIMIT 20" + tx.skip_locked,
                (now, now, now),
            )
            for (
                job_id,
                delivery,
                repo,
                number,
                head,
                base,
                installation,
                attempts,
                command,
                state,
            ) in candidates:
                if state == "running" and attempts >= self.max_attempts:
                    reason = f"worker died during all {attempts} attempts"
                    self._finish(tx, job_id, "failed", reason)
                    continue
                if not self._free(tx, repo, number, job_id, now):
                    continue
                lease = uuid.uuid4().hex
                tx.run(
                    "UPDATE queue_jobs SET state = 'running', attempts = attempts + 1, "
                    "lease = ?, leased_until = ?, updated_at = ? WHERE id = ?",
                    (lease, now + self.lease_seconds, now, job_id),
                )
                return Job(job_id, delivery, repo, number, head, base, installation, attempts + 1,
                           lease, command)  # fmt: skip
        return None

    def _free(self, tx: Tx, repo: str, number: int, job_id: int, now: float) -> bool:
        """Whether this pull request may run a job now: its lock is free (another worker may be
        claiming one of its jobs at this very moment) and, looked at afresh, none is running."""
        if not tx.try_lock(_pull_lock(repo, number)):
            return False
        running = tx.one(
            "SELECT 1 FROM queue_jobs WHERE repo = ? AND number = ? AND state = 'running' "
            "AND leased_until > ? AND id <> ?",
            (repo, number, now, job_id),
        )
        return running is None

    def complete(self, job: Job, note: str | None = None) -> bool:
        """Mark the job done; False if its lease was lost (another worker has taken it since)."""
        with self.db.transaction() as tx:
            return self._finish(tx, job.id, "done", note, job.lease)

    def fail(self, job: Job, reason: str) -> bool:
        """Keep the job as failed with its reason: the input or the permissions are wrong."""
        with self.db.transaction() as tx:
            return self._finish(tx, job.id, "failed", reason, job.lease)

    def retry(self, job: Job, reason: str, wait: float | None = None) -> str:
        """Try again after ``wait`` (what GitHub asked: exactly that), else after 1, 4, 9...
        seconds with jitter; fail after the last try."""
        if job.attempts >= self.max_attempts:
            self.fail(job, f"gave up after {job.attempts} attempts: {reason}")
            return "failed"
        delay = min(wait if wait is not None else backoff(job.attempts), BACKOFF_CAP_SECONDS)
        now = self.clock()
        with self.db.transaction() as tx:
            tx.run(
                "UPDATE queue_jobs SET state = 'queued', run_after = ?, reason = ?, lease = NULL, "
                "leased_until = NULL, updated_at = ? WHERE id = ? AND lease = ?",
                (now + delay, reason, now, job.id, job.lease),
            )
        return "queued"

    def supersede(self, job: Job, reason: str) -> bool:
        """The pull request has moved on: this job's head is no longer its head."""
        with self.db.transaction() as tx:
            return self._finish(tx, job.id, "superseded", reason, job.lease)

    def renew(self, job: Job) -> bool:
        """The worker's heartbeat: extend the lease; False if it was lost (taken again)."""
        now = self.clock()
        with self.db.transaction() as tx:
            changed = tx.run(
                "UPDATE queue_jobs SET leased_until = ? WHERE id = ? AND lease = ? "
                "AND state = 'running'",
                (now + self.lease_seconds, job.id, job.lease),
            )
        return changed == 1

    def knows(self, repo: str, number: int, head_sha: str) -> bool:
        """Whether a job for this head is waiting, running or done (a sweep need not add one)."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT 1 FROM queue_jobs WHERE repo = ? AND number = ? AND head_sha = ? "
                "AND state IN ('queued', 'running', 'done') LIMIT 1",
                (repo, number, head_sha),
            )
        return row is not None

    def remember(self, repo: str, number: int, head_sha: str, reason: str) -> None:
        """Record a head as reviewed without a job here (a sweep found its result on GitHub),
        so that later sweeps need not ask GitHub about it again."""
        now = self.clock()
        with self.db.transaction() as tx:
            tx.run(
                "INSERT INTO queue_jobs (delivery, repo, number, head_sha, state, "
                "run_after, reason, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 'done', ?, ?, ?, ?) ON CONFLICT (delivery) DO NOTHING",
                (f"seen:{repo}#{number}@{head_sha}", repo, number, head_sha, now, reason, now, now),
            )

    def claim_turn(self, key: str, every: float) -> bool:
        """True for one caller per ``every`` seconds across every process sharing the database
        (the reconcile sweep: one per interval, not one per worker)."""
        now = self.clock()
        with self.db.transaction() as tx:
            tx.lock(f"turn {key}")
            row = tx.one("SELECT value FROM queue_meta WHERE key = ?", (key,))
            if row is not None and row[0] > now - every:
                return False
            tx.run(
                "INSERT INTO queue_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, now),
            )
        return True

    def wait(self) -> bool:
        """An idle worker's sleep: until a job is announced (at once on PostgreSQL, from any
        process; on SQLite from this process), the next retry or lease is due, or the idle
        interval passes."""
        return self.db.wait(JOBS, self._until_due())

    def wake(self) -> None:
        """Wake this process's idle worker (it is stopping, say)."""
        self.db.wake(JOBS)

    def _until_due(self) -> float:
        idle = IDLE_SECONDS[self.db.engine]
        now = self.clock()
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT MIN(CASE WHEN state = 'queued' THEN run_after ELSE leased_until END) "
                "FROM queue_jobs WHERE state IN ('queued', 'running')"
            )
        due = float(row[0]) if row and row[0] is not None else now + idle
        return max(0.0, min(due - now, idle))

    def _finish(
        self, tx: Tx, job_id: int, state: str, reason: str | None, lease: str | None = None
    ) -> bool:
        sql = (
            "UPDATE queue_jobs SET state = ?, reason = ?, lease = NULL, leased_until = NULL, "
            "updated_at = ? WHERE id = ?"
        )
        args: tuple[object, ...] = (state, reason, self.clock(), job_id)
        if lease is not None:
            sql += " AND lease = ?"
            args += (lease,)
        return tx.run(sql, args) == 1

    def counts(self) -> dict[str, int]:
        """Jobs per state, for /healthz and for tests."""
        with self.db.transaction(write=False) as tx:
            found = dict(tx.all("SELECT state, COUNT(*) FROM queue_jobs GROUP BY state"))
        return {state: int(found.get(state, 0)) for state in STATES}

    def depth(self) -> int:
        """Jobs still to do: waiting or in progress."""
        counts = self.counts()
        return counts["queued"] + counts["running"]

    def job(self, delivery: str) -> dict[str, object] | None:
        """A job's row by delivery id, for operators and tests."""
        with self.db.transaction(write=False) as tx:
            rows = tx.rows("SELECT * FROM queue_jobs WHERE delivery = ?", (delivery,))
        return rows[0] if rows else None


def backoff(attempts: int) -> float:
    """Seconds before try ``attempts + 1`` when GitHub named no wait: 1, 4, 9... with jitter."""
    return float(attempts**2) * random.uniform(0.8, 1.2)
