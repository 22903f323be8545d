"""paperbot as a GitHub Action (``paperbot action``): the workflow's event, read from the Actions
environment, handled as a webhook delivery would be, with the review run at once: no server, no
queue, no database to keep.

It never checks out or runs the pull request's code: the list is read through the API at the
PR's commits, and the rules come from the base branch. That is what makes it safe on
``pull_request_target``, the event fork pull requests need for a token that may comment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from bot.config import Config
from bot.errors import ConfigError, InputError
from bot.service.commands import command_of, run_command
from bot.service.job import Superseded, review_pull
from bot.service.payload import comment_event, ignore_reason, parse_json, pull_request_event
from bot.service.report import run_report

ACTIONS_LOGIN = "github-actions[bot]"  # who a workflow's GITHUB_TOKEN posts as
PULL_EVENTS = ("pull_request", "pull_request_target")
REPORT_EVENTS = ("schedule", "workflow_dispatch")  # the link report of the workflow's repository


def actions_config(config: Config, env: Mapping[str, str]) -> Config:
    """The service settings of a workflow run: its token and API, the Actions bot's login."""
    token = env.get("GITHUB_TOKEN") or config.service.github_token
    if not token:
        raise ConfigError("GITHUB_TOKEN is not set: pass `github-token` (default: github.token)")
    service = replace(
        config.service,
        github_token=token,
        app_id=None,
        private_key=None,
        github_api_url=env.get("GITHUB_API_URL") or config.service.github_api_url,
        bot_login=config.service.bot_login or ACTIONS_LOGIN,
        actions=True,
    )
    return replace(config, service=service)


def run_action(config: Config, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """Handle the workflow's event; (exit code, what was done). The exit code is 0 unless the
    review could not be posted (an error, raised) or, with ``fail-on-error``, it asks for
    changes: the verdict itself is in the check run or status."""
    env = os.environ if env is None else env
    event = env.get("GITHUB_EVENT_NAME", "")
    payload = _payload(env)
    config = actions_config(config, env)
    if event in PULL_EVENTS:
        pull = pull_request_event(payload)
        if why := ignore_reason(pull):
            return 0, f"{event}: nothing to review ({why})"
        try:
            outcome = review_pull(config, pull.repo, pull.number)
        except Superseded as exc:
            return 0, f"{event}: nothing to review ({exc})"
        failing = outcome.state == "failure" and config.service.fail_on_error
        return (1 if failing else 0), outcome.text
    if event == "issue_comment":
        comment = comment_event(payload)
        command = command_of(comment)
        if command is None:
            return 0, "issue_comment: no command for paperbot"
        return 0, run_command(config, comment.repo, comment.number, command, comment.author)
    if event in REPORT_EVENTS:
        repo = env.get("GITHUB_REPOSITORY", "")
        if repo.count("/") != 1:
            raise InputError(f"GITHUB_REPOSITORY is {repo!r}, not OWNER/REPO")
        return 0, run_report(config, repo)
    return 0, f"event {event!r}: paperbot has nothing to do for it"


def _payload(env: Mapping[str, str]) -> dict:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        raise InputError("GITHUB_EVENT_PATH is not set: `paperbot action` runs inside a workflow")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the event payload {path}: {exc.strerror}") from None
    return parse_json(raw)
