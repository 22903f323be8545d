"""PostgreSQL going away under a running bot: the webhook answers 503 (GitHub records a failed
delivery, which the sweep asks to redeliver), /healthz says the database is down, the worker logs
one line and keeps trying, and nothing shows the database's password."""

from __future__ import annotations

import logging
import threading

from bot.config import Config, NetSettings, ServiceSettings
from bot.service import worker
from bot.service.queue import Queue
from bot.service.webhook import create_app
from bot.store import forget, open_database
from bot.store.database import PostgresDatabase
from tests.history import pr_texts
from tests.postgres import PostgresServer
from tests.service.conftest import BASE, HEAD, SECRET, deliver, payload
from tests.service.fake_github import FakeGitHub
from tests.service.running import wait_until


def test_a_lost_database_is_a_503_and_one_line_in_the_log_then_the_worker_keeps_trying(caplog):
    github = FakeGitHub().__enter__()
    github.add_pull(2, BASE, HEAD, *pr_texts(74))  # the payload's pull request
    server = PostgresServer()
    url = server.new_database().replace("postgres@", "postgres:s3cret@")
    try:
        service = ServiceSettings(
            webhook_secret=SECRET,
            github_token="ghp_test",
            github_api_url=github.url,
            github_write_interval=0.0,
            database_url=url,
            inline_worker=False,
            reconcile_interval_seconds=0,
        )
        config = Config(net=NetSettings(enabled=False), service=service)
        open_database(url)  # the schema
        queue = Queue(PostgresDatabase(url, wait=0.5))  # a short wait for a connection
        client = create_app(config, queue).test_client()
        assert (
            deliver(client, "pull_request", payload("pull_request.opened"), "d-1").status_code
            == 202
        )
    except BaseException:
        server.stop()
        raise
    server.halt()
    stop = threading.Event()
    try:
        caplog.set_level(logging.INFO)
        answer = deliver(client, "pull_request", payload("pull_request.opened"), "d-2")
        assert answer.status_code == 503
        assert "database is unavailable" in answer.get_json()["error"]
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["ok"] is False

        running = threading.Thread(target=worker.run, args=(config, queue, stop), daemon=True)
        running.start()
        wait_until(
            lambda: any(r.getMessage().startswith("queue unavailable") for r in caplog.records),
            10,
            "the worker's log line",
        )
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors and all(r.exc_info is None for r in errors)  # one line each, no traceback
        assert not any("s3cret" in r.getMessage() or "s3cret" in str(answer.data) for r in errors)

        server.start()  # back: the queued job is reviewed, a new delivery queued
        assert (
            deliver(client, "pull_request", payload("pull_request.opened"), "d-3").status_code
            == 202
        )
        wait_until(lambda: github.statuses_of(HEAD), 20, "the review posted")
        wait_until(lambda: queue.counts()["done"] == 1, 10, "done")  # d-3: the same head
        assert client.get("/healthz").status_code == 200
        stop.set()
        running.join(timeout=15)
        assert not running.is_alive()
    finally:
        stop.set()
        queue.db.close()
        forget(url)
        server.stop()
        github.__exit__()
