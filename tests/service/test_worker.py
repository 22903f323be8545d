"""The worker loop, the worker inside the web process, and the gunicorn entry point."""

from __future__ import annotations

import importlib
import sys
import threading
import time
from dataclasses import replace

import pytest

from bot.config import Config, NetSettings
from bot.service.queue import Queue
from bot.service.webhook import create_app
from bot.service.worker import run
from bot.wsgi import serve
from tests.history import pr_texts
from tests.service.conftest import BASE, HEAD, SECRET, deliver, payload, with_service
from tests.service.fake_github import FakeGitHub


def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def pull_74(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_pull(2, BASE, HEAD, *pr_texts(74))
    return fake_github


def test_the_worker_loop_reviews_queued_jobs_until_told_to_stop(
    config: Config, queue: Queue, pull_74: FakeGitHub
) -> None:
    queue.enqueue("d-1", "Codertocat/Hello-World", 2, HEAD, BASE)
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(config, queue, stop))
    thread.start()
    wait_for(lambda: queue.counts()["done"] == 1)
    stop.set()
    queue.wake()  # wake it from its idle wait rather than let it look once more
    thread.join(timeout=5)
    assert not thread.is_alive() and len(pull_74.state.reviews) == 1


def test_building_the_app_starts_no_worker(config: Config, queue: Queue) -> None:
    before = set(threading.enumerate())
    app = create_app(with_service(config, inline_worker=True), queue)
    assert "paperbot.worker_stop" not in app.extensions
    assert set(threading.enumerate()) - before == set()


def test_the_web_process_can_run_the_worker_itself(config: Config, pull_74: FakeGitHub) -> None:
    app = serve(with_service(config, inline_worker=True))
    try:
        answer = deliver(app.test_client(), "pull_request", payload("pull_request.opened"))
        assert answer.status_code == 202
        wait_for(lambda: len(pull_74.state.statuses) == 1)
        assert len(pull_74.state.issue_comments) == 1
    finally:
        app.extensions["paperbot.worker_stop"].set()


def test_the_network_phase_runs_when_enabled(
    config: Config, queue: Queue, pull_74: FakeGitHub
) -> None:
    nowhere = "http://127.0.0.1:9"
    net = NetSettings(
        budget_seconds=0.0,
        semantic_scholar_url=nowhere,
        openalex_url=nowhere,
        arxiv_url=nowhere,
        crossref_url=nowhere,
        doi_url=nowhere,
    )
    from bot.service.job import run_review

    run_review(replace(config, net=net), "Codertocat/Hello-World", 2, HEAD)
    body = pull_74.state.issue_comments[0]["body"]
    assert "offline review" not in body


def test_gunicorn_gets_an_app_configured_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, config: Config
) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("PAPERBOT_DB", config.service.db_path)
    monkeypatch.setenv("PAPERBOT_INLINE_WORKER", "false")
    sys.modules.pop("bot.wsgi", None)
    wsgi = importlib.import_module("bot.wsgi")
    answer = wsgi.app.test_client().get("/healthz")
    assert answer.status_code == 200 and answer.get_json()["depth"] == 0
