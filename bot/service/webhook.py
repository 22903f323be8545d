"""The web front: take GitHub's deliveries, check they are ours, queue the work, answer fast.

GitHub marks a delivery failed if it gets no 2xx within 10 s and never retries by itself, so the
request does no network work at all: it verifies the signature, writes a job to the durable queue
and answers 202. The worker does the review: a thread of the web process, started by the entry
point (``bot.wsgi``, ``paperbot serve``), or a process of its own (``paperbot worker``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from bot.config import Config
from bot.errors import ConfigError, InputError, SignatureError, StoreError
from bot.service.commands import command_of
from bot.service.payload import (
    CommentEvent,
    PullRequestEvent,
    comment_event,
    delivery_id,
    ignore_reason,
    parse_json,
    pull_request_event,
)
from bot.service.queue import Queue

log = logging.getLogger(__name__)


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """GitHub's X-Hub-Signature-256: HMAC-SHA256 of the raw body, compared in constant time."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode())


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def create_app(config: Config, queue: Queue | None = None) -> Flask:
    """Build the web app and nothing else (no thread, no request); tests pass their own config and
    queue, and the entry points start the worker."""
    service = config.service
    if not service.webhook_secret and not service.dry_run:
        raise ConfigError(
            "GITHUB_WEBHOOK_SECRET is not set: refusing to accept unsigned webhooks "
            "(set PAPERBOT_DRY_RUN=true for a local dry run)"
        )
    queue = queue or Queue.of(service)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = service.max_body_bytes
    app.config["PAPERBOT_REQUEST_SECONDS"] = service.request_seconds  # for the gunicorn worker
    app.extensions["paperbot.queue"] = queue

    @app.errorhandler(InputError)
    def bad_input(exc: InputError) -> tuple[Response, int]:
        return _error(exc.http_status, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        if status == 413:
            return _error(413, f"body over {service.max_body_bytes} bytes")
        return _error(status, exc.name)

    @app.errorhandler(StoreError)
    def store_down(exc: StoreError) -> tuple[Response, int]:
        log.error("delivery not queued: %s", exc)  # the details stay in the log
        return _error(503, "the queue's database is unavailable; the delivery was not queued")

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> tuple[Response, int]:
        log.exception("webhook failed")
        return _error(500, "internal error; the delivery was not queued, redeliver it")

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        try:
            return jsonify(ok=True, queue=queue.counts(), depth=queue.depth()), 200
        except StoreError as exc:
            log.error("health check: %s", exc)
            return jsonify(ok=False, error="the queue's database is unavailable"), 503

    @app.post("/webhook")
    def webhook() -> tuple[Response, int]:
        length = request.content_length
        if length is not None and length > service.max_body_bytes:
            return _error(413, f"body over {service.max_body_bytes} bytes")
        body = request.get_data(cache=True)
        if service.webhook_secret and not signature_ok(
            service.webhook_secret, body, request.headers.get("X-Hub-Signature-256")
        ):
            raise SignatureError("missing or wrong X-Hub-Signature-256")
        payload = parse_json(body)
        event = request.headers.get("X-GitHub-Event", "")
        if event == "ping":
            return jsonify(ok=True, zen=payload.get("zen")), 200
        delivery = delivery_id(request.headers.get("X-GitHub-Delivery"))
        if event == "issue_comment":
            return _command(queue, comment_event(payload), delivery)
        if event != "pull_request":
            return jsonify(ignored=f"event {event!r} needs no review"), 200
        pull = pull_request_event(payload)
        why_not = ignore_reason(pull)
        if why_not:
            return jsonify(ignored=why_not), 200
        return _enqueue(queue, pull, delivery)

    return app


def _command(queue: Queue, comment: CommentEvent, delivery: str) -> tuple[Response, int]:
    command = command_of(comment)
    if command is None:
        return jsonify(ignored="no command for paperbot"), 200
    queued = queue.enqueue_command(
        delivery,
        comment.repo,
        comment.number,
        command.queued(comment.author),
        comment.installation_id,
    )
    where = f"{comment.repo}#{comment.number}"
    said = f"/paperbot {command.name} by {comment.author}"
    log.info("delivery %s: %s: %s %s", delivery, where, said, "queued" if queued else "seen before")
    answer = jsonify(queued=queued, delivery=delivery, command=command.name)
    return answer, 202 if queued else 200


def _enqueue(queue: Queue, pull: PullRequestEvent, delivery: str) -> tuple[Response, int]:
    queued = queue.enqueue(
        delivery, pull.repo, pull.number, pull.head_sha, pull.base_sha, pull.installation_id
    )
    log.info(
        "delivery %s: %s#%s at %s %s",
        delivery,
        pull.repo,
        pull.number,
        pull.head_sha[:12],
        "queued" if queued else "seen before",
    )
    answer = jsonify(queued=queued, delivery=delivery, repo=pull.repo, number=pull.number)
    return answer, 202 if queued else 200
