"""The ``paperbot`` command, run as a user runs it: a process of its own, its output and exit code.

The environment passes through (so coverage follows the subprocess), minus any paperbot or GitHub
setting of the machine running the tests: each test sets what it needs.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from bot.service.queue import Queue
from tests.history import pr_texts
from tests.net.links.conftest import Site, status
from tests.service.conftest import BASE, HEAD, REPO
from tests.service.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]


# Where PYTHONDONTWRITEBYTECODE is set, every process would compile PyGithub, Flask and the rest
# again (about a second each): the test processes share one bytecode cache instead.
PYCACHE = Path(tempfile.gettempdir()) / "paperbot-tests-pycache"


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "GITHUB_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return {**env, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(PYCACHE), **settings}


def paperbot(*args: str, cwd: Path | None = None, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        env=environment(**settings),
        timeout=60,
    )


def start(*args: str, **settings: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(**settings),
    )


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def pr80(tmp_path):
    base, head = pr_texts(80)
    (tmp_path / "base.md").write_text(base)
    (tmp_path / "head.md").write_text(head)
    return tmp_path


def test_review_of_an_unbalanced_pr_exits_1_with_markdown(pr80):
    run = paperbot("review", str(pr80 / "base.md"), str(pr80 / "head.md"), "--offline")
    assert run.returncode == 1
    assert "Changes requested" in run.stdout and "balance" in run.stdout
    assert run.stderr == ""


def test_review_json_output(pr80):
    run = paperbot(
        "review", str(pr80 / "base.md"), str(pr80 / "head.md"), "--offline", "--format", "json"
    )
    data = json.loads(run.stdout)
    assert data["verdict"] == "request_changes"
    assert data["changes"]["added"][0]["title"].startswith("U-Net")


def test_a_clean_change_exits_0(tmp_path):
    base, head = pr_texts(55)
    (tmp_path / "b.md").write_text(base)
    (tmp_path / "h.md").write_text(head)
    run = paperbot("review", str(tmp_path / "b.md"), str(tmp_path / "h.md"), "--offline")
    assert run.returncode == 0 and "Looks good" in run.stdout


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory):
    """A repository whose last commit is PR #80's change to README.md."""
    base, head = pr_texts(80)
    repo = tmp_path_factory.mktemp("repo")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / "README.md").write_text(base)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    (repo / "README.md").write_text(head)
    subprocess.run([*git, "commit", "-qam", "head"], cwd=repo, check=True)
    return repo


def test_git_revisions_are_read_from_the_current_repository(git_repo):
    run = paperbot("review", "HEAD~1:README.md", "HEAD:README.md", "--offline", cwd=git_repo)
    assert run.returncode == 1 and "U-Net" in run.stdout


def test_a_revision_git_does_not_have_is_a_clear_error(git_repo):
    bad = paperbot("review", "HEAD~5:README.md", "HEAD:README.md", "--offline", cwd=git_repo)
    assert bad.returncode == 2 and bad.stderr.startswith("paperbot: error: HEAD~5:README.md")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file"),
        ("binary", "not UTF-8"),
        ("prose", "not a markdown paper list"),
        ("badconfig", "list.top_cap"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(pr80, setup, message):
    args = [str(pr80 / "base.md"), str(pr80 / "head.md"), "--offline"]
    if setup == "missing":
        args[1] = str(pr80 / "nope.md")
    elif setup == "binary":
        (pr80 / "head.md").write_bytes(b"\xff\xfe\x00binary")
    elif setup == "prose":
        (pr80 / "head.md").write_text("just prose, no list\n")
    else:
        (pr80 / "cfg.toml").write_text("[list]\ntop_cap = 'x'\n")
        args += ["--config", str(pr80 / "cfg.toml")]
    run = paperbot("review", *args)
    assert run.returncode == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr and run.stdout == ""


# paperbot audit


@pytest.fixture
def site():
    s = Site("127.0.0.1")
    yield s
    s.close()


@pytest.fixture
def two_links(site, tmp_path):
    ok, gone = site.route("/paper", status(200)), site.route("/gone", status(404))
    listed = tmp_path / "list.md"
    listed.write_text(f"# Papers\n\n- A (2015), B. [[pdf]]({ok})\n- C (2015), D. [[pdf]]({gone})\n")
    return listed, gone


def test_audit_reports_the_broken_link_and_exits_1(two_links):
    listed, gone = two_links
    run = paperbot("audit", str(listed), "--allow-private")
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"{listed}:4: broken: {gone} (404 Not Found)",
        "2 links: 1 ok, 1 broken, 0 unverified, 0 skipped",
    ]


def test_audit_jsonl_has_one_object_per_link(two_links):
    listed, _ = two_links
    run = paperbot("audit", str(listed), "--allow-private", "--format", "jsonl")
    assert run.returncode == 1
    assert [json.loads(line)["status"] for line in run.stdout.splitlines()] == ["ok", "broken"]


def test_audit_without_allow_private_skips_loopback_and_exits_0(site, tmp_path):
    listed = tmp_path / "list.md"
    listed.write_text(f"# Papers\n\n- A (2015), B. [[pdf]]({site.route('/gone', status(404))})\n")
    run = paperbot("audit", str(listed))
    assert run.returncode == 0 and "skipped" in run.stdout and "loopback" in run.stdout
    assert site.requests == []


# paperbot review-pr


@pytest.fixture
def github():
    with FakeGitHub() as fake:
        fake.add_pull(2, BASE, HEAD, *pr_texts(80))
        yield fake


def test_review_pr_dry_run_prints_what_would_be_posted_and_posts_nothing(github):
    run = paperbot(
        "review-pr", REPO, "2", "--dry-run", GITHUB_API_URL=github.url, PAPERBOT_NET_ENABLED="0"
    )
    assert run.returncode == 0, run.stderr
    assert f"paperbot review of {REPO}#2 at {HEAD[:12]}" in run.stdout
    assert "status: failure: paperbot: 1 error" in run.stdout and "U-Net" in run.stdout
    assert github.writes() == []


def test_review_pr_exits_3_while_github_is_unavailable(github):
    github.fail("GET", "/pulls/2", 502, times=5)
    run = paperbot("review-pr", REPO, "2", GITHUB_API_URL=github.url, GITHUB_TOKEN="ghp_test")
    assert run.returncode == 3
    assert run.stderr.startswith("paperbot: GitHub is unavailable, try again later:")
    assert "Traceback" not in run.stderr and github.writes() == []


def test_review_pr_exits_4_when_github_refuses(github):
    run = paperbot("review-pr", REPO, "7", GITHUB_API_URL=github.url, GITHUB_TOKEN="ghp_test")
    assert run.returncode == 4
    assert run.stderr.startswith("paperbot: error: read pull request #7: GitHub answered 404")
    assert len(run.stderr.splitlines()) == 1


def test_review_pr_refuses_a_malformed_repository_name():
    run = paperbot("review-pr", "no-slash", "2")
    assert run.returncode == 2 and "expected OWNER/REPO" in run.stderr


# paperbot worker and paperbot serve


def test_worker_reviews_a_queued_job_and_stops_on_sigterm(github, tmp_path):
    db = str(tmp_path / "paperbot.sqlite3")
    Queue(db).enqueue("d-1", REPO, 2, HEAD, BASE)
    worker = start(
        "worker",
        PAPERBOT_DB=db,
        GITHUB_API_URL=github.url,
        GITHUB_TOKEN="ghp_test",
        PAPERBOT_NET_ENABLED="false",
        PAPERBOT_GITHUB_WRITE_INTERVAL="0",
    )
    try:
        wait_for(lambda: Queue(db).counts()["done"] == 1)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=10)
    assert worker.returncode == 0, err
    assert [s["state"] for s in github.state.statuses] == ["failure"]
    assert len(github.state.issue_comments) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_and_deliveries_until_interrupted(tmp_path):
    port = free_port()
    server = start(
        "serve", "--port", str(port), PAPERBOT_DRY_RUN="true", PAPERBOT_DB=str(tmp_path / "q.db")
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(healthy)
        ping = httpx.post(
            f"{url}/webhook",
            content=b'{"zen": "Keep it logically awesome."}',
            headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1"},
        )
        assert ping.status_code == 200 and ping.json()["zen"] == "Keep it logically awesome."
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)
    assert server.returncode == 0


def test_serve_without_a_secret_refuses_to_start_with_one_line(tmp_path):
    run = paperbot("serve", "--port", str(free_port()), PAPERBOT_DB=str(tmp_path / "q.db"))
    assert run.returncode == 2
    assert "GITHUB_WEBHOOK_SECRET is not set" in run.stderr and "Traceback" not in run.stderr
