"""The sweep that heals what the queue lost: a wiped disk (a Heroku dyno's files are reset on every
deploy and daily restart, an App Engine instance's /tmp goes with it), or deliveries GitHub saw
fail and never redelivers by itself.

Every open pull request of every repository the bot serves whose current head has no
``paperbot`` status or check run yet, and no job in the queue, gets a review queued; nothing else
is touched, so a sweep of a quiet repository costs a few requests: 1 to list its open pull
requests (per 100), 1 per open pull request without a job here (its head's result). As an App it
also redelivers its failed deliveries of the last three days, as GitHub's own guide does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Config
from bot.errors import GitHubRefused, GitHubUnavailable
from bot.service.account import redeliver_failed, repositories
from bot.service.github import GitHub
from bot.service.queue import Queue


@dataclass
class SweepReport:
    repositories: int = 0
    open_pulls: int = 0
    queued: int = 0
    redelivered: int = 0
    requests: int = 0
    failures: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        failed = f"; not swept: {'; '.join(self.failures)}" if self.failures else ""
        return (
            f"{self.repositories} repositories, {self.open_pulls} open pull requests, "
            f"{self.queued} reviews queued, {self.redelivered} deliveries redelivered, "
            f"{self.requests} GitHub requests{failed}"
        )


def sweep(config: Config, queue: Queue) -> SweepReport:
    """One pass over every repository; one that GitHub refuses or cannot answer for is named in
    the report and the others are still swept (the next sweep tries it again)."""
    service = config.service
    report = SweepReport()
    targets, report.requests = repositories(service)
    for repo, installation_id in targets:
        report.repositories += 1
        github = GitHub(service, repo, installation_id)
        try:
            _sweep_repo(github, repo, installation_id, queue, report)
        except (GitHubRefused, GitHubUnavailable) as exc:
            report.failures.append(f"{repo}: {exc}")
        report.requests += github.requests
    if service.app_id and service.private_key:
        try:
            report.redelivered, asked = redeliver_failed(service)
            report.requests += asked
        except (GitHubRefused, GitHubUnavailable) as exc:
            report.failures.append(f"deliveries: {exc}")
    return report


def _sweep_repo(
    github: GitHub, repo: str, installation_id: int | None, queue: Queue, report: SweepReport
) -> None:
    for pull in github.open_pulls():
        report.open_pulls += 1
        if pull.draft or queue.knows(repo, pull.number, pull.head_sha):
            continue
        if github.has_result(pull.head_sha):
            queue.remember(repo, pull.number, pull.head_sha, "its result was on GitHub")
            continue
        delivery = f"sweep:{repo}#{pull.number}@{pull.head_sha}"
        head, base = pull.head_sha, pull.base_sha
        if queue.enqueue(delivery, repo, pull.number, head, base, installation_id):
            report.queued += 1
