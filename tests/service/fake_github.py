"""A fake GitHub REST API on 127.0.0.1: enough of it for one bot to review pull requests.

It is a real HTTP server in a thread, so PyGithub talks to it exactly as to api.github.com
(through ``base_url``). It serves list files per commit, keeps the comments, reviews, statuses and
check runs the bot posts, records every request, and can be told to fail the next requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str
    path: str
    body: Any


@dataclass
class Failure:
    method: str
    path_part: str
    status: int
    headers: dict[str, str]
    times: int


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
    tokens: list[str] = field(default_factory=list)
    # Who a personal token belongs to; installation tokens act as the App's bot account.
    users: dict[str, str] = field(default_factory=lambda: {"ghp_test": "paperbot-user"})
    app_slug: str = "paperbot"
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    next_id: int = 1000


class FakeGitHub:
    def __init__(self, repo: str = "Codertocat/Hello-World") -> None:
        self.state = State(repo)
        self.lock = threading.Lock()
        fake = self

        class Handler(_Handler):
            owner = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
        """A pull request whose list file is ``base_text`` at the merge base, ``head_text`` at head."""
        merge_base = merge_base or base_sha
        self.state.files[(path, merge_base)] = base_text
        self.state.files[(path, base_sha)] = base_text
        self.state.files[(path, head_sha)] = head_text
        self.state.pulls[number] = {"base": base_sha, "head": head_sha}
        self.state.merge_bases[(base_sha, head_sha)] = merge_base
        self.state.changed[(base_sha, head_sha)] = list(changed)

    def add_comment(self, number: int, body: str, login: str) -> None:
        """A comment someone else wrote on the pull request."""
        self.state.next_id += 1
        self.state.issue_comments.append(
            {
                "id": self.state.next_id,
                "issue": number,
                "url": f"{self.url}/repos/{self.state.repo}/issues/comments/{self.state.next_id}",
                "body": body,
                "user": _user(login),
            }
        )

    def add_review_comment(self, number: int, path: str, line: int, body: str, login: str) -> None:
        """A review comment someone else wrote on a line of the pull request."""
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

    def fail(
        self, method: str, path_part: str, status: int, times: int = 1, **headers: str
    ) -> None:
        """The next ``times`` matching requests answer ``status`` (with ``headers``)."""
        self.state.failures.append(Failure(method, path_part, status, headers, times))

    def calls(self, method: str | None = None, part: str = "") -> list[Call]:
        return [
            c for c in self.state.calls if (method is None or c.method == method) and part in c.path
        ]

    def writes(self) -> list[Call]:
        return [c for c in self.state.calls if c.method != "GET"]


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

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        fake = self.owner
        with fake.lock:
            fake.state.calls.append(Call(method, parts.path, body))
            failure = next(
                (
                    f
                    for f in fake.state.failures
                    if f.times > 0 and f.method == method and f.path_part in parts.path
                ),
                None,
            )
            if failure:
                failure.times -= 1
                self._send(failure.status, {"message": "fake failure"}, failure.headers)
                return
            who = _caller(fake, self.headers.get("Authorization", ""))
            status, payload = _route(fake, method, parts.path, query, body, who)
        self._send(status, payload)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(data)


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


def _route(
    fake: FakeGitHub, method: str, path: str, query: dict[str, str], body: Any, who: str | None
) -> tuple[int, Any]:
    state, base = fake.state, fake.url
    if method == "GET" and path == "/user":
        if who is None or who == "app" or who.endswith("[bot]"):
            return 403, {"message": "Resource not accessible by integration"}
        return 200, {**_user(who), "url": f"{base}/users/{who}"}
    if method == "GET" and path == "/app":
        if who != "app":
            return 401, {"message": "A JSON web token could not be decoded"}
        return 200, {"id": 1, "slug": state.app_slug, "name": "paperbot", "owner": _user("o")}
    repo_url = f"{base}/repos/{state.repo}"
    prefix = f"/repos/{state.repo}"
    if method == "POST" and (m := re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)):
        token = f"ghs_fake{len(state.tokens)}"
        state.tokens.append(token)
        return 201, {"token": token, "expires_at": "2099-01-01T00:00:00Z", "permissions": {}}
    if path == f"{prefix}/installation":
        return 200, {"id": 1, "app_id": 1}
    if not path.startswith(prefix + "/"):
        return 404, {"message": "Not Found"}
    rest = path[len(prefix) :]
    if method == "GET" and (m := re.fullmatch(r"/pulls/(\d+)", rest)):
        pull = state.pulls.get(int(m[1]))
        if pull is None:
            return 404, {"message": "Not Found"}
        return 200, {
            "url": f"{repo_url}/pulls/{m[1]}",
            "number": int(m[1]),
            "state": "open",
            "draft": False,
            "head": {"sha": pull["head"], "ref": "changes"},
            "base": {"sha": pull["base"], "ref": "master"},
        }
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
        return 200, [c for c in state.issue_comments if c["issue"] == int(m[1])]
    if (m := re.fullmatch(r"/issues/(\d+)/comments", rest)) and method == "POST":
        state.next_id += 1
        comment = {
            "id": state.next_id,
            "issue": int(m[1]),
            "url": f"{repo_url}/issues/comments/{state.next_id}",
            "body": body["body"],
            "user": _user(who or "anonymous"),
        }
        state.issue_comments.append(comment)
        return 201, comment
    if (m := re.fullmatch(r"/issues/comments/(\d+)", rest)) and method == "PATCH":
        comment = next(c for c in state.issue_comments if c["id"] == int(m[1]))
        comment["body"] = body["body"]
        return 200, comment
    if (m := re.fullmatch(r"/pulls/(\d+)/comments", rest)) and method == "GET":
        return 200, [c for c in state.review_comments if c["pull"] == int(m[1])]
    if (m := re.fullmatch(r"/pulls/(\d+)/reviews", rest)) and method == "POST":
        state.next_id += 1
        review = {"id": state.next_id, "pull": int(m[1]), **body}
        state.reviews.append(review)
        for note in body.get("comments", []):
            state.next_id += 1
            state.review_comments.append(
                {
                    "id": state.next_id,
                    "pull": int(m[1]),
                    "commit_id": body.get("commit_id"),
                    "user": _user(who or "anonymous"),
                    **note,
                }
            )
        return 200, {
            "id": review["id"],
            "state": body.get("event", "PENDING"),
            "body": body["body"],
        }
    if (m := re.fullmatch(r"/statuses/([0-9a-f]+)", rest)) and method == "POST":
        status = {"sha": m[1], **body}
        state.statuses.append(status)
        return 201, {"id": len(state.statuses), **status}
    if rest == "/check-runs" and method == "POST":
        state.check_runs.append(body)
        return 201, {"id": len(state.check_runs), **body}
    return 404, {"message": f"fake GitHub has no {method} {path}"}
