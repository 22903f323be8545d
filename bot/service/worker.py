"""The queue worker: take a job, run the review, record how it went; and, every
``PAPERBOT_RECONCILE_INTERVAL_SECONDS``, the sweep that heals lost deliveries; every
``PAPERBOT_REPORT_INTERVAL_SECONDS``, the link report of the repositories the sweep covers.

It runs as its own process (``paperbot worker``, the Procfile's ``worker:`` line) or as a thread
of the web process (``PAPERBOT_INLINE_WORKER``). Both can run at once: the queue's leases keep
them from doing the same job twice, and a heartbeat keeps the lease of the job in hand alive, so
that the job of a worker that died is taken again within seconds.
"""

from __future__ import annotations

import logging
import signal
import threading

from bot import LOG_FORMAT
from bot.config import Config
from bot.errors import GitHubRefused, GitHubUnavailable, PaperbotError, StoreError
from bot.net.answers import startup_notices
from bot.service.commands import Command, run_command
from bot.service.job import Superseded, run_review
from bot.service.queue import Job, Queue
from bot.service.reconcile import sweep
from bot.service.report import report_repositories

log = logging.getLogger(__name__)


def process_one(config: Config, queue: Queue) -> str | None:
    """Run the next due job, if any; returns what became of it (for logs and tests)."""
    job = queue.claim()
    if job is None:
        return None
    beating = _heartbeat(queue, job)
    try:
        return _run(config, queue, job)
    finally:
        beating.set()


def _heartbeat(queue: Queue, job: Job) -> threading.Event:
    """Renew the job's lease while it runs; set the returned event to stop."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(queue.heartbeat_seconds):
            try:
                if not queue.renew(job):
                    return  # taken again: this run's results are no longer the job's
            except Exception:
                log.exception("lease of %s not renewed", job.delivery)

    threading.Thread(target=beat, name="paperbot-heartbeat", daemon=True).start()
    return stop


def _carry_out(config: Config, job: Job) -> str:
    """The job's work: a maintainer's command, or a review of its head."""
    if job.command is not None:
        command, author = Command.unqueued(job.command)
        return run_command(config, job.repo, job.number, command, author, job.installation_id)
    return run_review(
        config,
        job.repo,
        job.number,
        head_sha=job.head_sha,
        installation_id=job.installation_id,
        dry_run=config.service.dry_run,
    )


def _run(config: Config, queue: Queue, job: Job) -> str:
    what = "a maintainer's command" if job.command else f"at {job.head_sha[:12]}"
    where = f"{job.repo}#{job.number} {what} (delivery {job.delivery})"
    try:
        outcome = _carry_out(config, job)
    except Superseded as exc:
        queue.supersede(job, str(exc))
        log.info("%s: superseded: %s", where, exc)
        return "superseded"
    except GitHubUnavailable as exc:
        state = queue.retry(job, str(exc), exc.retry_after)
        log.warning("%s: %s; %s", where, exc, "will retry" if state == "queued" else "gave up")
        return state
    except GitHubRefused as exc:
        queue.fail(job, str(exc))
        log.error("%s: %s", where, exc)
        return "failed"
    except Exception as exc:  # a bug must not kill the worker, and the job keeps its reason
        log.exception("%s: review crashed", where)
        queue.fail(job, f"{type(exc).__name__}: {exc}")
        return "failed"
    queue.complete(job, outcome)
    log.info("%s", outcome)
    return "done"


def run(config: Config, queue: Queue | None = None, stop: threading.Event | None = None) -> None:
    """Work until ``stop`` is set (forever in ``paperbot worker``).

    Idle, it sleeps until a job is announced (on PostgreSQL from any process, on SQLite from this
    one: the inline worker), the next retry is due, or a second (SQLite) or five (PostgreSQL)
    have passed.
    """
    queue = queue or Queue.of(config.service)
    stop = stop or threading.Event()
    for notice in startup_notices(config.net):
        log.warning("%s", notice)
    every = config.service.reconcile_interval_seconds
    reports = LinkReports(config, queue)
    while not stop.is_set():
        if every > 0:
            _sweep_when_due(config, queue, every)
        reports.start_when_due()
        try:
            worked = process_one(config, queue) is not None
        except StoreError as exc:  # the database is down or unreachable: one line, and again
            log.error("queue unavailable: %s", exc)
            worked = False
        except Exception:  # the queue itself failed (disk full, locked): keep the worker alive
            log.exception("queue unavailable")
            worked = False
        if not worked:
            try:
                queue.wait()
            except StoreError as exc:
                log.error("queue unavailable: %s", exc)
                stop.wait(1.0)
            except Exception:
                log.exception("queue unavailable")
                stop.wait(1.0)


def _sweep_when_due(config: Config, queue: Queue, every: float) -> None:
    """One sweep per interval across every worker sharing the database; a failing sweep is logged
    and tried again at the next interval."""
    try:
        if queue.claim_turn("reconcile", every):
            log.info("sweep: %s", sweep(config, queue))
    except StoreError as exc:
        log.error("sweep not run: %s", exc)
    except Exception:
        log.exception("sweep failed")


class LinkReports:
    """The link report of every repository the sweep covers, once per
    ``PAPERBOT_REPORT_INTERVAL_SECONDS`` across every worker sharing the database, in a thread of
    its own: auditing a whole list takes minutes, which reviews should not wait for. A turn that
    comes while this process's last report still runs is left to the next interval."""

    def __init__(self, config: Config, queue: Queue) -> None:
        self.config = config
        self.queue = queue
        self.thread: threading.Thread | None = None

    def start_when_due(self) -> threading.Thread | None:
        every = self.config.service.report_interval_seconds
        if every <= 0 or (self.thread is not None and self.thread.is_alive()):
            return None
        try:
            if not self.queue.claim_turn("link-report", every):
                return None
        except StoreError as exc:
            log.error("link report not run: %s", exc)
            return None
        except Exception:
            log.exception("link report not run")
            return None
        self.thread = threading.Thread(
            target=_report, args=(self.config,), name="paperbot-report", daemon=True
        )
        self.thread.start()
        return self.thread


def _report(config: Config) -> None:
    try:
        log.info("link report: %s", report_repositories(config))
    except PaperbotError as exc:  # the App's installations could not be listed, say
        log.error("link report failed: %s", exc)
    except Exception:  # a bug must not go unseen; the next interval tries again
        log.exception("link report failed")


def start_thread(config: Config, queue: Queue) -> threading.Event:
    """The worker as a daemon thread of the web process; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(config, queue, stop), name="paperbot-worker", daemon=True
    )
    thread.start()
    return stop


def serve_forever(config: Config) -> None:
    """``paperbot worker``: work until SIGTERM, letting the job in hand finish (a restart)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    queue = Queue.of(config.service)
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()
        queue.wake()  # an idle worker stops now, not at its next look at the queue

    signal.signal(signal.SIGTERM, stop)
    run(config, queue, stopping)
