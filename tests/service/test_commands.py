"""Maintainers' commands in pull request comments, end to end against the fake GitHub: through a
signed `issue_comment` delivery and the queue worker, and through the GitHub Action. Who may run
one is asked of GitHub; a stranger gets a polite refusal; an accepted rule no longer counts and
stays accepted on the next push; text that only looks like a command (in code, in a quote) is
none, and the bot never obeys itself."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.model import Acceptance
from bot.service.action import ACTIONS_LOGIN, run_action
from bot.service.commands import Command, command_in
from bot.service.post import MARKER, acceptances_in, marked, with_acceptances
from bot.service.worker import process_one
from tests.history import pr_texts
from tests.service.conftest import BASE, HEAD, deliver, payload
from tests.service.fake_github import FakeGitHub
from tests.service.test_action import TOKEN, config, env

PULL = 1  # the number of GitHub's example issue_comment payload
MAINTAINER = "Codertocat"  # its author


def comment(body: str, login: str = MAINTAINER, kind: str = "User") -> dict:
    event = copy.deepcopy(payload("issue_comment.created.pull_request"))
    event["comment"]["body"] = body
    event["comment"]["user"]["login"] = login
    event["comment"]["user"]["type"] = kind
    return event


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/paperbot recheck", Command("recheck")),
        ("Thanks!\n  /paperbot accept citations  new paper, counts lag\n", Command("accept", "citations", "new paper, counts lag")),
        ("/paperbot accept citations", Command("unknown", reason="accept citations")),
        ("/paperbot frobnicate", Command("unknown", reason="frobnicate")),
        ("please run /paperbot recheck", None),
        ("> /paperbot recheck", None),
        ("```\n/paperbot recheck\n```", None),
        ("~~~~md\n/paperbot recheck\n~~~~\n", None),
        ("    /paperbot recheck", None),
        ("<!--\n/paperbot recheck\n-->", None),
        ("/paperbotrecheck", None),
        ("thanks\u2028/paperbot recheck", None),  # one line to GitHub, whatever Python thinks
        ("thanks\x85/paperbot recheck", None),
        ("thanks\r\n/paperbot recheck\r\n", Command("recheck")),
        ("thanks\r/paperbot recheck", Command("recheck")),  # a lone CR ends a line too
        ("```\ncode\n```\n/paperbot recheck", Command("recheck")),
    ],
)  # fmt: skip
def test_a_command_counts_at_the_start_of_a_line_outside_code_quotes_and_comments(body, expected):
    assert command_in(body) == expected


@given(st.text(max_size=300))
def test_any_comment_text_is_read_without_an_exception(body):
    found = command_in(body)
    assert found is None or found.name in ("recheck", "accept", "unknown")


@pytest.fixture
def fake_github() -> FakeGitHub:  # the one the service fixtures (config, client) talk to
    with FakeGitHub() as fake:
        fake.state.permissions[MAINTAINER] = "write"
        fake.add_pull(PULL, BASE, HEAD, *pr_texts(74))  # asks for changes: balance, section
        yield fake


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:
    return fake_github


def summary_of(github: FakeGitHub) -> str:
    (summary,) = github.summaries(PULL)
    return summary["body"]


def test_a_maintainer_accepts_a_rule_through_the_service_and_a_later_push_keeps_it(
    github, client, queue, config
):
    deliver(client, "pull_request", _pushed(HEAD), "d-push")
    assert process_one(config, queue) == "done"
    assert (
        "request changes" in summary_of(github).lower()
        or github.state.statuses[-1]["state"] == "failure"
    )
    answer = deliver(
        client,
        "issue_comment",
        comment("/paperbot accept balance it is 101 until #75"),
        "d-c1",
    )
    assert answer.status_code == 202
    assert process_one(config, queue) == "done"
    body = summary_of(github)
    assert "`balance` accepted by @Codertocat" in body
    assert acceptances_in(body)["balance"].by == MAINTAINER
    assert github.calls("GET", f"/collaborators/{MAINTAINER}/permission")
    # a later push: the acceptance stays
    newer = "b" * 40
    base, head = pr_texts(74)
    github.add_pull(PULL, BASE, newer, base, head)
    deliver(client, "pull_request", _pushed(newer), "d-push-2")
    assert process_one(config, queue) == "done"
    assert "accepted by @Codertocat" in summary_of(github)
    assert len(github.summaries(PULL)) == 1


def _pushed(head: str) -> dict:
    body = payload("pull_request.synchronize")
    body["number"] = body["pull_request"]["number"] = PULL
    body["pull_request"]["head"]["sha"] = body["after"] = head
    body["pull_request"]["base"]["sha"] = BASE
    return body


def test_an_accepted_rule_no_longer_counts_towards_the_verdict(github, client, queue, config):
    deliver(client, "pull_request", _pushed(HEAD), "d-push")
    process_one(config, queue)
    failing = [s["state"] for s in github.state.statuses]
    for n, rule in enumerate(("balance", "section")):
        deliver(client, "issue_comment", comment(f"/paperbot accept {rule} agreed"), f"d-a{n}")
        process_one(config, queue)
    assert failing[-1] == "failure"
    assert github.state.statuses[-1]["state"] == "success"


def test_someone_without_write_access_is_refused_politely_and_nothing_changes(
    github, client, queue, config
):
    github.state.permissions.pop(MAINTAINER)
    deliver(client, "issue_comment", comment("/paperbot recheck"), "d-c1")
    assert process_one(config, queue) == "done"
    (reply,) = [c for c in github.state.issue_comments if MARKER not in c["body"]]
    assert reply["body"].startswith("@Codertocat thanks!") and "\n" not in reply["body"]
    assert len(github.state.issue_comments) == 1 and not github.state.statuses


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (comment("/paperbot recheck", login="paperbot[bot]", kind="Bot"), "a bot"),
        ({**comment("/paperbot recheck"), "action": "edited"}, "an edit"),
        ({**comment("/paperbot recheck"), "issue": payload("issue_comment.created")["issue"]}, "an issue"),
        (comment("> /paperbot recheck"), "a quote"),
    ],
)  # fmt: skip
def test_comments_that_are_no_command_are_answered_200_and_queue_nothing(client, queue, event, why):
    answer = deliver(client, "issue_comment", event, "d-x")
    assert answer.status_code == 200, why
    assert queue.counts()["queued"] == 0


def test_a_malformed_comment_delivery_is_a_400_naming_the_field(client):
    event = comment("/paperbot recheck")
    event["comment"]["user"]["login"] = "bad login <script>"
    answer = deliver(client, "issue_comment", event, "d-x")
    assert answer.status_code == 400 and "comment.user.login" in answer.get_json()["error"]


def test_a_recheck_by_a_maintainer_reviews_the_current_head_now(github, client, queue, config):
    """(Its network answers are asked afresh: test_a_fresh_gathering_asks_again_... in
    tests/net/test_netcheck.py.)"""
    deliver(client, "issue_comment", comment("/paperbot recheck"), "d-c1")
    assert process_one(config, queue) == "done"
    assert [s["sha"] for s in github.state.statuses] == [HEAD]
    assert len(github.summaries(PULL)) == 1


def test_the_action_runs_a_command_from_an_issue_comment_event(github, tmp_path: Path):
    github.state.users[TOKEN] = ACTIONS_LOGIN
    path = tmp_path / "event.json"
    path.write_text(json.dumps(comment("/paperbot accept balance agreed with the authors")))
    code, done = run_action(config(), env(github, "issue_comment", path))
    assert code == 0 and "summary comment created" in done
    assert "accepted by @Codertocat" in summary_of(github)
    path.write_text(json.dumps(comment("/paperbot recheck", login=ACTIONS_LOGIN, kind="Bot")))
    code, done = run_action(config(), env(github, "issue_comment", path))
    assert code == 0 and "no command" in done


def test_an_acceptance_is_read_only_where_the_bot_writes_it():
    real = with_acceptances(marked("### review"), {"balance": Acceptance("balance", "a", "ok")})
    assert acceptances_in(real)["balance"].by == "a"
    forged_line = real.split("\n")[1]
    quoted = marked(f"### review\n```\n{forged_line}\n```")  # a stranger's text, fenced
    assert acceptances_in(quoted) == {}
    assert acceptances_in(f"{MARKER}\n<!-- paperbot:accepted !!notbase64 -->\n") == {}
    assert acceptances_in(f"{MARKER}\n<!-- paperbot:accepted {'A' * 20} -->\n") == {}
