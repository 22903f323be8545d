"""Attack 9: signed deliveries and configuration files that are valid enough to pass the first
checks and wrong inside: fields of the wrong type, JSON nested thousands deep, a 5,000-digit
number, a deeply nested TOML. Each gets one clear line, never a traceback."""

from __future__ import annotations

import copy

import pytest
from flask.testing import FlaskClient

from bot.config import parse_criteria
from bot.errors import ConfigError
from bot.service.queue import Queue
from tests.service.conftest import deliver, payload

OPENED = payload("pull_request.opened")


def mutated(path: str, value: object) -> dict:
    body = copy.deepcopy(OPENED)
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[key]
    target[last] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        ("number", "2", "number must be a pull request number"),
        ("number", True, "number must be a pull request number"),
        ("number", 10**30, "number must be a pull request number"),
        ("repository.full_name", ["a", "b"], "repository.full_name must be str"),
        ("repository.full_name", "../../etc", "repository.full_name is not OWNER/REPO"),
        ("repository", "Codertocat/Hello-World", "repository.full_name must be str"),
        ("pull_request", [], "pull_request must be dict"),
        ("pull_request.head", None, "pull_request.head.sha must be str"),
        ("pull_request.head.sha", "HEAD~1; rm -rf /", "pull_request.head.sha is not a commit"),
        ("pull_request.base.sha", 12345, "pull_request.base.sha must be str"),
        ("repository.full_name", "a/..", "repository.full_name is not OWNER/REPO"),
        ("repository.full_name", "./.", "repository.full_name is not OWNER/REPO"),
        ("installation", {"id": "1"}, "installation.id must be int"),
        ("installation", {"id": 2**63}, "installation.id is not an installation"),
        ("installation", {"id": -1}, "installation.id is not an installation"),
        ("pull_request.draft", "true", "pull_request.draft must be bool"),
        ("pull_request.state", 1, "pull_request.state must be str"),
        ("action", {"opened": True}, "action must be str"),
    ],
)
def test_an_ill_typed_field_is_a_400_naming_it(
    client: FlaskClient, queue: Queue, path: str, value: object, error: str
) -> None:
    answer = deliver(client, "pull_request", mutated(path, value))
    assert answer.status_code == 400
    assert answer.get_json() == {"error": f"pull_request delivery: {error}"}
    assert queue.depth() == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "body is JSON nested too deeply"),
        (b'{"number": ' + b"9" * 5000 + b"}", "body is not JSON"),
        (b"\xff\xfe{}", "body is not JSON"),
    ],
)
def test_unreadable_json_is_a_400_not_a_crash(client: FlaskClient, body: bytes, error: str) -> None:
    answer = deliver(client, "pull_request", body)
    assert answer.status_code == 400 and answer.get_json() == {"error": error}


@pytest.mark.parametrize("delivery", ["", "x" * 500, "a b", "d-1;/../x", "<script>"])
def test_a_delivery_id_that_is_no_delivery_id_is_refused(
    client: FlaskClient, delivery: str
) -> None:
    answer = deliver(client, "pull_request", OPENED, delivery=delivery)
    assert answer.status_code == 400 and "X-GitHub-Delivery" in answer.get_json()["error"]


@pytest.mark.parametrize(
    "toml",
    [
        "x = " + "[" * 5000 + "]" * 5000,
        "x = " + "{a = " * 3000 + "1" + "}" * 3000,
        "[list]\ntop_cap = " + "9" * 5000,
    ],
)
def test_an_unreadable_config_file_is_one_line_naming_the_file(toml: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_criteria(toml, ".github/paperbot.toml")
    assert str(caught.value).startswith(".github/paperbot.toml: cannot be read")
    assert "\n" not in str(caught.value)
