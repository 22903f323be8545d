"""The bot as the Procfile runs it (gunicorn bot.wsgi:app, gunicorn.conf.py, two workers with their
inline queue workers), for tests and benchmarks that kill it, restart it and wipe its disk."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.service.conftest import BASE, SECRET, payload, sign

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll ``condition`` every 20 ms; the seconds it took. Fails after ``seconds``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.02)
    return time.monotonic() - started


def environment(github_url: str, db: Path | str, **settings: str) -> dict[str, str]:
    """The deployment's environment: ``db`` a SQLite file, or a PostgreSQL URL (DATABASE_URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "GITHUB_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        PYTHONPATH=str(ROOT),
        GITHUB_WEBHOOK_SECRET=SECRET,
        GITHUB_TOKEN="ghp_test",
        GITHUB_API_URL=github_url,
        PAPERBOT_NET_ENABLED="false",
        PAPERBOT_GITHUB_WRITE_INTERVAL="0",
        PAPERBOT_RECONCILE_INTERVAL_SECONDS="0",
    )
    if isinstance(db, str) and db.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = db
    else:
        env["PAPERBOT_DB"] = str(db)
    env.update(settings)
    return env


class Process:
    """A process of the bot, started in its own process group so that kill -9 takes all of it."""

    process: subprocess.Popen[bytes]

    def start(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill(self) -> None:
        """kill -9, every process of it at once: no cleanup, no finished job."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Worker(Process):
    """``paperbot worker``, the Procfile's worker line."""

    def __init__(self, github_url: str, db: Path | str, **settings: str) -> None:
        self.start([sys.executable, "-m", "bot", "worker"], environment(github_url, db, **settings))


class Bot(Process):
    """gunicorn as the Procfile's web line runs it (two workers unless told otherwise)."""

    def __init__(self, github_url: str, db: Path | str, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = environment(github_url, db, PORT=str(self.port), WEB_CONCURRENCY="2")
        env.update(settings)
        command = [sys.executable, "-m", "gunicorn", "bot.wsgi:app", "--bind",
                   f"127.0.0.1:{self.port}"]  # fmt: skip
        self.start(command, env)
        wait_until(self.healthy, 30, "gunicorn start")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def deliver(
        self, body: dict[str, Any], delivery: str, client: httpx.Client | None = None
    ) -> int:
        """Send a signed ``pull_request`` delivery (on ``client``'s connections, if given)."""
        raw = json.dumps(body).encode()
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": sign(raw),
            "Content-Type": "application/json",
        }
        post = client.post if client is not None else httpx.post
        return post(f"{self.url}/webhook", content=raw, headers=headers, timeout=10).status_code

    def queue(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/healthz", timeout=5).json()["queue"]


def pushed(number: int, head: str) -> dict[str, Any]:
    """A synchronize delivery of pull request ``number`` at ``head`` (GitHub's example body)."""
    body = payload("pull_request.synchronize")
    body["number"] = body["pull_request"]["number"] = number
    body["pull_request"]["head"]["sha"] = body["after"] = head
    body["pull_request"]["base"]["sha"] = BASE
    return body


def sha(number: int, push: int) -> str:
    return f"{number:02d}{push:02d}".ljust(40, "a")
