"""paperbot as a GitHub Action, against the fake GitHub, with GitHub's own event payloads: the
workflow token's rules (it posts as github-actions[bot], GET /user refuses it, check runs need
`checks: write`, a fork's `pull_request` run has a read-only token), one summary comment kept up to
date across runs, and the exit codes a workflow sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, NetSettings, ServiceSettings
from bot.errors import ConfigError, GitHubRefused, InputError
from bot.service.action import ACTIONS_LOGIN, run_action
from tests.history import pr_texts
from tests.service.conftest import BASE, HEAD, WEBHOOKS, payload
from tests.service.fake_github import FakeGitHub

TOKEN = "ghs_actions_token"  # a workflow's GITHUB_TOKEN: an installation token of GitHub Actions
PULL = 2  # the number in GitHub's example pull_request payloads


@pytest.fixture
def github() -> FakeGitHub:
    with FakeGitHub() as fake:
        fake.state.users[TOKEN] = ACTIONS_LOGIN
        fake.add_pull(PULL, BASE, HEAD, *pr_texts(74))  # a real PR that needs changes
        yield fake


def config(**settings) -> Config:
    service = ServiceSettings(github_write_interval=0.0, db_path=":memory:", **settings)
    return Config(net=NetSettings(enabled=False), service=service)


def env(github: FakeGitHub, event: str, path: Path, **more: str) -> dict[str, str]:
    return {
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": github.state.repo,
        **more,
    }


def event_file(tmp_path: Path, body: dict) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(body))
    return path


FORK_PR = WEBHOOKS / "pull_request.opened.fork.json"


def test_a_fork_pr_on_pull_request_target_gets_the_same_review_as_from_the_bot(github, tmp_path):
    code, done = run_action(config(), env(github, "pull_request_target", FORK_PR))
    assert code == 0 and "check run failure" in done
    (summary,) = github.summaries(PULL)
    assert summary["user"]["login"] == ACTIONS_LOGIN
    assert [r["commit_id"] for r in github.state.reviews] == [HEAD]
    assert [(r["name"], r["conclusion"]) for r in github.state.check_runs] == [
        ("paperbot", "failure")
    ]
    assert not github.calls("GET", "/user")  # the Actions token may not read it


def test_the_next_run_edits_the_one_summary_and_repeats_no_inline_comment(github, tmp_path):
    run_action(config(), env(github, "pull_request_target", FORK_PR))
    synchronize = payload("pull_request.synchronize")
    code, done = run_action(
        config(), env(github, "pull_request", event_file(tmp_path, synchronize))
    )
    assert code == 0 and "summary comment unchanged" in done
    assert len(github.summaries(PULL)) == 1 and len(github.state.reviews) == 1


def test_without_checks_write_the_result_is_a_commit_status(github):
    github.state.withheld[ACTIONS_LOGIN] = {"checks"}
    code, done = run_action(config(), env(github, "pull_request_target", FORK_PR))
    assert code == 0 and "status failure" in done
    assert not github.state.check_runs
    assert [s["context"] for s in github.statuses_of(HEAD)] == ["paperbot"]


def test_fail_on_error_fails_the_job_on_a_request_for_changes_only(github):
    code, _ = run_action(config(fail_on_error=True), env(github, "pull_request", FORK_PR))
    assert code == 1
    clean = pr_texts(74)[0]
    github.add_pull(PULL, BASE, HEAD, clean, clean)  # nothing wrong any more
    code, done = run_action(config(fail_on_error=True), env(github, "pull_request", FORK_PR))
    assert code == 0


def test_a_forks_pull_request_run_has_a_read_only_token_and_says_so(
    github, monkeypatch, capsys, tmp_path
):
    github.state.withheld[ACTIONS_LOGIN] = {"write"}
    with pytest.raises(GitHubRefused):
        run_action(config(), env(github, "pull_request", FORK_PR))
    for name, value in env(github, "pull_request", FORK_PR).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PAPERBOT_DB", str(tmp_path / "paperbot.sqlite3"))
    monkeypatch.setenv("PAPERBOT_GITHUB_WRITE_INTERVAL", "0")
    assert main(["action"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("paperbot: error: ") and "Resource not accessible" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("event", "name", "said"),
    [
        ("pull_request", "pull_request.labeled.json", "nothing to review (action 'labeled'"),
        ("pull_request", "pull_request.converted_to_draft.json", "nothing to review"),
        ("workflow_run", "ping.json", "nothing to do"),
    ],
)
def test_events_that_need_no_review_end_the_job_green_and_say_why(github, event, name, said):
    code, done = run_action(config(), env(github, event, WEBHOOKS / name))
    assert code == 0 and said in done and not github.writes()


def test_a_closed_pr_is_not_reviewed(github):
    github.close(PULL)
    code, done = run_action(config(), env(github, "pull_request", FORK_PR))
    assert code == 0 and "closed" in done and not github.writes()


def test_missing_token_or_unreadable_payload_are_clear_input_errors(github, tmp_path):
    no_token = env(github, "pull_request", FORK_PR)
    del no_token["GITHUB_TOKEN"]
    with pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        run_action(config(), no_token)
    with pytest.raises(InputError, match="cannot read the event payload"):
        run_action(config(), env(github, "pull_request", tmp_path / "absent.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        run_action(config(), env(github, "pull_request", broken))
    with pytest.raises(InputError, match="GITHUB_EVENT_PATH"):
        run_action(config(), {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_TOKEN": TOKEN})
