"""A fake GitHub API on 127.0.0.1 that enforces what GitHub enforces and the bot relies on.

It is a real HTTP server in a thread, so PyGithub talks to it exactly as to api.github.com
(through ``base_url``). Written from GitHub's REST and GraphQL documentation: comments carry their
author (``GET /user``, ``user.login``), review comments are accepted only on lines in the diff
(422 otherwise, as GitHub answers "line must be part of the diff"), lists are paginated with
``Link`` headers, statuses and check runs are kept per commit, review threads can be resolved and
reviews dismissed, and an App's webhook deliveries can be listed and redelivered. Tests script
faults: an answer code with headers (5xx, 429 or 403 with ``Retry-After``) or a held answer.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]]


@dataclass
class Call:
    method: str
    path: str
    body: Any
    at: float = 0.0


@dataclass
class Fault:
    method: str
    path_part: str
    status: int  # 0: hold the answer for ``hold`` seconds, then answer normally
    headers: dict[str, str]
    times: int
    hold: float = 0.0


@dataclass
class State:
    repo: str
    files: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, sha) -> text
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    merge_bases: dict[tuple[str, str], str] = field(default_factory=dict)
    changed: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    issue_comments: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    resolved_threads: set[str] = field(default_factory=set)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    redelivered: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    # Who a personal token belongs to; installation tokens act as the App's bot account.
    users: dict[str, str] = field(default_factory=lambda: {"ghp_test": "paperbot-user"})
    app_slug: str = "paperbot"
    # Permissions an account's token lacks, e.g. {"github-actions[bot]": {"checks"}} for a
    # workflow whose permissions block leaves out `checks: write`.
    withheld: dict[str, set[str]] = field(default_factory=dict)
    # Repository permissions by login, as GET .../collaborators/{login}/permission reports them
    # (a maintainer's is "write" there; its role_name says "maintain"). Others: "read".
    permissions: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    next_id: int = 1000
    default_branch: str = "master"
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> issue
    issues_enabled: bool = True  # Settings -> Features -> Issues


class FakeGitHub:
    def __init__(self, repo: str = "Codertocat/Hello-World") -> None:
        self.state = State(repo)
        self.lock = threading.Lock()
        # Called with a delivery when the App asks to redeliver it; answers the status code the
        # redelivery got (tests wire it to the bot). Without it a redelivery gets 202.
        self.on_redeliver: Callable[[dict[str, Any]], int] | None = None
        fake = self

        class Handler(_Handler):
            owner = fake

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a test sets up ------------------------------------------------------------------

    def add_pull(
        self,
        number: int,
        base_sha: str,
        head_sha: str,
        base_text: str,
        head_text: str,
        changed: tuple[str, ...] = ("README.md",),
        path: str = "README.md",
        merge_base: str | None = None,
    ) -> None:
        """A pull request whose list file is ``base_text`` at the merge base, ``head_text`` at head.
        Adding it again with another head is a push."""
        merge_base = merge_base or base_sha
        with self.lock:
            self.state.files[(path, merge_base)] = base_text
            self.state.files[(path, base_sha)] = base_text
            self.state.files[(path, head_sha)] = head_text
            old = self.state.pulls.get(number, {})
            self.state.pulls[number] = {
                "base": base_sha,
                "head": head_sha,
                "state": old.get("state", "open"),
                "draft": old.get("draft", False),
            }
            self.state.merge_bases[(base_sha, head_sha)] = merge_base
            self.state.changed[(base_sha, head_sha)] = list(changed)

    def close(self, number: int) -> None:
        self.state.pulls[number]["state"] = "closed"

    def put_file(self, path: str, text: str, ref: str | None = None) -> None:
        """A file as it is on a branch (the default branch unless ``ref`` names another)."""
        with self.lock:
            self.state.files[(path, ref or self.state.default_branch)] = text

    def add_issue(self, title: str, body: str, login: str, state: str = "open") -> int:
        """An issue someone opened; its number."""
        with self.lock:
            issue = _new_issue(self, title, body, login)
            issue.update(state=state, closed_at=_now_iso() if state == "closed" else None)
            return int(issue["number"])

    def issues_titled(self, title: str) -> list[dict[str, Any]]:
        return [i for _, i in sorted(self.state.issues.items()) if i["title"] == title]

    def add_comment(self, number: int, body: str, login: str) -> None:
        """A comment someone else wrote on the pull request."""
        with self.lock:
            self.state.issue_comments.append(self._comment(number, body, login))

    def add_review_comment(self, number: int, path: str, line: int, body: str, login: str) -> None:
        """A review comment someone else wrote on a line of the pull request."""
        with self.lock:
            self.state.next_id += 1
            self.state.review_comments.append(
                {
                    "id": self.state.next_id,
                    "pull": number,
                    "path": path,
                    "line": line,
                    "body": body,
                    "user": _user(login),
                }
            )

    def add_delivery(self, guid: str, status_code: int, event: str = "pull_request", **extra: Any):
        """A webhook delivery GitHub made, as the App's deliveries API lists it."""
        with self.lock:
            self.state.next_id += 1
            self.state.deliveries.append(
                {
                    "id": self.state.next_id,
                    "guid": guid,
                    "delivered_at": extra.pop("delivered_at", _now_iso()),
                    "redelivery": extra.pop("redelivery", False),
                    "duration": 0.1,
                    "status": "OK" if 0 < status_code < 400 else _failure_text(status_code),
                    "status_code": status_code,
                    "event": event,
                    "action": "opened",
                    "installation_id": 1,
                    "repository_id": 1,
                    **extra,
                }
            )

    def fail(
        self, method: str, path_part: str, status: int, times: int = 1, **headers: str
    ) -> None:
        """The next ``times`` matching requests answer ``status`` (with ``headers``)."""
        self.state.faults.append(Fault(method, path_part, status, headers, times))

    def hold(self, method: str, path_part: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` matching requests are answered only after ``seconds``."""
        self.state.faults.append(Fault(method, path_part, 0, {}, times, hold=seconds))

    # --- what a test reads --------------------------------------------------------------------

    def calls(self, method: str | None = None, part: str = "") -> list[Call]:
        return [
            c for c in self.state.calls if (method is None or c.method == method) and part in c.path
        ]

    def writes(self) -> list[Call]:
        return [c for c in self.state.calls if c.method not in ("GET",) and c.path != "/graphql"]

    def statuses_of(self, sha: str) -> list[dict[str, Any]]:
        return [s for s in self.state.statuses if s["sha"] == sha]

    def summaries(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.state.issue_comments if c["issue"] == number]

    def _comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        self.state.next_id += 1
        return {
            "id": self.state.next_id,
            "issue": number,
            "url": f"{self.url}/repos/{self.state.repo}/issues/comments/{self.state.next_id}",
            "body": body,
            "user": _user(login),
        }


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed with kill -9 mid-request is what some tests do: not worth a trace."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    owner: FakeGitHub
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body leave in one write: no Nagle / delayed-ACK stall per call
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the recorded calls are the log."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        fake = self.owner
        with fake.lock:
            fake.state.calls.append(Call(method, parts.path, body, time.monotonic()))
            fault = next(
                (
                    f
                    for f in fake.state.faults
                    if f.times > 0 and f.method == method and f.path_part in parts.path
                ),
                None,
            )
            if fault:
                fault.times -= 1
        if fault and fault.status:
            self._send(fault.status, {"message": "fake failure"}, fault.headers)
            return
        if fault:
            time.sleep(fault.hold)
        with fake.lock:
            who = _caller(fake, self.headers.get("Authorization", ""))
            read_only = "write" in fake.state.withheld.get(who or "", set())
            if read_only and (method != "GET" and not _is_query(parts.path, body)):
                # the token of a `pull_request` workflow run from a fork: read-only
                answer: Answer = (403, {"message": "Resource not accessible by integration"})
            else:
                answer = _route(fake, method, parts.path, query, body, who)
        self._send(*answer)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name.replace("_", "-"), value)
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller is gone (a killed bot): nothing to answer


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _is_query(path: str, body: Any) -> bool:
    """A GraphQL read (a POST that writes nothing)."""
    text = str((body or {}).get("query", "")) if isinstance(body, dict) else ""
    return path == "/graphql" and not text.lstrip().startswith("mutation")


def _user(login: str) -> dict[str, Any]:
    kind = "Bot" if login.endswith("[bot]") else "User"
    return {"login": login, "id": abs(hash(login)) % 10**8, "type": kind}


def _caller(fake: FakeGitHub, authorization: str) -> str | None:
    """The account a request acts as: a token's user, an installation's bot, "app" for a JWT."""
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return "app"
    if credential.startswith("ghs_fake"):
        return f"{fake.state.app_slug}[bot]"
    return fake.state.users.get(credential)


def _page(fake: FakeGitHub, path: str, query: dict[str, str], items: list[Any]) -> Answer:
    """One page of a list, with GitHub's ``Link`` header to the next and the last page."""
    per_page = max(1, min(100, int(query.get("per_page", 30))))
    page = max(1, int(query.get("page", 1)))
    last = max(1, -(-len(items) // per_page))
    links = []
    for rel, number in (("next", page + 1), ("last", last)):
        if page < last:
            url = f"{fake.url}{path}?{urlencode({**query, 'page': number})}"
            links.append(f'<{url}>; rel="{rel}"')
    chunk = items[(page - 1) * per_page : page * per_page]
    return (200, chunk, {"Link": ", ".join(links)}) if links else (200, chunk)


def diff_lines(base_text: str, head_text: str) -> set[int]:
    """Head lines a review comment may sit on: the lines of the diff's hunks (3 lines of context),
    as GitHub's "line must be part of the diff" rule has it."""
    lines: set[int] = set()
    hunks = difflib.unified_diff(base_text.split("\n"), head_text.split("\n"), n=3, lineterm="")
    for header in hunks:
        if match := re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", header):
            start, count = int(match[1]), int(match[2] or 1)
            lines.update(range(start, start + count))
    return lines


def _route(
    fake: FakeGitHub, method: str, path: str, query: dict[str, str], body: Any, who: str | None
) -> Answer:
    state = fake.state
    if path == "/graphql" and method == "POST":
        return _graphql(fake, body, who)
    if not path.startswith(f"/repos/{state.repo}"):
        return _app_routes(fake, method, path, query, who)
    return _repo_routes(fake, method, path[len(f"/repos/{state.repo}") :], query, body, who)


def _app_routes(
    fake: FakeGitHub, method: str, path: str, query: dict[str, str], who: str | None
) -> Answer:
    state, base = fake.state, fake.url
    if method == "GET" and path == "/user":
        if who is None or who == "app" or who.endswith("[bot]"):
            return 403, {"message": "Resource not accessible by integration"}
        return 200, {**_user(who), "url": f"{base}/users/{who}"}
    if path.startswith("/app") and who != "app":
        return 401, {"message": "A JSON web token could not be decoded"}
    if method == "GET" and path == "/app":
        return 200, {"id": 1, "slug": state.app_slug, "name": "paperbot", "owner": _user("o")}
    if method == "GET" and path == "/app/installations":
        return _page(fake, path, query, [{"id": 1, "app_id": 1, "account": _user("o")}])
    if method == "POST" and re.fullmatch(r"/app/installations/(\d+)/access_tokens", path):
        token = f"ghs_fake{len(state.tokens)}"
        state.tokens.append(token)
        return 201, {"token": token, "expires_at": "2099-01-01T00:00:00Z", "permissions": {}}
    if method == "GET" and path == "/installation/repositories":
        repo = {"id": 1, "full_name": state.repo, "name": state.repo.split("/")[1]}
        return 200, {"total_count": 1, "repositories": [repo]}
    if method == "GET" and path == "/app/hook/deliveries":
        newest_first = sorted(state.deliveries, key=lambda d: -d["id"])
        return _page(fake, path, query, newest_first)
    if method == "POST" and (m := re.fullmatch(r"/app/hook/deliveries/(\d+)/attempts", path)):
        delivery = next((d for d in state.deliveries if d["id"] == int(m[1])), None)
        if delivery is None:
            return 404, {"message": "Not Found"}
        state.redelivered.append(delivery["id"])

        def redeliver(delivery: dict[str, Any] = delivery) -> None:  # later, as GitHub does
            status = fake.on_redeliver(delivery) if fake.on_redeliver else 202
            fake.add_delivery(delivery["guid"], status, delivery["event"], redelivery=True)

        threading.Thread(target=redeliver, daemon=True).start()
        return 202, {}
    return 404, {"message": f"fake GitHub has no {method} {path}"}


def _failure_text(status_code: int) -> str:
    return "timed out" if status_code == 0 else f"Invalid HTTP Response: {status_code}"


def _pull_json(fake: FakeGitHub, number: int, pull: dict[str, Any]) -> dict[str, Any]:
    repo_url = f"{fake.url}/repos/{fake.state.repo}"
    return {
        "url": f"{repo_url}/pulls/{number}",
        "number": number,
        "state": pull["state"],
        "draft": pull["draft"],
        "head": {"sha": pull["head"], "ref": f"change-{number}"},
        "base": {"sha": pull["base"], "ref": "master"},
    }


def _repo_routes(
    fake: FakeGitHub, method: str, rest: str, query: dict[str, str], body: Any, who: str | None
) -> Answer:
    state = fake.state
    repo_url = f"{fake.url}/repos/{state.repo}"
    path = f"/repos/{state.repo}{rest}"
    if rest == "/installation":
        return 200, {"id": 1, "app_id": 1}
    if method == "GET" and rest == "":
        return 200, {
            "id": 1,
            "name": state.repo.split("/")[1],
            "full_name": state.repo,
            "url": repo_url,
            "html_url": f"https://github.com/{state.repo}",
            "default_branch": state.default_branch,
            "has_issues": state.issues_enabled,
            "private": False,
        }
    if rest == "/issues" or rest.startswith("/issues/") and "/comments" not in rest:
        return _issue_routes(fake, method, rest, path, query, body, who)
    if method == "GET" and rest == "/pulls":
        wanted = query.get("state", "open")
        pulls = [
            _pull_json(fake, n, p)
            for n, p in sorted(state.pulls.items())
            if wanted == "all" or p["state"] == wanted
        ]
        return _page(fake, path, query, pulls)
    if method == "GET" and (m := re.fullmatch(r"/pulls/(\d+)", rest)):
        pull = state.pulls.get(int(m[1]))
        return (200, _pull_json(fake, int(m[1]), pull)) if pull else (404, {"message": "Not Found"})
    if method == "GET" and (m := re.fullmatch(r"/compare/([0-9a-f]+)\.\.\.([0-9a-f]+)", rest)):
        key = (m[1], m[2])
        if key not in state.merge_bases:
            return 404, {"message": "Not Found"}
        return 200, {
            "url": f"{repo_url}/compare/{m[1]}...{m[2]}",
            "status": "ahead",
            "merge_base_commit": {"sha": state.merge_bases[key], "url": f"{repo_url}/commits/x"},
            "commits": [],
            "files": [{"filename": name, "status": "modified"} for name in state.changed[key]],
        }
    if method == "GET" and rest.startswith("/contents/"):
        name = rest[len("/contents/") :]
        text = state.files.get((name, query.get("ref", "")))
        if text is None:
            return 404, {"message": "Not Found"}
        data = text.encode()
        return 200, {
            "type": "file",
            "encoding": "base64",
            "name": name.rsplit("/", 1)[-1],
            "path": name,
            "size": len(data),
            "sha": hashlib.sha1(data).hexdigest(),
            "url": f"{repo_url}/contents/{name}",
            "content": base64.b64encode(data).decode(),
        }
    if (m := re.fullmatch(r"/issues/(\d+)/comments", rest)) and method == "GET":
        return _page(
            fake, path, query, [c for c in state.issue_comments if c["issue"] == int(m[1])]
        )
    if (m := re.fullmatch(r"/issues/(\d+)/comments", rest)) and method == "POST":
        comment = fake._comment(int(m[1]), body["body"], who or "anonymous")
        state.issue_comments.append(comment)
        return 201, comment
    if (m := re.fullmatch(r"/issues/comments/(\d+)", rest)) and method == "PATCH":
        comment = next(c for c in state.issue_comments if c["id"] == int(m[1]))
        comment["body"] = body["body"]
        return 200, comment
    if (m := re.fullmatch(r"/pulls/(\d+)/comments", rest)) and method == "GET":
        found = [c for c in state.review_comments if c["pull"] == int(m[1])]
        return _page(fake, path, query, found)
    if (m := re.fullmatch(r"/pulls/(\d+)/reviews", rest)) and method == "POST":
        return _create_review(fake, int(m[1]), body, who)
    if (m := re.fullmatch(r"/pulls/(\d+)/reviews", rest)) and method == "GET":
        return _page(fake, path, query, [r for r in state.reviews if r["pull"] == int(m[1])])
    if method == "PUT" and (m := re.fullmatch(r"/pulls/(\d+)/reviews/(\d+)/dismissals", rest)):
        review = next((r for r in state.reviews if r["id"] == int(m[2])), None)
        if review is None or review["state"] != "CHANGES_REQUESTED":
            return 422, {"message": "Can not dismiss a review that is not requesting changes"}
        review["state"] = "DISMISSED"
        return 200, review
    if (m := re.fullmatch(r"/statuses/([0-9a-f]+)", rest)) and method == "POST":
        status = {"sha": m[1], "user": _user(who or "anonymous"), **body}
        state.statuses.append(status)
        return 201, {"id": len(state.statuses), **status}
    if (m := re.fullmatch(r"/commits/([0-9a-f]+)/status", rest)) and method == "GET":
        mine = [s for s in state.statuses if s["sha"] == m[1]]
        latest = {s["context"]: s for s in mine}  # GitHub shows the latest per context
        return 200, {"sha": m[1], "state": "pending", "statuses": list(latest.values()),
                     "total_count": len(latest)}  # fmt: skip
    if (m := re.fullmatch(r"/collaborators/([^/]+)/permission", rest)) and method == "GET":
        level = state.permissions.get(m[1], "read")  # anyone may read a public repository
        role = {"admin": "admin", "write": "write", "read": "read"}.get(level, "none")
        return 200, {"permission": level, "role_name": role, "user": _user(m[1])}
    if rest == "/check-runs" and method == "POST":
        if who is None or not who.endswith("[bot]"):  # a user's token, even with every scope
            return 403, {"message": "You must authenticate via a GitHub App."}
        if "checks" in state.withheld.get(who, set()):  # the workflow's permissions: block
            return 403, {"message": "Resource not accessible by integration"}
        run = {"id": len(state.check_runs) + 1, **body}
        state.check_runs.append(run)
        return 201, run
    if (m := re.fullmatch(r"/commits/([0-9a-f]+)/check-runs", rest)) and method == "GET":
        runs = [
            r
            for r in state.check_runs
            if r["head_sha"] == m[1] and r["name"] == query.get("check_name", r["name"])
        ]
        return 200, {"total_count": len(runs), "check_runs": runs}
    return 404, {"message": f"fake GitHub has no {method} {path}"}


MAX_ISSUE_BODY = 65_536  # GitHub's limit on an issue's (and a comment's) body
ISSUE_STATES = ("open", "closed")
STATE_REASONS = ("completed", "not_planned", "reopened", None)


def _invalid(field_name: str, message: str) -> Answer:
    error = {"resource": "Issue", "code": "invalid", "field": field_name, "message": message}
    return 422, {"message": "Validation Failed", "errors": [error]}


def _new_issue(fake: FakeGitHub, title: str, body: str | None, login: str) -> dict[str, Any]:
    """Issues and pull requests share one sequence of numbers, as on GitHub."""
    state = fake.state
    number = max([0, *state.issues, *state.pulls]) + 1
    state.next_id += 1
    now = _now_iso()
    issue = {
        "id": state.next_id,
        "node_id": f"I_{state.next_id}",
        "url": f"{fake.url}/repos/{state.repo}/issues/{number}",
        "html_url": f"https://github.com/{state.repo}/issues/{number}",
        "number": number,
        "title": title,
        "body": body,
        "user": _user(login),
        "state": "open",
        "state_reason": None,
        "labels": [],
        "comments": 0,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
    }
    state.issues[number] = issue
    return issue


def _pull_as_issue(fake: FakeGitHub, number: int, pull: dict[str, Any]) -> dict[str, Any]:
    """A pull request as the issues API lists it: with a ``pull_request`` object."""
    pulls_url = f"{fake.url}/repos/{fake.state.repo}/pulls/{number}"
    return {
        "id": number,
        "url": f"{fake.url}/repos/{fake.state.repo}/issues/{number}",
        "number": number,
        "title": f"Change {number}",
        "body": "",
        "user": _user("Codertocat"),
        "state": pull["state"],
        "pull_request": {"url": pulls_url},
    }


def _issue_routes(
    fake: FakeGitHub,
    method: str,
    rest: str,
    path: str,
    query: dict[str, str],
    body: Any,
    who: str | None,
) -> Answer:
    """Create, read, edit and list issues, refusing what GitHub's REST API refuses."""
    state = fake.state
    writes = method in ("POST", "PATCH")
    if writes and not state.issues_enabled:
        return 410, {"message": "Issues are disabled for this repo"}
    if writes and who is None:
        return 401, {"message": "Requires authentication"}
    if writes and "issues" in state.withheld.get(who or "", set()):  # no `issues: write`
        return 403, {"message": "Resource not accessible by integration"}
    body = body if isinstance(body, dict) else {}
    if "body" in body and len(body["body"] or "") > MAX_ISSUE_BODY:
        return _invalid("body", "body is too long (maximum is 65536 characters)")
    if "title" in body and (not isinstance(body["title"], str) or not body["title"].strip()):
        return _invalid("title", "title can't be blank")
    if rest == "/issues" and method == "GET":
        wanted = query.get("state", "open")
        if wanted not in (*ISSUE_STATES, "all"):
            return _invalid("state", f"{wanted!r} is not a state")
        if query.get("sort", "created") not in ("created", "updated", "comments"):
            return _invalid("sort", "unknown sort")
        found = [*state.issues.values()]
        found += [_pull_as_issue(fake, n, p) for n, p in state.pulls.items()]
        creator = query.get("creator")
        found = [
            i
            for i in sorted(found, key=lambda i: i["number"], reverse=True)  # newest first
            if (wanted == "all" or i["state"] == wanted)
            and (creator is None or i["user"]["login"].lower() == creator.lower())
        ]
        if query.get("direction", "desc") == "asc":
            found.reverse()
        return _page(fake, path, query, found)
    if rest == "/issues" and method == "POST":
        if not isinstance(body.get("title"), str):
            error = {"resource": "Issue", "code": "missing_field", "field": "title"}
            return 422, {"message": "Validation Failed", "errors": [error]}
        return 201, _new_issue(fake, body["title"], body.get("body"), str(who))
    m = re.fullmatch(r"/issues/(\d+)", rest)
    number = int(m[1]) if m else 0
    issue = state.issues.get(number)
    if m and method == "GET" and issue is None and number in state.pulls:
        return 200, _pull_as_issue(fake, number, state.pulls[number])
    if issue is None and number in state.pulls:  # GitHub would edit the pull request
        return 404, {"message": f"fake GitHub has no {method} of a pull request as an issue"}
    if issue is None:
        return 404, {"message": "Not Found"}
    if method == "GET":
        return 200, issue
    if method != "PATCH":
        return 404, {"message": f"fake GitHub has no {method} {path}"}
    if body.get("state", issue["state"]) not in ISSUE_STATES:
        return _invalid("state", f"{body['state']!r} is not open or closed")
    if body.get("state_reason") not in STATE_REASONS:
        return _invalid("state_reason", f"{body['state_reason']!r} is not a state reason")
    was = issue["state"]
    issue.update({k: body[k] for k in ("title", "body", "state", "state_reason") if k in body})
    if issue["state"] != was:
        issue["closed_at"] = _now_iso() if issue["state"] == "closed" else None
    issue["updated_at"] = _now_iso()
    return 200, issue


def _create_review(fake: FakeGitHub, number: int, body: dict[str, Any], who: str | None) -> Answer:
    state = fake.state
    pull = state.pulls[number]
    merge_base = state.merge_bases[(pull["base"], pull["head"])]
    for note in body.get("comments", []):
        allowed = diff_lines(
            state.files.get((note["path"], merge_base), ""),
            state.files.get((note["path"], pull["head"]), ""),
        )
        if note.get("line") not in allowed:
            return 422, {
                "message": "Unprocessable Entity",
                "errors": ["Pull request review thread line must be part of the diff"],
            }
    state.next_id += 1
    event = body.get("event", "PENDING")
    review = {
        "id": state.next_id,
        "pull": number,
        "pull_request_url": f"{fake.url}/repos/{state.repo}/pulls/{number}",
        "user": _user(who or "anonymous"),
        "state": {"REQUEST_CHANGES": "CHANGES_REQUESTED", "APPROVE": "APPROVED"}.get(
            event, "COMMENTED"
        ),
        "commit_id": body.get("commit_id"),
        "body": body["body"],
        "event": event,
        "comments": body.get("comments", []),
    }
    state.reviews.append(review)
    for note in body.get("comments", []):
        state.next_id += 1
        state.review_comments.append(
            {
                "id": state.next_id,
                "pull": number,
                "commit_id": body.get("commit_id"),
                "user": _user(who or "anonymous"),
                "node_id": f"C_{state.next_id}",
                **note,
            }
        )
    return 200, {k: v for k, v in review.items() if k != "comments"}


def _graphql(fake: FakeGitHub, body: dict[str, Any], who: str | None) -> Answer:
    """The review-thread query and the resolve mutation the bot uses, as GitHub's schema has them."""
    state, query, variables = fake.state, body["query"], body.get("variables") or {}
    if "resolveReviewThread" in query:
        thread = variables["thread"]
        if not any(f"T_{c['id']}" == thread for c in state.review_comments):
            return 200, {"errors": [{"type": "NOT_FOUND", "message": "no such thread"}]}
        state.resolved_threads.add(thread)
        return 200, {
            "data": {"resolveReviewThread": {"thread": {"id": thread, "isResolved": True}}}
        }
    if "reviewThreads" in query:
        number = variables["number"]
        threads = [
            {
                "id": f"T_{c['id']}",
                "isResolved": f"T_{c['id']}" in state.resolved_threads,
                "isOutdated": False,
                "comments": {
                    "nodes": [
                        {
                            "author": {"login": c["user"]["login"].removesuffix("[bot]")},
                            "body": c["body"],
                            "path": c["path"],
                            "line": c["line"],
                        }
                    ]
                },
            }
            for c in state.review_comments
            if c["pull"] == number
        ]
        pr = {"reviewThreads": {"nodes": threads, "pageInfo": {"hasNextPage": False}}}
        return 200, {"data": {"repository": {"pullRequest": pr}}}
    return 200, {"errors": [{"message": f"fake GitHub does not know {query[:60]!r}"}]}
