"""The GitHub edge for one repository: everything the bot reads from or posts to it, through
PyGithub (what a review looks like there is ``post``; who the bot is and where it is installed,
``account``). One exchange per method, counted, so that what a review costs is visible here; that
is why the module keeps every call together, at a little over 300 lines.

Objects are built lazily and never re-fetched, so each method below costs the requests its
docstring names and no more; ``requests`` counts them. GitHub's failures are sorted into two
kinds the worker acts on: ``GitHubUnavailable`` (5xx, timeouts, rate limits: try again later,
as long as GitHub asked) and ``GitHubRefused`` (404, 401, 422: trying again will not help).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from github import Auth, Github, GithubException
from github.PullRequest import ReviewComment
from github.Repository import Repository
from requests.utils import parse_header_links

from bot.config import ServiceSettings
from bot.engine.model import Acceptance
from bot.errors import GitHubRefused, InputError
from bot.service.account import (
    PER_PAGE,
    app_integration,
    call,
    client_options,
    installation_auth,
    login,
)
from bot.service.post import MARKER, Annotation, InlineNote, acceptances_in, conclusion_of
from bot.store import database_for
from bot.store.gates import Gates, SharedGates

STATUS_CONTEXT = "paperbot"
WRITE_GATE = "github-writes"
MAX_COMMENT_CHARS = 65_536
MAX_FILE_BYTES = 5_000_000  # the parser's limit too (bot.engine.parse.MAX_LIST_CHARS)
_CUT = "\n\n… (cut: GitHub comments hold at most 65,536 characters)\n"
T = TypeVar("T")


@dataclass(frozen=True)
class PullState:
    number: int
    head_sha: str
    base_sha: str
    open: bool = True
    draft: bool = False


@dataclass(frozen=True)
class IssueState:
    number: int
    body: str
    open: bool


_THREADS = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $after) {
        nodes { id isResolved comments(first: 1) { nodes { author { login } body path line } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
_RESOLVE = """
mutation($thread: ID!) { resolveReviewThread(input: {threadId: $thread}) { thread { id } } }
"""


def _state(pr: Any) -> PullState:
    return PullState(pr.number, pr.head.sha, pr.base.sha, pr.state == "open", bool(pr.draft))


def _author(comment: Any) -> str | None:
    """The login that wrote a comment, as the listing gave it (no extra request)."""
    user = comment.user
    return str(user.login) if user is not None else None


class GitHub:
    """One repository, as the bot sees it; built per job."""

    def __init__(
        self,
        service: ServiceSettings,
        repo_full_name: str,
        installation_id: int | None = None,
        gates: Gates | None = None,
    ) -> None:
        self.requests = 0
        self._summaries: dict[int, Any] = {}
        self._gates = gates
        self.as_app = bool(service.app_id and service.private_key)
        options = client_options(service)
        self._service = service
        if self.as_app:
            if installation_id is None:
                installation_id = self._find_installation(service, repo_full_name)
            auth: Auth.Auth | None = installation_auth(
                options["base_url"], str(service.app_id), str(service.private_key), installation_id
            )
        elif service.github_token:
            auth = Auth.Token(service.github_token)
        else:
            auth = None  # anonymous: enough to read a public repository in a dry run
        self._github = Github(auth=auth, **options)
        self._repo: Repository = self._github.get_repo(repo_full_name)

    def _find_installation(self, service: ServiceSettings, repo: str) -> int:
        """For a review by hand (no webhook payload): which installation covers this repo."""
        owner, name = repo.split("/", 1)
        app = app_integration(service)
        return self._call(
            "find the app installation", lambda: app.get_repo_installation(owner, name).id
        )

    def login(self) -> str:
        """The account the bot posts as (asked of GitHub once per process)."""
        me, asked = login(self._service, self._github)
        self.requests += asked
        return me

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one exchange with GitHub and count it (pages and extra fetches count themselves)."""
        self.requests += 1
        return call(what, fn)

    def _write(self, what: str, fn: Callable[[], T]) -> T:
        """A write, after its slot at the shared gate: GitHub's secondary limits count writes
        per account, so every process and machine of the bot paces them together
        (``PAPERBOT_GITHUB_WRITE_INTERVAL``)."""
        interval = self._service.github_write_interval
        if interval > 0:
            if self._gates is None:
                self._gates = SharedGates(database_for(self._service))
            time.sleep(self._gates.reserve(WRITE_GATE, interval, time.time()))
        return self._call(what, fn)

    def pull(self, number: int) -> PullState:
        """The pull request as it is now (1 request)."""

        return self._call(
            f"read pull request #{number}", lambda: _state(self._repo.get_pull(number))
        )

    def open_pulls(self) -> list[PullState]:
        """The repository's open pull requests (1 request per 100)."""
        pulls: list[PullState] = []

        def fetch() -> None:
            for seen, pr in enumerate(self._repo.get_pulls(state="open")):
                if seen and seen % PER_PAGE == 0:
                    self.requests += 1
                pulls.append(_state(pr))

        self._call("list open pull requests", fetch)
        return pulls

    def has_result(self, head_sha: str) -> bool:
        """Whether the head commit has a ``paperbot`` check run (App) or status (token) yet
        (1 request)."""
        commit = self._repo.get_commit(head_sha)
        if self.as_app:
            runs = lambda: commit.get_check_runs(check_name=STATUS_CONTEXT).totalCount  # noqa: E731
            return self._call("read the head's check runs", runs) > 0
        statuses = lambda: commit.get_combined_status().statuses  # noqa: E731
        return any(
            s.context == STATUS_CONTEXT for s in self._call("read the head's status", statuses)
        )

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

    def accepted(self, number: int) -> dict[str, Acceptance]:
        """The acceptances kept in the bot's own summary comment (the listing is reused when the
        summary is written)."""
        mine = self._summary(number)
        return acceptances_in(mine.body or "") if mine is not None else {}

    def may_maintain(self, login: str) -> bool:
        """Whether ``login`` has write, maintain or admin permission here (1 request; the
        legacy ``permission`` field says ``write`` for maintainers)."""
        level = self._call(
            "read a commenter's permission",
            lambda: self._repo.get_collaborator_permission(login),
        )
        return level in ("admin", "write")

    def reply(self, number: int, body: str) -> None:
        """A one-line answer to a command (not a summary: it carries no marker)."""
        issue = self._repo.get_issue(number)
        self._write("answer a command", lambda: issue.create_comment(body))

    def _summary(self, number: int) -> Any:
        """The bot's summary comment on the pull request, or None (1 request per 100 comments;
        asked once per job)."""
        if number in self._summaries:
            return self._summaries[number]
        issue = self._repo.get_issue(number)
        me = self.login()

        def find() -> Any:
            for seen, comment in enumerate(issue.get_comments()):
                if seen and seen % PER_PAGE == 0:
                    self.requests += 1
                if MARKER in (comment.body or "") and _author(comment) == me:
                    return comment
            return None

        self._summaries[number] = self._call("list PR comments", find)
        return self._summaries[number]

    def upsert_summary(self, number: int, body: str, create: bool = True) -> str:
        """Edit the bot's one summary comment in place, or create it (1-2 requests).

        Returns ``created``, ``edited``, ``unchanged`` (an identical body is not written again)
        or, with ``create`` off and no comment yet, ``absent``. A body over GitHub's 65,536
        characters is cut, so a huge PR still gets its comment.
        """
        if len(body) > MAX_COMMENT_CHARS:
            body = body[: MAX_COMMENT_CHARS - len(_CUT)] + _CUT
        mine = self._summary(number)
        if mine is None and not create:
            return "absent"
        if mine is None:
            issue = self._repo.get_issue(number)
            created = self._write("post the summary comment", lambda: issue.create_comment(body))
            self._summaries[number] = created
            return "created"
        if mine.body == body:
            return "unchanged"
        self._write("edit the summary comment", lambda: mine.edit(body))
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
            self._write("post the review", lambda: pr.create_review(commit, body, event, comments))
        except GitHubRefused as exc:
            if exc.status != 422 or not comments:
                raise
            self._write("post the review", lambda: pr.create_review(commit, body, event, []))

    def resolve_outdated(self, number: int, current: set[InlineNote]) -> int:
        """Resolve the bot's open review threads whose note the latest review no longer makes
        (GraphQL: 1 query per 100 threads, 1 mutation per thread); how many were resolved."""
        owner, name = self._repo.full_name.split("/", 1)
        me = self.login().removesuffix("[bot]")  # GraphQL names an App's bot without "[bot]"
        requester = self._github.requester
        outdated: list[str] = []
        after: str | None = None
        while True:
            variables = {"owner": owner, "name": name, "number": number, "after": after}
            _, data = self._call(
                "list review threads", partial(requester.graphql_query, _THREADS, variables)
            )
            threads = data["data"]["repository"]["pullRequest"]["reviewThreads"]
            for thread in threads["nodes"]:
                first = (thread["comments"]["nodes"] or [{}])[0]
                login = ((first.get("author") or {}).get("login") or "").removesuffix("[bot]")
                note = InlineNote(
                    first.get("path", ""), first.get("line") or 0, first.get("body", "")
                )
                mine = login == me and MARKER in note.body
                if mine and not thread["isResolved"] and note not in current:
                    outdated.append(thread["id"])
            if not threads["pageInfo"]["hasNextPage"]:
                break
            after = threads["pageInfo"]["endCursor"]
        for thread_id in outdated:
            self._write(
                "resolve an outdated review thread",
                partial(requester.graphql_query, _RESOLVE, {"thread": thread_id}),
            )
        return len(outdated)

    def dismiss_requested_changes(self, number: int, message: str) -> int:
        """Dismiss the bot's reviews that still request changes (1 request per 100 reviews,
        1 per dismissal); how many were dismissed."""
        pr = self._repo.get_pull(number)
        me = self.login()
        standing = self._call(
            "list reviews",
            lambda: [
                r for r in pr.get_reviews() if r.state == "CHANGES_REQUESTED" and _author(r) == me
            ],
        )
        for review in standing:
            self._write("dismiss a review", partial(review.dismiss, message))
        return len(standing)

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
        request). With a token: a commit status, since only Apps may create check runs. In a
        GitHub Action (whose token is an App's): a check run if the workflow grants
        `checks: write`, else a status.
        """
        if self.as_app or self._service.actions:
            try:
                return self._check_run(head_sha, state, description, summary, annotations)
            except GitHubRefused:
                if self.as_app:
                    raise  # the workflow grants no `checks: write`: a status instead
        self._write(
            "set the commit status",
            lambda: self._repo.get_commit(head_sha).create_status(
                state, description=description[:140], context=STATUS_CONTEXT
            ),
        )
        return "status"

    def _check_run(
        self,
        head_sha: str,
        state: str,
        description: str,
        summary: str,
        annotations: list[Annotation],
    ) -> str:
        conclusion = conclusion_of(state)
        output: dict[str, str | list[Annotation]] = {
            "title": description[:255],
            "summary": (summary or description)[:65000],
            "annotations": annotations[:50],
        }
        self._write(
            "create the check run",
            lambda: self._repo.create_check_run(
                STATUS_CONTEXT, head_sha, status="completed", conclusion=conclusion, output=output
            ),
        )
        return "check run"

    def default_branch(self) -> tuple[str, str]:
        """The repository's default branch and its web address, for links to lines (1 request)."""
        return self._call(
            "read the repository", lambda: (self._repo.default_branch, self._repo.html_url)
        )

    def own_issue(self, title: str) -> IssueState | None:
        """The oldest issue with this title that the bot's account opened, open or closed (1
        request per 100 issues of the bot's): one a stranger opened under the same title is not
        the bot's to edit, nor to read state from. Pull requests (issues too, to this API) are
        left out."""
        me = self.login()
        requester = self._github.requester
        url: str | None = f"{self._repo.url}/issues"
        params: dict[str, Any] | None = {
            "state": "all",
            "creator": me,
            "sort": "created",
            "direction": "asc",
            "per_page": PER_PAGE,
        }
        while url:
            headers, page = self._call(
                "list the bot's issues",
                partial(requester.requestJsonAndCheck, "GET", url, parameters=params),
            )
            for issue in page if isinstance(page, list) else []:
                author = (issue.get("user") or {}).get("login")
                if issue.get("title") == title and author == me and "pull_request" not in issue:
                    body, state = issue.get("body") or "", issue.get("state")
                    return IssueState(int(issue["number"]), str(body), state == "open")
            pages = parse_header_links(headers.get("link", ""))
            url = next((link["url"] for link in pages if link.get("rel") == "next"), None)
            params = None  # the next page's address carries them
        return None

    def open_issue(self, title: str, body: str) -> int:
        """A new issue (1 request); its number."""
        issue = self._write("open an issue", lambda: self._repo.create_issue(title, body=body))
        return issue.number

    def edit_issue(self, number: int, body: str, open: bool | None = None) -> None:
        """Rewrite an issue's body, and open or close it unless ``open`` is None (1 request)."""
        issue = self._repo.get_issue(number)  # lazy: no request
        if open is None:
            edit = partial(issue.edit, body=body)
        elif open:
            edit = partial(issue.edit, body=body, state="open", state_reason="reopened")
        else:
            edit = partial(issue.edit, body=body, state="closed", state_reason="completed")
        self._write("edit the issue", edit)
