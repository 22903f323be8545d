"""The queue worker: take a job, run the review, record how it went.

It runs as its own process (``paperbot worker``, the Procfile's ``worker:`` line) or as a thread
of the web process (``PAPERBOT_INLINE_WORKER``). Both can run at once: the queue's leases keep
them from doing the same job twice.
"""

from __future__ import annotations

import logging
import signal
import threading

from bot import LOG_FORMAT
from bot.config import Config
from bot.errors import GitHubRefused, GitHubUnavailable
from bot.service.job import run_review
from bot.service.queue import Queue

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def process_one(config: Config, queue: Queue) -> str | None:
    """Run the next due job, if any; returns what became of it (for logs and tests)."""
    job = queue.claim()
    if job is None:
        return None
    where = f"{job.repo}#{job.number} at {job.head_sha[:12]} (delivery {job.delivery})"
    try:
        outcome = run_review(
            config,
            job.repo,
            job.number,
            head_sha=job.head_sha,
            installation_id=job.installation_id,
            dry_run=config.service.dry_run,
            base_sha=job.base_sha,
        )
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

    Idle, it looks at the queue once a second, or at once when the web process in the same
    process queues a job (the inline worker).
    """
    queue = queue or Queue(config.service.db_path, max_attempts=config.service.job_attempts)
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            worked = process_one(config, queue) is not None
        except Exception:  # the queue itself failed (disk full, locked): keep the worker alive
            log.exception("queue unavailable")
            worked = False
        if not worked:
            queue.arrived.wait(POLL_SECONDS)
            queue.arrived.clear()


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
    queue = Queue(config.service.db_path, max_attempts=config.service.job_attempts)
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()
        queue.arrived.set()  # an idle worker stops now, not at its next look at the queue

    signal.signal(signal.SIGTERM, stop)
    run(config, queue, stopping)
