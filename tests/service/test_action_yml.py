"""action.yml, run as a runner would run it: its `run:` steps, with the runner's expressions filled
in, in a fresh virtualenv, against the fake GitHub. Installing needs no network: the project's
dependencies (and setuptools, to build it) are lent by the test environment through a .pth file,
and pip is told not to look at an index."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import yaml

from bot.service.action import ACTIONS_LOGIN
from tests.history import pr_texts
from tests.service.conftest import BASE, HEAD, WEBHOOKS
from tests.service.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
TOKEN = "ghs_actions_token"


def expand(text: str, inputs: dict[str, str]) -> str:
    """The runner's `${{ ... }}` expressions this action uses."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name == "github.action_path":
            return str(ROOT)
        if name.startswith("inputs."):
            return inputs[name.removeprefix("inputs.")]
        raise AssertionError(f"an expression the test does not know: {name}")

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def test_the_action_is_composite_sets_up_python_and_installs_from_its_own_files():
    assert ACTION["runs"]["using"] == "composite"
    first, *steps = ACTION["runs"]["steps"]
    assert first["uses"].startswith("actions/setup-python@")
    assert float(ACTION["inputs"]["python-version"]["default"]) >= 3.11
    assert all(step["shell"] == "bash" for step in steps)
    assert ACTION["inputs"]["github-token"]["default"] == "${{ github.token }}"


def test_its_steps_review_a_fork_pr_on_pull_request_target(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    lent = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(lent, "lent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs["github-token"] = TOKEN
    with FakeGitHub() as github:
        github.state.users[TOKEN] = ACTIONS_LOGIN
        github.add_pull(2, BASE, HEAD, *pr_texts(74))
        runner = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "GITHUB_"))}
        runner.update(
            PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
            VIRTUAL_ENV=str(venv),
            PIP_NO_INDEX="1",  # offline: what the test environment lends is all there is
            PIP_NO_BUILD_ISOLATION="0",  # pip's spelling of "build without isolation"
            GITHUB_EVENT_NAME="pull_request_target",
            GITHUB_EVENT_PATH=str(WEBHOOKS / "pull_request.opened.fork.json"),
            GITHUB_API_URL=github.url,
            GITHUB_REPOSITORY=github.state.repo,
            PAPERBOT_NET_ENABLED="false",
            PAPERBOT_GITHUB_WRITE_INTERVAL="0",
        )
        outputs = []
        for step in ACTION["runs"]["steps"][1:]:
            step_env = {k: expand(str(v), inputs) for k, v in step.get("env", {}).items()}
            done = subprocess.run(
                ["bash", "-e", "-c", expand(step["run"], inputs)],
                env={**runner, **step_env},
                cwd=tmp_path,  # not the repository: paperbot must come from the install
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout)
        installed = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
            cwd=tmp_path, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert installed.startswith(str(venv))
        assert "check run failure" in outputs[-1]
        (summary,) = github.summaries(2)
        assert summary["user"]["login"] == ACTIONS_LOGIN
        assert [r["conclusion"] for r in github.state.check_runs] == ["failure"]
