"""What an earlier review left must not look current: after a push that fixes a finding, the bot's
old review thread is resolved and its request for changes dismissed; when a pull request stops
changing the list, the summary comment says so."""

from __future__ import annotations

from bot.config import Config
from bot.service.job import run_review
from tests.history import pr_texts
from tests.listedit import insert_after
from tests.service.conftest import BASE, REPO
from tests.service.fake_github import FakeGitHub

PUSH_1, PUSH_2 = "1" * 40, "2" * 40
VIDEO = (
    "- **Fully Context Aware Video Prediction** (2017), W. Byeon et al. "
    "[[pdf]](https://arxiv.org/pdf/1710.08518.pdf)"
)


def test_a_fixed_finding_resolves_the_bots_thread_and_dismisses_its_request_for_changes(
    config: Config, fake_github: FakeGitHub
) -> None:
    base, head = pr_texts(74)  # adds a 2017 paper to the full top 100: request changes
    fake_github.state.files[(".github/paperbot.toml", BASE)] = (
        '[review]\nevent = "REQUEST_CHANGES"\n'
    )
    fake_github.add_pull(2, BASE, PUSH_1, base, head)
    run_review(config, REPO, 2, PUSH_1)
    (first,) = fake_github.state.reviews
    assert first["state"] == "CHANGES_REQUESTED" and len(first["comments"]) == 1
    fixed = insert_after(base, "### New papers", VIDEO)  # the paper moved to New papers
    fake_github.add_pull(2, BASE, PUSH_2, base, fixed)
    done = run_review(config, REPO, 2, PUSH_2)
    assert "1 outdated review threads resolved" in done and "dismissed" in done
    (thread,) = fake_github.state.resolved_threads
    assert thread == f"T_{fake_github.state.review_comments[0]['id']}"
    assert first["state"] == "DISMISSED"
    assert [s["state"] for s in fake_github.statuses_of(PUSH_2)] == ["success"]


def test_a_standing_finding_keeps_its_thread_open(config: Config, fake_github: FakeGitHub) -> None:
    base, head = pr_texts(74)
    fake_github.add_pull(2, BASE, PUSH_1, base, head)
    run_review(config, REPO, 2, PUSH_1)
    fake_github.add_pull(2, BASE, PUSH_2, base, head + "\n")  # a push that changes nothing read
    done = run_review(config, REPO, 2, PUSH_2)
    assert "resolved" not in done and fake_github.state.resolved_threads == set()


def test_when_a_pull_request_stops_changing_the_list_the_summary_says_so(
    config: Config, fake_github: FakeGitHub
) -> None:
    base, head = pr_texts(74)
    fake_github.add_pull(2, BASE, PUSH_1, base, head)
    run_review(config, REPO, 2, PUSH_1)
    fake_github.add_pull(2, BASE, PUSH_2, base, base, changed=("fetch_papers.py",))
    run_review(config, REPO, 2, PUSH_2)
    (summary,) = fake_github.summaries(2)
    assert "does not change `README.md` (any more)" in summary["body"]
    assert len(fake_github.state.resolved_threads) == 1  # its note no longer stands
