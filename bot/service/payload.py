"""What the bot reads from a webhook delivery, checked field by field before anything uses it.

A signed delivery is still a stranger's JSON as far as the code is concerned (a leaked secret, a
misbehaving proxy, a GitHub change): every field the bot uses is checked for presence and type,
and a delivery that fails gets a 400 naming the field, never a 500 with a traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.errors import InputError

_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_DELIVERY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
REVIEWED_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})


@dataclass(frozen=True)
class PullRequestEvent:
    action: str
    repo: str
    number: int
    head_sha: str
    base_sha: str
    installation_id: int | None
    draft: bool
    state: str
    base_changed: bool  # an ``edited`` delivery that moved the pull request to another base


def parse_json(body: bytes) -> dict[str, Any]:
    """The delivery's JSON object; too deep a nesting or a 5,000-digit number is unreadable too."""
    try:
        payload = json.loads(body)
    except RecursionError:
        raise InputError("body is JSON nested too deeply") from None
    except ValueError:  # bad UTF-8, bad JSON, a number too long to read
        raise InputError("body is not JSON") from None
    if not isinstance(payload, dict):
        raise InputError("body is not a JSON object")
    return payload


def _field(
    data: dict[str, Any], path: str, kind: type | tuple[type, ...], event: str = "pull_request"
) -> Any:
    """``data[a][b]...`` for ``path`` "a.b...", of type ``kind``, or an InputError naming it."""
    value: Any = data
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise InputError(f"{event} delivery: {path} must be {expected}")
    return value


def _repo(payload: dict[str, Any], event: str) -> str:
    repo = _field(payload, "repository.full_name", str, event)
    if not _REPO.match(repo) or any(set(part) == {"."} for part in repo.split("/")):
        # "a/.." would be resolved as a path: "/repos/a/../pulls" is another endpoint
        raise InputError(f"{event} delivery: repository.full_name is not OWNER/REPO")
    return repo


def _installation(payload: dict[str, Any], event: str) -> int | None:
    if payload.get("installation") is None:
        return None
    installation_id = _field(payload, "installation.id", int, event)
    if not 0 < installation_id < 2**63:
        raise InputError(f"{event} delivery: installation.id is not an installation")
    return int(installation_id)


def _number(value: Any, event: str, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise InputError(f"{event} delivery: {what} must be a pull request number")
    return value


@dataclass(frozen=True)
class CommentEvent:
    action: str
    repo: str
    number: int
    on_pull_request: bool
    author: str
    author_is_bot: bool
    body: str
    installation_id: int | None


MAX_COMMENT_CHARS = 65536  # GitHub's own limit on a comment's body


def comment_event(payload: dict[str, Any]) -> CommentEvent:
    """An ``issue_comment`` delivery (a comment on an issue or on a pull request's conversation)."""
    event = "issue_comment"
    user = _field(payload, "comment.user", dict, event)
    login = _field(payload, "comment.user.login", str, event)
    if not _LOGIN.match(login):
        raise InputError(f"{event} delivery: comment.user.login is not a GitHub login")
    body = payload["comment"].get("body") or ""
    if not isinstance(body, str):
        raise InputError(f"{event} delivery: comment.body must be str")
    return CommentEvent(
        action=_field(payload, "action", str, event),
        repo=_repo(payload, event),
        number=_number(_field(payload, "issue.number", int, event), event, "issue.number"),
        on_pull_request=isinstance(payload["issue"].get("pull_request"), dict),
        author=login,
        author_is_bot=user.get("type") == "Bot" or login.endswith("[bot]"),
        body=body[:MAX_COMMENT_CHARS],
        installation_id=_installation(payload, event),
    )


def pull_request_event(payload: dict[str, Any]) -> PullRequestEvent:
    action = _field(payload, "action", str)
    pull = _field(payload, "pull_request", dict)
    repo = _repo(payload, "pull_request")
    number = _number(payload.get("number", pull.get("number")), "pull_request", "number")
    shas = []
    for side in ("head", "base"):
        sha = _field(payload, f"pull_request.{side}.sha", str)
        if not _SHA.match(sha):
            raise InputError(f"pull_request delivery: pull_request.{side}.sha is not a commit")
        shas.append(sha)
    installation_id = _installation(payload, "pull_request")
    draft = pull.get("draft", False)
    if not isinstance(draft, bool):
        raise InputError("pull_request delivery: pull_request.draft must be bool")
    state = pull.get("state", "open")
    if not isinstance(state, str):
        raise InputError("pull_request delivery: pull_request.state must be str")
    changes = payload.get("changes")
    return PullRequestEvent(
        action=action,
        repo=repo,
        number=number,
        head_sha=shas[0],
        base_sha=shas[1],
        installation_id=installation_id,
        draft=draft,
        state=state,
        base_changed=isinstance(changes, dict) and "base" in changes,
    )


def ignore_reason(event: PullRequestEvent) -> str | None:
    """Why a pull_request delivery is ignored, or None when it asks for a review."""
    if event.action == "edited":
        if not event.base_changed:
            return "edited without a new base"
    elif event.action not in REVIEWED_ACTIONS:
        return f"action {event.action!r} needs no review"
    if event.draft:
        return "draft pull request"
    if event.state != "open":
        return "pull request is not open"
    return None


def delivery_id(header: str | None) -> str:
    """``X-GitHub-Delivery``: a GUID on github.com; anything else that is short and plain."""
    if not header:
        raise InputError("missing X-GitHub-Delivery")
    if not _DELIVERY.match(header):
        raise InputError("X-GitHub-Delivery is not a delivery id")
    return header
