"""The scheduled link report against the fake GitHub and a loopback web: one "Link report" issue
kept up to date, a link broken only after failing three reports in a row, the history in the
issue's hidden block (read only from the bot's own issue, and never trusted blindly), and the
three ways it runs: ``paperbot report``, the Action's ``schedule`` and ``workflow_dispatch``
events, and the worker every ``PAPERBOT_REPORT_INTERVAL_SECONDS``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.cli import main
from bot.config import Config, ServiceSettings, parse_criteria, parse_report
from bot.errors import ConfigError, GitHubRefused
from bot.service.action import ACTIONS_LOGIN, run_action
from bot.service.queue import Queue
from bot.service.report import (
    MAX_TRACKED,
    TITLE,
    Failing,
    LinkReport,
    LinkResult,
    advance,
    fitted,
    history_block,
    link_key,
    read_history,
    run_report,
    sort_results,
)
from bot.service.worker import LinkReports
from tests.net.links.conftest import FAST, Handler, Site, redirect, status
from tests.service.conftest import REPO, WEBHOOKS
from tests.service.fake_github import MAX_ISSUE_BODY, FakeGitHub

BOT = "paperbot-user"  # the fake's owner of the token ghp_test
ACTIONS_TOKEN = "ghs_actions_token"
ARXIV_KNOWN = {"1512.03385": "Deep Residual Learning for Image Recognition"}
DEAD_LINE = 5


def export_api(h: Handler) -> None:
    """arXiv's export API, as much of it as an audit asks: an Atom feed of the ids it knows."""
    ids = parse_qs(urlsplit(h.path).query).get("id_list", [""])[0].split(",")
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/{arxiv}v1</id><title>{ARXIV_KNOWN[arxiv]}</title>"
        "<published>2015-12-10T00:00:00Z</published></entry>"
        for arxiv in ids
        if arxiv in ARXIV_KNOWN
    )
    feed = f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
    h.answer(200, {"Content-Type": "application/atom+xml"}, feed.encode())


@pytest.fixture
def web() -> Iterator[Site]:
    site = Site("127.0.0.1")
    site.route("/arxiv/api/query", export_api)
    yield site
    site.close()


def paper_list(web: Site) -> str:
    """Entries of the real list, their links moved to the loopback web (line 5's is dead)."""
    alive = web.route("/5850-training-very-deep-networks.pdf", status(200))
    walled = web.route("/nguyen-fooled", status(403))
    return "\n".join(
        [
            "# Awesome - Most Cited Deep Learning Papers",
            "",
            "### Understanding / Generalization / Transfer",
            f"- **Training very deep networks** (2015), R. Srivastava et al. [[pdf]]({alive})",
            "- **Delving deep into rectifiers: Surpassing human-level performance on imagenet "
            f"classification** (2015), K. He et al. [[pdf]]({dead_url(web)})",
            "- **Deep neural networks are easily fooled: High confidence predictions for "
            f"unrecognizable images** (2015), A. Nguyen et al. [[pdf]]({walled})",
            "",
        ]
    )


def dead_url(web: Site) -> str:
    return web.url("/openaccess/He_Delving_Deep_into_ICCV_2015_paper.pdf")  # no route: 404


@pytest.fixture
def github(web: Site) -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.state.users[ACTIONS_TOKEN] = ACTIONS_LOGIN
        fake.put_file("README.md", paper_list(web))
        yield fake


@pytest.fixture
def config(tmp_path: Path, github: FakeGitHub, web: Site) -> Config:
    net = replace(FAST, arxiv_url=web.url("/arxiv/api/query"), arxiv_interval_seconds=0.0)
    service = ServiceSettings(
        github_token="ghp_test",
        github_api_url=github.url,
        db_path=str(tmp_path / "paperbot.sqlite3"),
        github_write_interval=0.0,
    )
    return Config(net=net, service=service)


def report(config: Config, day: int = 1) -> str:
    return run_report(config, REPO, now=datetime(2026, 4, day, 4, 17, tzinfo=UTC))


def bot_issue(github: FakeGitHub, login: str = BOT) -> dict:
    (issue,) = [i for i in github.issues_titled(TITLE) if i["user"]["login"] == login]
    return issue


def issue_writes(github: FakeGitHub) -> list[str]:
    return [c.method for c in github.writes() if "/issues" in c.path]


# --- three reports in a row ----------------------------------------------------------------------


def test_a_first_failure_opens_the_issue_with_the_link_failing_but_not_yet_broken(
    config: Config, github: FakeGitHub, web: Site
):
    done = report(config)
    issue = bot_issue(github)
    assert "3 links, 0 broken, 1 failing (not yet confirmed), 1 not verified" in done
    assert f"issue #{issue['number']} opened" in done
    assert issue["state"] == "open"
    body = issue["body"]
    assert "No broken link confirmed yet" in body
    pending = body.split("<details><summary>1 failing, not yet confirmed</summary>")[1]
    pending = pending.split("</details>")[0]
    assert f"`{dead_url(web)}`" in pending and "| 1 of 3 |" in pending
    assert read_history(body) == {link_key(dead_url(web)): Failing(1, "2026-04-01T04:17:00Z")}


def test_the_third_failure_in_a_row_lists_the_link_as_broken_with_its_line(
    config: Config, github: FakeGitHub, web: Site
):
    for day in (1, 2):
        report(config, day)
    assert "| 2 of 3 |" in bot_issue(github)["body"]
    done = report(config, 3)
    issue = bot_issue(github)
    assert done.endswith(f"issue #{issue['number']} edited (5 GitHub requests)")
    body = issue["body"]
    assert "### paperbot link report: ❌ **1 broken link**" in body
    line = f"https://github.com/{REPO}/blob/master/README.md#L{DEAD_LINE}"
    assert f"| [{DEAD_LINE}]({line}) | `{dead_url(web)}` | 404 Not Found | 2026-04-01 |" in body
    assert issue_writes(github) == ["POST", "PATCH", "PATCH"]  # one issue, edited in place
    report(config, 4)
    assert issue_writes(github) == ["POST", "PATCH", "PATCH"]  # nothing new: nothing written


def test_a_link_that_recovers_starts_again_and_when_every_link_passes_the_issue_closes(
    config: Config, github: FakeGitHub, web: Site
):
    report(config, 1)
    report(config, 2)
    web.route(urlsplit(dead_url(web)).path, status(200))  # the server is back
    done = report(config, 3)
    issue = bot_issue(github)
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert done.endswith("closed (5 GitHub requests)")
    assert "✅ **Every link passes**" in issue["body"] and read_history(issue["body"]) == {}
    web.routes.pop(urlsplit(dead_url(web)).path)  # and gone again: counted from 1
    report(config, 4)
    issue = bot_issue(github)
    assert issue["state"] == "closed"  # failing, not yet confirmed: edited silently
    assert read_history(issue["body"]) == {
        link_key(dead_url(web)): Failing(1, "2026-04-04T04:17:00Z")
    }


def test_a_closed_issue_is_reopened_once_a_link_is_confirmed_broken(
    config: Config, github: FakeGitHub, web: Site
):
    alive = urlsplit(dead_url(web)).path
    web.route(alive, status(200))
    github.put_file("README.md", paper_list(web))
    assert "no issue: no link is failing" in report(config, 1)
    web.routes.pop(alive)
    report(config, 2)  # opened at the first failure
    web.route(alive, status(200))
    report(config, 3)  # closed
    web.routes.pop(alive)
    for day in (4, 5):
        report(config, day)
        assert bot_issue(github)["state"] == "closed"
    done = report(config, 6)
    issue = bot_issue(github)
    assert done.endswith("reopened (5 GitHub requests)")
    assert issue["state"] == "open" and "1 broken link" in issue["body"]
    assert len(github.issues_titled(TITLE)) == 1


def test_closed_by_hand_over_a_broken_link_it_stays_closed_until_another_link_breaks(
    config: Config, github: FakeGitHub, web: Site
):
    for day in (1, 2, 3):
        report(config, day)
    number = bot_issue(github)["number"]
    github.state.issues[number].update(state="closed", state_reason="not_planned")  # by hand
    assert report(config, 4).endswith(f"issue #{number} unchanged (4 GitHub requests)")
    another = web.url("/another-gone.pdf")
    github.put_file("README.md", paper_list(web) + f"- **Gone** (2015) [[pdf]]({another})\n")
    for day in (5, 6):
        report(config, day)
        assert bot_issue(github)["state"] == "closed"
    assert report(config, 7).endswith(f"issue #{number} reopened (5 GitHub requests)")
    assert "2 broken links" in bot_issue(github)["body"]


def test_a_permanent_redirect_shows_its_new_address_as_the_fix(
    config: Config, github: FakeGitHub, web: Site
):
    new = web.route("/new/5850-training-very-deep-networks.pdf", status(200))
    old = web.route("/old/5850.pdf", redirect(new, 301))
    github.put_file("README.md", paper_list(web) + f"- **Moved** (2015) [[pdf]]({old})\n")
    report(config)
    body = bot_issue(github)["body"]
    moved = body.split("1 moved permanently: the fix is the new address</summary>")[1]
    assert f"| `{old}` | `{new}` |" in moved.split("</details>")[0]


def test_nothing_is_opened_while_every_link_passes_or_only_cannot_be_verified(
    config: Config, github: FakeGitHub, web: Site
):
    web.route(urlsplit(dead_url(web)).path, status(429))  # a rate limit proves nothing
    for day in (1, 2, 3):
        done = report(config, day)
    assert "0 broken, 0 failing (not yet confirmed), 2 not verified" in done
    assert done.endswith("no issue: no link is failing (4 GitHub requests)")
    assert github.state.issues == {} and github.writes() == []


def test_unverified_links_never_count_and_are_listed_collapsed(
    config: Config, github: FakeGitHub, web: Site
):
    for day in (1, 2, 3):
        report(config, day)
    body = bot_issue(github)["body"]
    unverified = body.split("1 not verified (never counted as broken)</summary>")[1]
    assert f"| `{web.url('/nguyen-fooled')}` | unverified | 403 Forbidden" in unverified
    assert list(read_history(body)) == [link_key(dead_url(web))]


def test_arxiv_links_are_verified_through_the_export_api(
    config: Config, github: FakeGitHub, web: Site
):
    known, unknown = "https://arxiv.org/abs/1512.03385", "https://arxiv.org/abs/1603.99999"
    lines = [f"- **Deep Residual Learning** (2016), K. He et al. [[pdf]]({known})"]
    lines += [f"- **A paper arXiv never had** (2016), A. Nobody [[pdf]]({unknown})"]
    github.put_file("README.md", "# Papers\n" + "\n".join(lines) + "\n")
    done = report(config)
    assert "2 links, 0 broken, 1 failing" in done
    assert "arXiv has no paper 1603.99999" in bot_issue(github)["body"]
    assert web.seen("/arxiv/api/query") == ["GET"]  # both ids in one call, no page fetched


# --- whose issue, and what is in it -------------------------------------------------------------


def test_a_strangers_link_report_issue_is_neither_taken_over_nor_read(
    config: Config, github: FakeGitHub, web: Site
):
    forged = history_block({link_key(dead_url(web)): Failing(3, "2020-01-01T00:00:00Z")})
    stranger = github.add_issue(TITLE, f"{forged}\nplease fix", "mallory")
    report(config)
    theirs = github.state.issues[stranger]
    assert theirs["body"] == f"{forged}\nplease fix" and theirs["state"] == "open"
    assert [c.path for c in github.calls("PATCH")] == []
    mine = bot_issue(github)
    assert mine["number"] != stranger and "| 1 of 3 |" in mine["body"]


@pytest.mark.parametrize(
    "hidden",
    [
        "<!-- paperbot:link-report {not json} -->",
        '<!-- paperbot:link-report {"v":2,"failing":{}} -->',
        '<!-- paperbot:link-report {"v":1,"failing":[1,2]} -->',
        '<!-- paperbot:link-report {"v":1,"failing":{"KEY":[true,"2026-01-01T00:00:00Z"]}} -->',
        '<!-- paperbot:link-report {"v":1,"failing":{"KEY":[3,"yesterday"]}} -->',
        '<!-- paperbot:link-report {"v":1,"failing":{"KEY":[1e400,"2026-01-01T00:00:00Z"]}} -->',
        '<!-- paperbot:link-report {"v":1,"failing":{"KEY":[99999,"2026-01-01T00:00:00Z"]}} -->',
        '<!-- paperbot:link-report {"v":1,"x":' + "[" * 15_000 + "]" * 15_000 + "} -->",
        '<!-- paperbot:link-report {"v":1,"failing":{"KEY":[3,"2026-01-01T00:00:00Z"]},'
        '"pad":"' + "x" * 50_000 + '"} -->',
    ],
    ids=["not-json", "version", "list", "bool", "date", "huge", "too-many", "deep", "oversized"],
)
def test_a_malformed_hidden_block_of_the_bots_own_issue_is_ignored(
    config: Config, github: FakeGitHub, web: Site, hidden: str
):
    number = github.add_issue(TITLE, hidden.replace("KEY", link_key(dead_url(web))), BOT)
    report(config)
    issue = github.state.issues[number]
    assert len(github.issues_titled(TITLE)) == 1
    assert read_history(issue["body"]) == {
        link_key(dead_url(web)): Failing(1, "2026-04-01T04:17:00Z")
    }


def test_a_list_written_to_mislead_is_shown_inert(config: Config, github: FakeGitHub, web: Site):
    hostile = web.url("/gone_@admin_#12")
    github.put_file("README.md", paper_list(web) + f"- **Gone** (2015) [[pdf]]({hostile}) -->\n")
    report(config)
    body = bot_issue(github)["body"]
    assert f"| `{hostile}` |" in body  # in a code span: no mention, no issue reference
    assert body.count("@admin") == 1 and "paperbot:link-report" not in body.split("\n", 1)[1]
    history = read_history(body)
    assert set(history) == {link_key(dead_url(web)), link_key(hostile)}


def test_the_history_and_the_body_stay_within_what_an_issue_holds():
    results = [
        LinkResult(f"https://dead.example/{'x' * 2000}/{n}", "broken", "404 Not Found", n)
        for n in range(1, 2001)
    ]
    history = advance({}, results, "2026-04-01T00:00:00Z", confirm_runs=1)
    assert len(history) == MAX_TRACKED
    report_ = sort_results(results, LinkReport("README.md", "master", 1, history))
    body = fitted(report_, f"https://github.com/{REPO}")
    assert len(body) <= MAX_ISSUE_BODY
    assert read_history(body) == history
    assert "more: `paperbot audit` lists every link." in body


def test_an_unverified_report_neither_counts_nor_forgets_a_failing_link():
    url = "https://paper.example/a.pdf"
    before = {link_key(url): Failing(2, "2026-04-01T00:00:00Z")}
    timed_out = [LinkResult(url, "unverified", "timed out", 3)]
    assert advance(before, timed_out, "2026-04-02T00:00:00Z", 3) == before
    assert advance(before, [LinkResult(url, "ok", "200 OK", 3)], "2026-04-02T00:00:00Z", 3) == {}
    assert advance(before, [], "2026-04-02T00:00:00Z", 3) == {}  # gone from the list


# --- configuration, errors and exit codes -------------------------------------------------------


def test_the_list_and_confirm_runs_come_from_the_default_branch(
    config: Config, github: FakeGitHub, web: Site
):
    github.state.default_branch = "main"
    github.put_file(
        ".github/paperbot.toml", '[list]\npath = "papers.md"\n[report]\nconfirm_runs = 1\n'
    )
    github.put_file("papers.md", paper_list(web))
    github.put_file(".github/paperbot.toml", "[report]\nconfirm_runs = 100\n", ref="master")
    report(config)
    body = bot_issue(github)["body"]
    assert "1 broken link" in body and "failed 1 report in a row" in body
    assert f"/blob/main/papers.md#L{DEAD_LINE}" in body


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[report]\nconfirm_runs = 0\n", "report.confirm_runs must be between 1 and 100"),
        ('[report]\nconfirm_runs = "3"\n', "report.confirm_runs: expected int, got str"),
        ("[report]\nconfirm_runs = true\n", "report.confirm_runs: expected int, got bool"),
        ("[report]\nconfirm = 3\n", "unknown key report.confirm"),
        ("report = 3\n", "report: expected dict, got int"),
    ],
)
def test_a_bad_report_table_is_a_clear_error_naming_the_key(toml: str, message: str):
    with pytest.raises(ConfigError, match=message):
        parse_report(toml)
    with pytest.raises(ConfigError, match=message):  # a review names it too
        parse_criteria(toml)
    assert parse_report("[report]\nconfirm_runs = 5\n").confirm_runs == 5
    assert parse_report("").confirm_runs == 3


def cli_env(monkeypatch: pytest.MonkeyPatch, config: Config) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_test")
    monkeypatch.setenv("GITHUB_API_URL", config.service.github_api_url)
    monkeypatch.setenv("PAPERBOT_DB", config.service.db_path)
    monkeypatch.setenv("PAPERBOT_GITHUB_WRITE_INTERVAL", "0")
    monkeypatch.setenv("PAPERBOT_NET_ARXIV_URL", config.net.arxiv_url)
    monkeypatch.setenv("PAPERBOT_NET_CONNECT_TIMEOUT", "0.5")
    monkeypatch.setenv("PAPERBOT_NET_READ_TIMEOUT", "0.5")


def test_paperbot_report_prints_what_it_did_and_a_dry_run_posts_nothing(
    config: Config, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys
):
    cli_env(monkeypatch, config)
    assert main(["report", REPO, "--allow-private", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "the issue would be opened" in out and "No broken link confirmed yet" in out
    assert github.writes() == []
    assert main(["report", REPO, "--allow-private"]) == 0
    assert "opened" in capsys.readouterr().out and bot_issue(github)


@pytest.mark.parametrize(
    ("setup", "code", "said"),
    [
        (lambda g: g.fail("GET", f"/repos/{REPO}", 502, times=9), 3, "GitHub is unavailable"),
        (lambda g: setattr(g.state, "issues_enabled", False), 4, "Issues are disabled"),
        (lambda g: g.state.files.clear(), 2, "README.md is not on its default branch master"),
        (lambda g: g.put_file(".github/paperbot.toml", "[report]\nconfirm_runs = -1\n"), 2,
         "report.confirm_runs must be between 1 and 100"),
    ],
    ids=["unavailable", "refused", "no-list", "bad-toml"],
)  # fmt: skip
def test_paperbot_report_fails_with_one_line_and_the_cli_exit_codes(
    config: Config, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys, setup, code, said
):
    cli_env(monkeypatch, config)
    setup(github)
    assert main(["report", REPO, "--allow-private"]) == code
    err = capsys.readouterr().err
    assert said in err and err.startswith("paperbot: ") and err.count("\n") == 1
    assert main(["report", "not-a-repo"]) == 2


# --- the Action and the worker ------------------------------------------------------------------


def action_env(github: FakeGitHub, event: str) -> dict[str, str]:
    return {
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(WEBHOOKS / f"{event}.json"),
        "GITHUB_TOKEN": ACTIONS_TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPO,
    }


def test_the_action_reports_on_schedule_and_workflow_dispatch_into_one_issue(
    config: Config, github: FakeGitHub, web: Site
):
    settings = replace(config, service=replace(config.service, github_token=None))
    code, done = run_action(settings, action_env(github, "schedule"))
    assert code == 0 and "opened" in done
    code, done = run_action(settings, action_env(github, "workflow_dispatch"))
    assert code == 0 and done.endswith("edited (5 GitHub requests)")
    issue = bot_issue(github, ACTIONS_LOGIN)
    assert "| 2 of 3 |" in issue["body"]
    assert not github.calls("GET", "/user")  # the Actions token may not read it


def test_an_action_without_issues_write_fails_with_a_clear_line(
    config: Config, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys
):
    github.state.withheld[ACTIONS_LOGIN] = {"issues"}
    settings = replace(config, service=replace(config.service, github_token=None))
    with pytest.raises(GitHubRefused, match="Resource not accessible by integration"):
        run_action(settings, action_env(github, "schedule"))
    cli_env(monkeypatch, config)
    for name, value in action_env(github, "schedule").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PAPERBOT_NET_ALLOW_PRIVATE", "true")
    assert main(["action"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("paperbot: error: ") and err.count("\n") == 1


def test_the_worker_reports_once_per_interval_across_workers(config: Config, github: FakeGitHub):
    settings = replace(
        config,
        service=replace(config.service, repositories=REPO, report_interval_seconds=3600),
    )
    queue = Queue(settings.service.db_path)
    first, second = LinkReports(settings, queue), LinkReports(settings, queue)
    thread = first.start_when_due()
    assert thread is not None and second.start_when_due() is None  # another worker's turn
    thread.join(timeout=30)
    assert bot_issue(github)["state"] == "open"
    assert LinkReports(replace(config), queue).start_when_due() is None  # off by default


def test_the_report_settings_are_read_from_the_environment():
    from bot.config import load

    config = load({"PAPERBOT_REPORT_INTERVAL_SECONDS": "86400"}, "[report]\nconfirm_runs = 2\n")
    assert config.service.report_interval_seconds == 86400
    assert config.report.confirm_runs == 2
    assert load({}).service.report_interval_seconds == 0


def test_the_issue_body_from_the_fake_is_refused_over_githubs_limit(github: FakeGitHub):
    import httpx

    answer = httpx.post(
        f"{github.url}/repos/{REPO}/issues",
        json={"title": TITLE, "body": "x" * (MAX_ISSUE_BODY + 1)},
        headers={"Authorization": "token ghp_test"},
    )
    assert answer.status_code == 422 and "too long" in json.dumps(answer.json())
