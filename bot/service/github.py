"""The GitHub edge: everything the bot reads from or posts to GitHub, through PyGithub (what a
review looks like there is ``post``: the marker, the status, the check run's conclusion).

Objects are built lazily and never re-fetched, so each method below costs the requests its
docstring names and no more; ``requests`` counts them. GitHub's failures are sorted into two
kinds the worker acts on: ``GitHubUnavailable`` (5xx, timeouts, rate limits: try again later,
as long as GitHub asked) and ``GitHubRefused`` (404, 401, 422: trying again will not help).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, GithubIntegration
from github.PullRequest import ReviewComment
from github.Repository import Repository

from bot.config import ServiceSettings
from bot.errors import GitHubRefused, GitHubUnavailable, InputError
from bot.net.retry import retry_after_seconds, retryable_status
from bot.service.post import MARKER, Annotation, InlineNote, conclusion_of

STATUS_CONTEXT = "paperbot"
PER_PAGE = 100
MAX_COMMENT_CHARS = 65_536
MAX_FILE_BYTES = 5_000_000  # the parser's limit too (bot.engine.parse.MAX_LIST_CHARS)
_CUT = "\n\n… (cut: GitHub comments hold at most 65,536 characters)\n"
T = TypeVar("T")


@dataclass(frozen=True)
class PullState:
    head_sha: str
    base_sha: str


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


def _author(comment: Any) -> str | None:
    """The login that wrote a comment, as the listing gave it (no extra request)."""
    user = comment.user
    return str(user.login) if user is not None else None


@contextmanager
def _sorted_failures(what: str) -> Iterator[None]:
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


@cache
def _installation_auth(
    api_url: str, app_id: str, private_key: str, installation_id: int
) -> Auth.Auth:
    """One auth per installation per process: PyGithub keeps its 1-hour token and renews it."""
    return Auth.AppAuth(app_id, private_key).get_installation_auth(installation_id)


# The account the bot posts as, per API and credential: asked once per process.
_LOGINS: dict[tuple[str, str], str] = {}


class GitHub:
    """One repository, as the bot sees it; built per job."""

    def __init__(
        self, service: ServiceSettings, repo_full_name: str, installation_id: int | None = None
    ) -> None:
        self.requests = 0
        self.as_app = bool(service.app_id and service.private_key)
        options: dict[str, Any] = {
            "base_url": service.github_api_url.rstrip("/"),
            "timeout": 15,
            "retry": None,  # the queue retries, with backoff, outside any request
            "per_page": PER_PAGE,
            "lazy": True,
            "seconds_between_requests": None,
            "seconds_between_writes": service.github_write_interval or None,
        }
        self._service = service
        self._base_url = str(options["base_url"])
        if self.as_app:
            if installation_id is None:
                installation_id = self._find_installation(service, repo_full_name, options)
            auth: Auth.Auth | None = _installation_auth(
                options["base_url"], str(service.app_id), str(service.private_key), installation_id
            )
        elif service.github_token:
            auth = Auth.Token(service.github_token)
        else:
            auth = None  # anonymous: enough to read a public repository in a dry run
        self._github = Github(auth=auth, **options)
        self._repo: Repository = self._github.get_repo(repo_full_name)

    def _find_installation(self, service: ServiceSettings, repo: str, options: dict) -> int:
        """For a review by hand (no webhook payload): which installation covers this repo."""
        owner, name = repo.split("/", 1)
        app = GithubIntegration(
            auth=Auth.AppAuth(str(service.app_id), str(service.private_key)),
            base_url=options["base_url"],
            timeout=options["timeout"],
            retry=None,
        )
        return self._call(
            "find the app installation", lambda: app.get_repo_installation(owner, name).id
        )

    def login(self) -> str:
        """The account the bot posts as: only its own comments are the bot's to find and edit
        (a contributor can write the marker too). As an App ``<slug>[bot]`` (GET /app), with a
        token the token's user (GET /user); one request per process, then remembered."""
        if self.as_app:
            key = (self._base_url, f"app:{self._service.app_id}")
        else:
            token = self._service.github_token or ""
            key = (self._base_url, "token:" + hashlib.sha256(token.encode()).hexdigest())
        if key not in _LOGINS:
            if self.as_app:
                app = GithubIntegration(
                    auth=Auth.AppAuth(str(self._service.app_id), str(self._service.private_key)),
                    base_url=self._base_url,
                    timeout=15,
                    retry=None,
                )
                _LOGINS[key] = self._call("read the App", lambda: f"{app.get_app().slug}[bot]")
            else:
                _LOGINS[key] = self._call(
                    "read the token's user", lambda: self._github.get_user().login
                )
        return _LOGINS[key]

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one exchange with GitHub and count it (pages and extra fetches count themselves)."""
        self.requests += 1
        with _sorted_failures(what):
            return fn()

    def pull(self, number: int) -> PullState:
        """The pull request as it is now (1 request)."""

        def fetch() -> PullState:
            pr = self._repo.get_pull(number)
            return PullState(pr.head.sha, pr.base.sha)

        return self._call(f"read pull request #{number}", fetch)

    def changed_files(self, base_sha: str, head_sha: str) -> tuple[str, frozenset[str]]:
        """The merge base and the files the PR changes, as GitHub's three-dot diff (1 request).

        The merge base, not the base branch's tip, is what the PR started from: reading the list
        there keeps later merges into the base branch from showing up as this PR's removals.
        """

        def fetch() -> tuple[str, frozenset[str]]:
            comparison = self._repo.compare(base_sha, head_sha)
            names = frozenset(f.filename for f in comparison.files)
            return comparison.merge_base_commit.sha, names

        return self._call("compare base and head", fetch)

    def read(self, path: str, ref: str) -> str | None:
        """A text file at a commit, or None if it is not there (1 request; 2 over 1 MB).

        Fork PRs are read through the base repository: their head commits live there too.
        """

        def fetch() -> str | None:
            try:
                found = self._repo.get_contents(path, ref=ref)
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            if isinstance(found, list):
                raise GitHubRefused(f"{path} is a directory at {ref[:12]}")
            if found.size > MAX_FILE_BYTES:  # never download 100 MB a pull request can add
                raise InputError(
                    f"{path} is {found.size:,} bytes at {ref[:12]}; paperbot reads lists of up to "
                    f"{MAX_FILE_BYTES:,}"
                )
            if found.encoding == "base64":
                return found.decoded_content.decode("utf-8", errors="replace")
            self.requests += 1  # over 1 MB: the contents API leaves the text out
            blob = self._repo.get_git_blob(found.sha)
            return base64.b64decode(blob.content).decode("utf-8", errors="replace")

        return self._call(f"read {path} at {ref[:12]}", fetch)

    def upsert_summary(self, number: int, body: str) -> str:
        """Edit the bot's one summary comment in place, or create it (1-2 requests).

        Returns ``created``, ``edited`` or ``unchanged`` (an identical body is not written again).
        A body over GitHub's 65,536 characters is cut, so a huge PR still gets its comment.
        """
        if len(body) > MAX_COMMENT_CHARS:
            body = body[: MAX_COMMENT_CHARS - len(_CUT)] + _CUT
        issue = self._repo.get_issue(number)
        me = self.login()

        def find() -> Any:
            for seen, comment in enumerate(issue.get_comments()):
                if seen and seen % PER_PAGE == 0:
                    self.requests += 1
                if MARKER in (comment.body or "") and _author(comment) == me:
                    return comment
            return None

        mine = self._call("list PR comments", find)
        if mine is None:
            self._call("post the summary comment", lambda: issue.create_comment(body))
            return "created"
        if mine.body == body:
            return "unchanged"
        self._call("edit the summary comment", lambda: mine.edit(body))
        return "edited"

    def posted_inline(self, number: int) -> set[InlineNote]:
        """The bot's own review comments on the PR's current lines (1 request per 100 comments)."""
        pr = self._repo.get_pull(number)
        found: set[InlineNote] = set()
        me = self.login()

        def fetch() -> None:
            for seen, comment in enumerate(pr.get_review_comments()):
                if seen and seen % PER_PAGE == 0:
                    self.requests += 1
                if comment.line is not None and MARKER in comment.body and _author(comment) == me:
                    found.add(InlineNote(comment.path, comment.line, comment.body))

        self._call("list review comments", fetch)
        return found

    def create_review(
        self, number: int, head_sha: str, body: str, event: str, notes: list[InlineNote]
    ) -> None:
        """One review on the head commit with its inline comments (1 request).

        If GitHub refuses a comment's line (422: outside the diff), the review is posted without
        inline comments rather than not at all: the summary comment lists every finding anyway.
        """
        pr = self._repo.get_pull(number)
        commit = self._repo.get_commit(head_sha)
        comments: list[ReviewComment] = [
            {"path": n.path, "line": n.line, "side": "RIGHT", "body": n.body} for n in notes
        ]
        try:
            self._call("post the review", lambda: pr.create_review(commit, body, event, comments))
        except GitHubRefused as exc:
            if exc.status != 422 or not comments:
                raise
            self._call("post the review", lambda: pr.create_review(commit, body, event, []))

    def report(
        self,
        head_sha: str,
        state: str,
        description: str,
        summary: str,
        annotations: list[Annotation],
    ) -> str:
        """The ``paperbot`` result on the head commit, for branch protection (1 request).

        As an App: a check run with annotations on the lines (50 at most, GitHub's limit per
        request). With a token: a commit status, since only Apps may create check runs.
        """
        if not self.as_app:
            self._call(
                "set the commit status",
                lambda: self._repo.get_commit(head_sha).create_status(
                    state, description=description[:140], context=STATUS_CONTEXT
                ),
            )
            return "status"
        conclusion = conclusion_of(state)
        output: dict[str, str | list[Annotation]] = {
            "title": description[:255],
            "summary": (summary or description)[:65000],
            "annotations": annotations[:50],
        }
        self._call(
            "create the check run",
            lambda: self._repo.create_check_run(
                STATUS_CONTEXT, head_sha, status="completed", conclusion=conclusion, output=output
            ),
        )
        return "check run"
