import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.history import pr_texts

ROOT = Path(__file__).resolve().parents[1]


def paperbot(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


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


def test_git_revisions_are_read_from_the_current_repository(tmp_path):
    base, head = pr_texts(80)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "README.md").write_text(base)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=tmp_path, check=True)
    (tmp_path / "README.md").write_text(head)
    subprocess.run([*git, "commit", "-qam", "head"], cwd=tmp_path, check=True)
    run = paperbot("review", "HEAD~1:README.md", "HEAD:README.md", "--offline", cwd=tmp_path)
    assert run.returncode == 1 and "U-Net" in run.stdout
    bad = paperbot("review", "HEAD~5:README.md", "HEAD:README.md", "--offline", cwd=tmp_path)
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
