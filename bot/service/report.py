"""The link report: every link of a repository's list audited on a schedule (``paperbot report``,
the Action's ``schedule`` and ``workflow_dispatch`` events, the worker every
``PAPERBOT_REPORT_INTERVAL_SECONDS``), and one issue titled "Link report" kept up to date.

A link counts as broken only once it has failed ``[report] confirm_runs`` reports in a row: a
server down for a day is not news. What the earlier reports saw is kept in the issue itself, in a
hidden block, so that the Action needs no storage of its own. The block holds, per failing link, a
hash of its address (never a stranger's text), how many reports in a row it failed and since
when; it is read only from the bot's own issue, at a bounded size, and anything malformed in it
is ignored (the counts start again).

The issue is quiet: none is opened while every link passes; it is opened at the first failure
(the count has to be kept somewhere), edited in place on every report, closed when every link
passes, and reopened only when a link is newly confirmed broken (so a maintainer who closes it
over links that stay broken is not asked again until another one breaks). Unverified links (bot
walls, 429, timeouts) never count, and are listed collapsed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from bot.config import CONFIG_PATH, Config, parse_criteria, parse_report
from bot.engine.render import neutral
from bot.errors import InputError, PaperbotError
from bot.net.links.audit import audit
from bot.service.account import repositories
from bot.service.github import MAX_COMMENT_CHARS, GitHub, IssueState

TITLE = "Link report"
_BLOCK = "<!-- paperbot:link-report {} -->"
MAX_STATE_CHARS = 40_000  # a hidden block larger than this is not read
MAX_TRACKED = 500  # failing links remembered (those failing longest first): ~25 KB of block
_STATE = re.compile(rf"<!-- paperbot:link-report (\{{[^<>]{{0,{MAX_STATE_CHARS}}}\}}) -->")
_KEY = re.compile(r"[0-9a-f]{16}")
_WHEN = "%Y-%m-%dT%H:%M:%SZ"
MAX_CELL = 300  # characters of a stranger's address or a reason shown in a table cell
_ROW_LIMITS = (100, 30, 10, 0)  # rows per table, fewer until the body fits in an issue


@dataclass(frozen=True)
class Failing:
    """A link's run of failed reports: how many in a row (at most ``confirm_runs``), and since
    when."""

    runs: int
    since: str


@dataclass(frozen=True)
class LinkResult:
    """One distinct link of the list as ``paperbot audit`` reports it (its JSONL record)."""

    url: str
    status: str  # ok, broken, unverified, skipped
    detail: str
    line: int
    moved_to: str | None = None


def link_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "replace")).hexdigest()[:16]


def read_history(body: str) -> dict[str, Failing]:
    """The hidden block of the bot's own issue; anything malformed reads as no history."""
    found = _STATE.search(body)
    if found is None:
        return {}
    try:
        data = json.loads(found[1])
    except (ValueError, RecursionError):
        return {}
    failing = data.get("failing") if isinstance(data, dict) and data.get("v") == 1 else None
    if not isinstance(failing, dict):
        return {}
    history: dict[str, Failing] = {}
    for key, value in list(failing.items())[:MAX_TRACKED]:
        if not (isinstance(value, list) and len(value) == 2 and _KEY.fullmatch(key)):
            continue
        runs, since = value
        counted = isinstance(runs, int) and not isinstance(runs, bool) and 1 <= runs <= 100
        if counted and isinstance(since, str) and _valid_time(since):
            history[key] = Failing(runs, since)
    return history


def _valid_time(text: str) -> bool:
    try:
        datetime.strptime(text, _WHEN)
    except ValueError:
        return False
    return True


def history_block(history: dict[str, Failing]) -> str:
    failing = {key: [f.runs, f.since] for key, f in sorted(history.items())}
    return _BLOCK.format(json.dumps({"v": 1, "failing": failing}, separators=(",", ":")))


def advance(
    history: dict[str, Failing], results: Sequence[LinkResult], now: str, confirm_runs: int
) -> dict[str, Failing]:
    """This report's history: a broken link fails once more, a link that passes starts again, an
    unverified or skipped one keeps its count (it proves neither), a link gone from the list is
    forgotten. At most ``MAX_TRACKED`` are kept, those failing longest first."""
    after: dict[str, Failing] = {}
    for result in results:
        key = link_key(result.url)
        before = history.get(key)
        if result.status == "broken":
            runs = min((before.runs if before else 0) + 1, confirm_runs)
            after[key] = Failing(runs, before.since if before else now)
        elif result.status in ("unverified", "skipped") and before is not None:
            after[key] = before
    kept = sorted(after.items(), key=lambda item: (-item[1].runs, item[1].since, item[0]))
    return dict(kept[:MAX_TRACKED])


@dataclass
class LinkReport:
    """What one report found, sorted into what the issue shows."""

    path: str
    branch: str
    confirm_runs: int
    history: dict[str, Failing]
    broken: list[LinkResult] = field(default_factory=list)  # confirmed
    pending: list[LinkResult] = field(default_factory=list)  # failing, not yet confirmed
    moved: list[LinkResult] = field(default_factory=list)
    unverified: list[LinkResult] = field(default_factory=list)  # and skipped
    counts: dict[str, int] = field(default_factory=dict)
    before: dict[str, Failing] = field(default_factory=dict)  # the last report's history

    @property
    def failing(self) -> bool:
        return bool(self.broken or self.pending)

    @property
    def newly_broken(self) -> bool:
        """Whether a link was confirmed broken by this report (not already by the last one)."""
        old = Failing(0, "")
        return any(
            self.before.get(link_key(r.url), old).runs < self.confirm_runs for r in self.broken
        )

    def run_of(self, result: LinkResult) -> Failing:
        """A broken link's run; one of more than ``MAX_TRACKED`` failing links was not kept."""
        return self.history.get(link_key(result.url), Failing(1, ""))


def sort_results(results: Sequence[LinkResult], report: LinkReport) -> LinkReport:
    """Each link into its part of the issue, in the list's order; broken ones by their run."""
    for result in sorted(results, key=lambda r: (r.line, r.url)):
        report.counts[result.status] = report.counts.get(result.status, 0) + 1
        if result.status == "broken":
            confirmed = report.run_of(result).runs >= report.confirm_runs
            (report.broken if confirmed else report.pending).append(result)
        elif result.status in ("unverified", "skipped"):
            report.unverified.append(result)
        elif result.moved_to:
            report.moved.append(result)
    return report


def _cell(text: str) -> str:
    """A stranger's text in a table cell: cut, and made inert (addresses in code spans)."""
    return neutral(text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…")


def _table(heading: list[str], rows: list[list[str]], limit: int) -> list[str]:
    """A markdown table of at most ``limit`` rows; the rest are counted."""
    if limit == 0:
        return ["Too many to list here: `paperbot audit` lists every link.", ""]
    lines = ["| " + " | ".join(heading) + " |", "|" + "---|" * len(heading)]
    lines += ["| " + " | ".join(row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit:,} more: `paperbot audit` lists every link.")
    return [*lines, ""]


def render(report: LinkReport, web_url: str, limit: int = _ROW_LIMITS[0]) -> str:
    """The issue's body: the hidden history first (a cut never loses it), then the broken links
    with their lines, then, collapsed, what is failing but not yet confirmed, what moved (the
    fix: the new address) and what could not be verified."""
    blob = f"{web_url}/blob/{quote(report.branch)}/{quote(report.path)}"

    def line(result: LinkResult) -> str:
        return f"[{result.line}]({blob}#L{result.line})"

    n = report.confirm_runs
    if report.broken:
        plural = "s" if len(report.broken) > 1 else ""
        headline = f"❌ **{len(report.broken)} broken link{plural}**"
    elif report.pending:
        headline = "⏳ **No broken link confirmed yet**"
    else:
        headline = "✅ **Every link passes**"
    summary = ", ".join(
        f"{report.counts.get(k, 0):,} {k}" for k in ("ok", "broken", "unverified", "skipped")
    )
    out = [
        history_block(report.history),
        f"### paperbot link report: {headline}",
        "",
        f"Every link of {neutral(report.path)} on {neutral(report.branch)}: "
        f"{sum(report.counts.values()):,} links, {summary}. A link is listed as broken once it has "
        f"failed {n} report{'s' if n > 1 else ''} in a row (`[report] confirm_runs` in "
        f"`{CONFIG_PATH}`); unverified links (bot walls, 429, timeouts) never count.",
        "",
    ]
    if report.broken:
        rows = [
            [line(r), _cell(r.url), _cell(r.detail), report.run_of(r).since[:10]]
            for r in report.broken
        ]
        out += _table(["line", "link", "why", "failing since"], rows, limit)
    sections = [
        (
            report.pending,
            f"{len(report.pending)} failing, not yet confirmed",
            ["line", "link", "why", "failed reports"],
            lambda r: [
                line(r),
                _cell(r.url),
                _cell(r.detail),
                f"{report.run_of(r).runs} of {n}",
            ],
        ),
        (
            report.moved,
            f"{len(report.moved)} moved permanently: the fix is the new address",
            ["line", "link", "fix"],
            lambda r: [line(r), _cell(r.url), _cell(r.moved_to or "")],
        ),
        (
            report.unverified,
            f"{len(report.unverified)} not verified (never counted as broken)",
            ["line", "link", "status", "why"],
            lambda r: [line(r), _cell(r.url), r.status, _cell(r.detail)],
        ),
    ]
    for found, title, heading, row in sections:
        if found:
            rows = [row(r) for r in found]
            out += [f"<details><summary>{title}</summary>", "", *_table(heading, rows, limit)]
            out += ["</details>", ""]
    out.append(
        "<sub>paperbot edits this issue in place on every report and closes it when every link "
        "passes.</sub>"
    )
    return "\n".join(out) + "\n"


def fitted(report: LinkReport, web_url: str) -> str:
    """The body with as many rows as an issue holds (65,536 characters)."""
    for limit in _ROW_LIMITS:
        body = render(report, web_url, limit)
        if len(body) <= MAX_COMMENT_CHARS:
            return body
    return body[:MAX_COMMENT_CHARS]  # the history comes first: a cut keeps it


def audited(text: str, path: str, config: Config) -> list[LinkResult]:
    """Every distinct link of the list, through ``paperbot audit`` (arXiv links through the
    export API, the others fetched)."""
    with tempfile.TemporaryDirectory(prefix="paperbot-report-") as folder:
        copy = Path(folder) / (PurePosixPath(path).name or "list.md")
        copy.write_text(text, encoding="utf-8")
        out = io.StringIO()
        audit(copy, config, out, fmt="jsonl", err=io.StringIO())
    return [
        LinkResult(r["url"], r["status"], r["detail"] or "", r["line"], r["permanent_redirect_to"])
        for r in map(json.loads, out.getvalue().splitlines())
    ]


def _decide(issue: IssueState | None, report: LinkReport) -> bool | None:
    """Whether the issue should be open (None: open none). Opened at the first failure,
    reopened when a link is newly confirmed broken, closed when no link fails; otherwise as it
    is, so that a maintainer who closes it over links that stay broken is not asked again until
    another one breaks."""
    if issue is None:
        return True if report.failing else None
    if report.newly_broken:
        return True
    if not report.failing:
        return False
    return issue.open


def run_report(
    config: Config,
    repo: str,
    installation_id: int | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> str:
    """Audit the list on the default branch and bring the "Link report" issue up to date; what
    was done (or, with ``dry_run``, what would be posted). GitHub requests: 1 for the
    repository, 1 for the TOML, 1-2 for the list, 1 per 100 of the bot's issues, 0-1 write
    (1 more to learn the bot's login, once per process)."""
    github = GitHub(config.service, repo, installation_id)
    branch, web_url = github.default_branch()
    toml = github.read(CONFIG_PATH, branch)
    if toml is not None:
        config = replace(
            config,
            criteria=parse_criteria(toml, CONFIG_PATH, config.criteria),
            report=parse_report(toml, CONFIG_PATH, config.report),
        )
    path, confirm_runs = config.criteria.list_path, config.report.confirm_runs
    text = github.read(path, branch)
    if text is None:
        raise InputError(f"{repo}: {path} is not on its default branch {branch}")
    results = audited(text, path, config)
    issue = github.own_issue(TITLE)
    stamp = (now or datetime.now(UTC)).strftime(_WHEN)
    before = read_history(issue.body) if issue else {}
    history = advance(before, results, stamp, confirm_runs)
    report = sort_results(results, LinkReport(path, branch, confirm_runs, history, before=before))
    body = fitted(report, web_url)
    found = (
        f"{repo}: {len(results):,} links, {len(report.broken)} broken, {len(report.pending)} "
        f"failing (not yet confirmed), {len(report.unverified)} not verified"
    )
    done = _publish(github, issue, body, _decide(issue, report), dry_run)
    if dry_run:
        return f"{found}; {done}\n\n{body}"
    return f"{found}; {done} ({github.requests} GitHub requests)"


def _publish(
    github: GitHub, issue: IssueState | None, body: str, want_open: bool | None, dry_run: bool
) -> str:
    """Open, edit, close or reopen the issue, in one write at most; what was (or would be) done."""
    if issue is None:
        if not want_open:
            return "no issue: no link is failing"
        if dry_run:
            return "the issue would be opened"
        return f"issue #{github.open_issue(TITLE, body)} opened"
    change = None if want_open == issue.open else want_open
    if change is None and issue.body == body:
        return f"issue #{issue.number} unchanged"
    verb = {None: "edited", True: "reopened", False: "closed"}[change]
    if dry_run:
        return f"issue #{issue.number} would be {verb}"
    github.edit_issue(issue.number, body, change)
    return f"issue #{issue.number} {verb}"


@dataclass
class ReportRound:
    """The link reports of every repository the bot serves (the worker's periodic round)."""

    done: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        failed = f"; not reported: {'; '.join(self.failures)}" if self.failures else ""
        return f"{len(self.done)} repositories reported{failed}"


def report_repositories(config: Config) -> ReportRound:
    """One report per repository the sweep covers; one that fails (GitHub refuses, a bad TOML)
    is named and the others are still reported."""
    round_ = ReportRound()
    targets, _ = repositories(config.service)
    for repo, installation_id in targets:
        try:
            round_.done.append(
                run_report(config, repo, installation_id, dry_run=config.service.dry_run)
            )
        except PaperbotError as exc:
            round_.failures.append(f"{repo}: {exc}")
    return round_
