"""The service as the Procfile runs it (gunicorn, gunicorn.conf.py, two workers, the inline
worker), attacked over real sockets: slow clients, and a 1 MB hostile line reviewed while
/healthz is watched."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.history import LATEST, readme
from tests.security.hostile import SHAPES, hostile_head
from tests.service.conftest import BASE, HEAD, SECRET, payload, sign
from tests.service.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
REQUEST_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        base = readme(LATEST)
        fake.add_pull(2, BASE, HEAD, base, hostile_head(base, SHAPES["year"](1_000_000)))
        yield fake


@pytest.fixture(scope="module")
def service(github: FakeGitHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn started as the Procfile's web line starts it; its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "GITHUB_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        GITHUB_WEBHOOK_SECRET=SECRET,
        GITHUB_TOKEN="ghp_test",
        GITHUB_API_URL=github.url,
        PAPERBOT_DB=str(tmp_path_factory.mktemp("db") / "paperbot.sqlite3"),
        PAPERBOT_NET_ENABLED="false",
        PAPERBOT_GITHUB_WRITE_INTERVAL="0",
        PAPERBOT_REQUEST_SECONDS=str(REQUEST_SECONDS),
    )
    command = [sys.executable, "-m", "gunicorn", "bot.wsgi:app", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=30)


def post_signed(url: str, event: str, body: dict, delivery: str) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(raw),
        "Content-Type": "application/json",
    }
    return httpx.post(f"{url}/webhook", content=raw, headers=headers, timeout=10)


def health_latency(url: str) -> float:
    started = time.monotonic()
    answer = httpx.get(f"{url}/healthz", timeout=10)
    assert answer.status_code == 200
    return time.monotonic() - started


def trickle(port: int, closed: list[bool], stop: threading.Event) -> None:
    """A client that sends a delivery's headers, then its body one byte every quarter second."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: paperbot\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        sock.settimeout(0.25)
        while not stop.is_set():
            try:
                sock.sendall(b" ")
                if sock.recv(1024) == b"":
                    break
                break  # an answer (400 for the cut body): the server let go
            except TimeoutError:
                continue
            except OSError:
                break
        closed.append(not stop.is_set())


def test_twenty_slow_clients_do_not_stop_health_or_deliveries(service: str) -> None:
    port = int(service.rsplit(":", 1)[1])
    stop, closed = threading.Event(), []
    clients = [
        threading.Thread(target=trickle, args=(port, closed, stop), daemon=True) for _ in range(20)
    ]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)  # every slow client holds a connection now
        assert max(health_latency(service) for _ in range(5)) < 1.0
        ping = post_signed(service, "ping", {"zen": "Keep it logically awesome."}, "d-ping")
        assert ping.status_code == 200
        for client in clients:  # the read deadline lets every one of them go
            client.join(timeout=REQUEST_SECONDS + 5)
    finally:
        stop.set()
    assert closed == [True] * 20


def test_a_one_megabyte_hostile_line_is_reviewed_while_health_keeps_answering(
    service: str, github: FakeGitHub
) -> None:
    answer = post_signed(service, "pull_request", payload("pull_request.opened"), "d-hostile")
    assert answer.status_code == 202
    latencies = []
    deadline = time.monotonic() + 60
    while not github.state.statuses:
        assert time.monotonic() < deadline, "no review within 60 s"
        latencies.append(health_latency(service))
        time.sleep(0.05)
    assert max(latencies) < 1.0
    (status,) = github.state.statuses
    assert status["state"] == "failure"
    (comment,) = github.state.issue_comments
    assert "was not read" in comment["body"] and "1,000" in comment["body"]
