"""Shared pieces for the service tests: real webhook payloads, signing, a fake clock, a fake GitHub."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient

from bot.config import Config, NetSettings, ServiceSettings
from bot.service.queue import Queue
from bot.service.webhook import create_app
from tests.service.fake_github import FakeGitHub

WEBHOOKS = Path(__file__).parent.parent / "fixtures" / "webhooks"
SECRET = "It's a Secret to Everybody"
REPO = "Codertocat/Hello-World"  # the octokit examples' repository, base and head commits
BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def payload(name: str) -> dict[str, Any]:
    """A real @octokit/webhooks-examples payload (or a hand-made variant), see NOTE.md there."""
    return json.loads((WEBHOOKS / f"{name}.json").read_text(encoding="utf-8"))


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    client: FlaskClient,
    event: str,
    body: dict[str, Any] | bytes,
    delivery: str = "d-1",
    signature: str | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(raw) if signature is None else signature,
        "Content-Type": "application/json",
    }
    return client.post("/webhook", data=raw, headers=headers)


class Clock:
    """Time that only moves when a test says so: leases and backoff without sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def config(tmp_path: Path, fake_github: FakeGitHub) -> Config:
    service = ServiceSettings(
        webhook_secret=SECRET,
        github_token="ghp_test",
        github_api_url=fake_github.url,
        db_path=str(tmp_path / "paperbot.sqlite3"),
        inline_worker=False,
        github_write_interval=0.0,
        job_attempts=3,
    )
    return Config(net=NetSettings(enabled=False), service=service)


@pytest.fixture
def queue(config: Config, clock: Clock) -> Queue:
    return Queue(config.service.db_path, max_attempts=config.service.job_attempts, clock=clock)


@pytest.fixture
def client(config: Config, queue: Queue) -> FlaskClient:
    return create_app(config, queue).test_client()


def with_service(config: Config, **changes: Any) -> Config:
    return replace(config, service=replace(config.service, **changes))


@pytest.fixture(scope="session")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def app_config(config: Config, private_key: str) -> Config:
    return with_service(config, github_token=None, app_id="12345", private_key=private_key)
