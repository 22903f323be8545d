"""The bot's account on GitHub: how its clients are built, how GitHub's failures are sorted, who
it is (only comments its own login wrote are its to edit), where it is installed (the
repositories a sweep covers) and, as an App, its webhook deliveries (redelivered when they failed,
as GitHub's own guide does)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, GithubIntegration

from bot.config import ServiceSettings
from bot.errors import GitHubRefused, GitHubUnavailable
from bot.net.retry import retry_after_seconds, retryable_status

PER_PAGE = 100
DELIVERY_DAYS = 3  # how far back GitHub keeps deliveries that can be redelivered
MAX_DELIVERY_TRIES = 3  # a delivery that failed this often (redeliveries included) is left alone
T = TypeVar("T")


def client_options(service: ServiceSettings) -> dict[str, Any]:
    """PyGithub's settings for every client: no retries of its own (the queue retries, with
    waits GitHub asked for), lazy objects (each call costs the requests it names), no pacing of
    its own (writes pass the gate all processes share)."""
    return {
        "base_url": service.github_api_url.rstrip("/"),
        "timeout": 15,
        "retry": None,
        "per_page": PER_PAGE,
        "lazy": True,
        "seconds_between_requests": None,
        "seconds_between_writes": None,  # the shared gate paces writes (GitHub._write)
    }


def app_integration(service: ServiceSettings) -> GithubIntegration:
    """The App itself (a JWT): its installations, its webhook deliveries."""
    options = client_options(service)
    return GithubIntegration(
        auth=Auth.AppAuth(str(service.app_id), str(service.private_key)),
        base_url=options["base_url"],
        timeout=options["timeout"],
        retry=None,
    )


@cache
def installation_auth(
    api_url: str, app_id: str, private_key: str, installation_id: int
) -> Auth.Auth:
    """One auth per installation per process: PyGithub keeps its 1-hour token and renews it."""
    return Auth.AppAuth(app_id, private_key).get_installation_auth(installation_id)


def _wait_from(headers: dict[str, str], now: float) -> float | None:
    asked = retry_after_seconds(headers.get("retry-after"))
    if asked is not None:
        return asked
    if (
        headers.get("x-ratelimit-remaining") == "0"
        and headers.get("x-ratelimit-reset", "").isdigit()
    ):
        return max(0.0, float(headers["x-ratelimit-reset"]) - now)
    return None


@contextmanager
def sorted_failures(what: str) -> Iterator[None]:
    """Turn PyGithub's and requests' exceptions into the two kinds the worker understands."""
    try:
        yield
    except GithubException as exc:
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        data = exc.data if isinstance(exc.data, dict) else {}
        message = str(exc.message or data.get("message") or "")
        reason = f"{what}: GitHub answered {exc.status} {message}".strip()
        wait = _wait_from(headers, time.time())
        limited = exc.status == 429 or (
            exc.status == 403 and (wait is not None or "rate limit" in message.lower())
        )
        if limited:  # GitHub: without a header to go by, wait at least a minute
            raise GitHubUnavailable(reason, 60.0 if wait is None else wait) from None
        if retryable_status(exc.status):
            raise GitHubUnavailable(reason, wait) from None
        raise GitHubRefused(reason, exc.status) from None
    except requests.RequestException as exc:
        raise GitHubUnavailable(f"{what}: {type(exc).__name__}") from None


def call(what: str, fn: Callable[[], T]) -> T:
    with sorted_failures(what):
        return fn()


# The account the bot posts as, per API and credential: asked once per process.
_LOGINS: dict[tuple[str, str], str] = {}


def login(service: ServiceSettings, client: Github) -> tuple[str, bool]:
    """(The bot's login, whether GitHub had to be asked). As an App ``<slug>[bot]`` (GET /app),
    with a token the token's user (GET /user), unless the settings name it (``bot_login``)."""
    if service.bot_login:
        return service.bot_login, False
    as_app = bool(service.app_id and service.private_key)
    credential = f"app:{service.app_id}" if as_app else (service.github_token or "")
    key = (service.github_api_url, hashlib.sha256(credential.encode()).hexdigest())
    if key in _LOGINS:
        return _LOGINS[key], False
    if as_app:
        app = app_integration(service)
        _LOGINS[key] = call("read the App", lambda: f"{app.get_app().slug}[bot]")
    else:
        _LOGINS[key] = call("read the token's user", lambda: client.get_user().login)
    return _LOGINS[key], True


def repositories(service: ServiceSettings) -> tuple[list[tuple[str, int | None]], int]:
    """The repositories the bot serves, each with its App installation (None with a token), and
    the requests it took: as an App its installations' repositories (1 + 1 per installation, per
    100), with a token ``PAPERBOT_REPOSITORIES`` (no request)."""
    if not (service.app_id and service.private_key):
        return [(repo, None) for repo in service.repository_list], 0
    app = app_integration(service)
    found: list[tuple[str, int | None]] = []
    asked = 1
    for installation in call("list the App's installations", lambda: list(app.get_installations())):
        asked += 1
        names = call("list an installation's repositories", partial(_repos, installation))
        found += [(name, installation.id) for name in names]
    return found, asked


def redeliver_failed(service: ServiceSettings, now: datetime | None = None) -> tuple[int, int]:
    """Ask GitHub to redeliver the App's failed deliveries of the last three days whose delivery
    never succeeded since (GitHub does not redeliver by itself); (redelivered, requests).

    Only failures a second try can mend are redelivered: no answer in time, 429 or a 5xx. A 4xx
    was the bot's own refusal (a bad signature, an invalid payload), and the same bytes get the
    same answer. A delivery that failed ``MAX_DELIVERY_TRIES`` times is left alone."""
    since = (now or datetime.now(UTC)) - timedelta(days=DELIVERY_DAYS)
    client = Github(auth=Auth.AppAuth(str(service.app_id), str(service.private_key)),
                    **client_options(service))  # fmt: skip
    requester = client.requester
    deliveries: list[dict[str, Any]] = []
    url: str | None = "/app/hook/deliveries"
    params: dict[str, Any] | None = {"per_page": PER_PAGE}
    asked = 0
    while url:
        asked += 1
        headers, page = call(
            "list the App's deliveries",
            partial(requester.requestJsonAndCheck, "GET", url, parameters=params),
        )
        deliveries += page if isinstance(page, list) else []
        url, params = _next_link(headers.get("link", "")), None
        if deliveries and _delivered_at(deliveries[-1]) < since:
            break  # newest first: the rest are older than GitHub keeps
    recent = [d for d in deliveries if _delivered_at(d) >= since]
    ok = {d["guid"] for d in recent if _answered(d)}
    tries: dict[str, int] = {}
    failed: dict[str, dict[str, Any]] = {}
    for delivery in reversed(recent):  # oldest first; the newest failed attempt is the one asked
        if delivery["guid"] in ok or not _worth_redelivering(delivery):
            continue
        tries[delivery["guid"]] = tries.get(delivery["guid"], 0) + 1
        failed[delivery["guid"]] = delivery
    failed = {guid: d for guid, d in failed.items() if tries[guid] < MAX_DELIVERY_TRIES}
    for delivery in failed.values():
        asked += 1
        attempt = f"/app/hook/deliveries/{delivery['id']}/attempts"
        call("redeliver a failed delivery", partial(requester.requestJsonAndCheck, "POST", attempt))
    return len(failed), asked


def _answered(delivery: dict[str, Any]) -> bool:
    return 0 < int(delivery.get("status_code") or 0) < 400


def _worth_redelivering(delivery: dict[str, Any]) -> bool:
    status = int(delivery.get("status_code") or 0)
    return status == 0 or status in (408, 429) or status >= 500


def _repos(installation: Any) -> list[str]:
    return [repo.full_name for repo in installation.get_repos()]


def _delivered_at(delivery: dict[str, Any]) -> datetime:
    text = str(delivery.get("delivered_at") or "1970-01-01T00:00:00Z").replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.fromtimestamp(0, UTC)


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None
