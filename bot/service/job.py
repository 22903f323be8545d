"""One review of one pull request: fetch from GitHub -> engine -> post to GitHub.

The same function serves the queue worker and ``paperbot review-pr`` (with ``dry_run`` it posts
nothing and returns what it would have posted). Everything it posts is idempotent: the summary
comment is edited in place, inline comments already on the PR are not posted again, and the
status is per commit, so a job that is run twice (a worker died, a retry) leaves one review.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot import review
from bot.config import CONFIG_PATH, Config, parse_criteria
from bot.engine.model import Acceptance
from bot.errors import ConfigError, GitHubRefused, InputError, PaperbotError
from bot.service.github import GitHub
from bot.service.post import Post, post_for, problem_post, untouched_post, with_acceptances

log = logging.getLogger(__name__)
DISMISSAL = "paperbot: the changes it asked for are made; this request no longer stands."


def build_post(
    base_text: str | None,
    head_text: str | None,
    config: Config,
    accepted: Mapping[str, Acceptance] | None = None,
    fresh: bool = False,
) -> Post:
    """Engine phase: the list at both commits and the repository's criteria in, a Post out."""
    path = config.criteria.list_path
    if head_text is None:
        return problem_post(f"{path} is missing", f"{path} does not exist at the PR's head commit.")
    try:
        result = review.review(base_text or "", head_text, config, accepted, fresh)
    except PaperbotError as exc:
        return problem_post(f"cannot read {path}", str(exc))
    except Exception:  # a bug of ours: the PR still hears of it, the log keeps the details
        log.exception("review of %s crashed", path)
        return problem_post(
            "internal error",
            "paperbot hit a bug while reviewing this change. The details are in the bot's log; "
            "push again or ask a maintainer to re-run it once the bug is fixed.",
        )
    return post_for(result, config.criteria)


def _describe(post: Post, repo: str, number: int, head_sha: str) -> str:
    lines = [
        f"paperbot review of {repo}#{number} at {head_sha[:12]}",
        f"status: {post.state}: {post.description}",
        "",
        "summary comment:",
        post.summary.rstrip(),
    ]
    if post.notes:
        lines += ["", f"review ({post.review_event}): {post.review_body.splitlines()[0]}"]
        lines += [f"  line {n.line}: {n.body.split(chr(10))[0]}" for n in post.notes]
    return "\n".join(lines) + "\n"


class Superseded(Exception):
    """The pull request has moved on (a newer head, closed, a draft): the job posts nothing."""


@dataclass(frozen=True)
class Outcome:
    text: str  # what was done (or would be)
    state: str  # the result posted: success, failure or error


def run_review(
    config: Config,
    repo_full_name: str,
    number: int,
    head_sha: str | None = None,
    installation_id: int | None = None,
    dry_run: bool = False,
) -> str:
    """Review one pull request at its current head and post the result; returns what was done
    (or would be). The pull request is read first (1 request): a job for a head that is no longer
    current (deliveries arrive out of order, an old body can be replayed) raises Superseded."""
    return review_pull(config, repo_full_name, number, head_sha, installation_id, dry_run).text


def review_pull(
    config: Config,
    repo_full_name: str,
    number: int,
    head_sha: str | None = None,
    installation_id: int | None = None,
    dry_run: bool = False,
    *,
    accepted: Mapping[str, Acceptance] | None = None,
    fresh: bool = False,
    github: GitHub | None = None,
) -> Outcome:
    """``run_review``, with the state of the result (a GitHub Action fails on it if asked).

    ``accepted``: the maintainers' acceptances to keep (default: those the bot's summary comment
    holds); ``fresh``: no network answer from the cache (``/paperbot recheck``)."""
    github = github or GitHub(config.service, repo_full_name, installation_id)
    pull = github.pull(number)
    if head_sha is not None and pull.head_sha != head_sha:
        raise Superseded(f"the head is now {pull.head_sha[:12]}, not {head_sha[:12]}")
    if not pull.open or pull.draft:
        raise Superseded("the pull request is " + ("closed" if not pull.open else "a draft"))
    head_sha, base_sha = pull.head_sha, pull.base_sha
    if accepted is None:
        accepted = _accepted(github, number, dry_run)
    merge_base, files = github.changed_files(base_sha, head_sha)
    try:
        # From the base branch only: a pull request must not loosen its own rules.
        toml = github.read(CONFIG_PATH, base_sha)
        if toml is not None:
            config = replace(config, criteria=parse_criteria(toml, CONFIG_PATH, config.criteria))
    except ConfigError as exc:
        post = problem_post(f"{CONFIG_PATH} is invalid", str(exc))
    else:
        path = config.criteria.list_path
        if path not in files:
            post = untouched_post(config.criteria)
        else:
            try:
                texts = github.read(path, merge_base), github.read(path, head_sha)
            except InputError as exc:  # a file too large to read
                post = problem_post(f"cannot read {path}", str(exc))
            else:
                post = build_post(*texts, config, accepted, fresh)
    post = replace(post, summary=with_acceptances(post.summary, accepted))
    if dry_run:
        return Outcome(_describe(post, repo_full_name, number, head_sha), post.state)
    done = _publish(github, post, number, head_sha)
    return Outcome(
        f"{repo_full_name}#{number} at {head_sha[:12]}: {post.description}; {done} "
        f"({github.requests} GitHub requests)",
        post.state,
    )


def _accepted(github: GitHub, number: int, dry_run: bool) -> dict[str, Acceptance]:
    """The acceptances in the bot's summary comment; a dry run without credentials (which
    cannot learn whose comments are the bot's) shows the review without them."""
    try:
        return github.accepted(number)
    except GitHubRefused:
        if not dry_run:
            raise
        return {}


def _publish(github: GitHub, post: Post, number: int, head_sha: str) -> str:
    """Comment, then review, then status: the status last, so it only goes green when all is up.

    The summary comment comes first so that a newly created one proves no earlier run got as
    far as the review, and the look-up of inline comments already posted can be skipped. When an
    earlier review's summary is edited, what it left that no longer holds is tidied: the bot's
    review threads whose note is gone are resolved, its request for changes dismissed.
    """
    done = []
    summary = github.upsert_summary(number, post.summary, create=post.create_summary)
    if summary != "absent":
        done.append(f"summary comment {summary}")
    new_notes = list(post.notes)
    if post.notes and summary != "created":
        already = github.posted_inline(number)
        new_notes = [n for n in post.notes if n not in already]
    wants_verdict = post.review_event != "COMMENT" and summary != "unchanged"
    if new_notes or wants_verdict:
        github.create_review(number, head_sha, post.review_body, post.review_event, new_notes)
        done.append(f"review ({post.review_event}) with {len(new_notes)} inline comments")
    if summary == "edited":
        if resolved := github.resolve_outdated(number, set(post.notes)):
            done.append(f"{resolved} outdated review threads resolved")
        if post.dismiss_changes and (
            dismissed := github.dismiss_requested_changes(number, DISMISSAL)
        ):
            done.append(f"{dismissed} request for changes dismissed")
    kind = github.report(
        head_sha, post.state, post.description, post.summary, list(post.annotations)
    )
    done.append(f"{kind} {post.state}")
    return ", ".join(done)
