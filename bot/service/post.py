"""What a review looks like on GitHub: the summary comment (behind its marker), the inline notes,
the review event, the check annotations and the commit status. Pure: ``github`` posts it.

``paperbot review`` prints the same summary comment, so a maintainer sees locally what the bot
would post.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import render
from bot.engine.criteria import Criteria
from bot.engine.model import Review, Severity
from bot.engine.text import visible

# A check run annotation, as GitHub's API takes it.
Annotation = dict[str, str | int]

# The hidden first line of the bot's comments: how it finds its summary comment on every push.
MARKER = "<!-- paperbot -->"
# Inline comments per review: tools send about 30 a request, and a PR page slows down past ~200
# bot comments; a PR with more findings has them all in the summary comment.
MAX_INLINE_NOTES = 50
MAX_ANNOTATIONS = 50  # a check run takes 50 a request; the summary has every finding


@dataclass(frozen=True)
class InlineNote:
    """A review comment on one head line of one file."""

    path: str
    line: int
    body: str


_ANNOTATION_LEVEL: dict[Severity, str] = {
    "error": "failure",
    "warning": "warning",
    "notice": "notice",
}


def marked(body: str) -> str:
    """A comment as the bot posts it: the marker first, so that the bot finds it again."""
    return f"{MARKER}\n{body}"


def status_of(review: Review) -> tuple[str, str]:
    """Commit status state and a description short enough for GitHub (140 characters)."""
    state = "failure" if review.verdict == "request_changes" else "success"
    return state, f"paperbot: {render.count_findings(render.blamed(review))}"[:140]


def conclusion_of(state: str) -> str:
    """The check run's conclusion for a commit status state."""
    return "success" if state == "success" else "failure"


def annotation_level(severity: Severity) -> str:
    return _ANNOTATION_LEVEL[severity]


@dataclass(frozen=True)
class Post:
    """What one review puts on GitHub, so a dry run can show it and a real run can post it."""

    summary: str
    state: str  # commit status state: success, failure or error
    description: str
    review_body: str = ""
    review_event: str = "COMMENT"
    notes: tuple[InlineNote, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    create_summary: bool = True  # False: only update a summary an earlier review left
    dismiss_changes: bool = False  # the bot may have requested changes before, and now does not


def review_event(review: Review, allowed: str) -> str:
    """The event GitHub gets: the verdict, but never stronger than the repository opted into.

    ``COMMENT`` (the default) never blocks or approves; ``REQUEST_CHANGES`` lets a failing
    review block the merge; ``APPROVE`` also lets a clean review approve.
    """
    if review.verdict == "request_changes" and allowed in ("REQUEST_CHANGES", "APPROVE"):
        return "REQUEST_CHANGES"
    if review.verdict == "approve" and allowed == "APPROVE":
        return "APPROVE"
    return "COMMENT"


def post_for(review: Review, criteria: Criteria) -> Post:
    """Turn a review into the comment, the inline notes, the check annotations and the status."""
    path = criteria.list_path
    comments = render.inline_comments(review)
    notes = tuple(
        InlineNote(path, c.line, f"{c.body}\n\n{MARKER}") for c in comments[:MAX_INLINE_NOTES]
    )
    more = len(comments) - len(notes)
    details = "The summary comment on this PR has the details."
    if more > 0:
        details = (
            f"Inline comments on the first {len(notes)} of {len(comments):,} lines with "
            "findings; the summary comment on this PR has the details."
        )
    annotations = tuple(
        Annotation(
            path=path,
            start_line=f.line,
            end_line=f.line,
            annotation_level=annotation_level(f.severity),
            title=f.rule,
            message=visible(f.message),
        )
        for f in review.findings
        if f.line is not None and not f.preexisting
    )[:MAX_ANNOTATIONS]
    state, description = status_of(review)
    event = review_event(review, criteria.review_event)
    return Post(
        summary=marked(render.markdown(review, criteria)),
        state=state,
        description=description,
        review_body=f"{render.headline(review)}\n\n{details}",
        review_event=event,
        notes=notes,
        annotations=annotations,
        dismiss_changes=_may_request_changes(criteria) and event != "REQUEST_CHANGES",
    )


def _may_request_changes(criteria: Criteria) -> bool:
    return criteria.review_event in ("REQUEST_CHANGES", "APPROVE")


def untouched_post(criteria: Criteria) -> Post:
    """A pull request that does not (or no longer) change the list: a green status, and the
    summary comment says so if an earlier review left one (none is created)."""
    path = criteria.list_path
    summary = marked(
        f"### paperbot review: ✅ **Nothing to review**\n\nThis pull request does not change "
        f"`{path}` (any more): there is no paper to review.\n"
    )
    return Post(
        summary=summary,
        state="success",
        description=f"paperbot: {path} not changed",
        create_summary=False,
        dismiss_changes=_may_request_changes(criteria),
    )


def problem_post(title: str, detail: str) -> Post:
    """A review that could not be made: say why in the comment and in an ``error`` status."""
    heading = "### paperbot could not review this pull request"
    summary = marked(f"{heading}\n\n**{title}**\n\n{render.fenced(detail)}\n")
    return Post(summary=summary, state="error", description=f"paperbot: {title}")
