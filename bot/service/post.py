"""What a review looks like on GitHub: the summary comment (behind its marker), the inline notes,
the review event, the check annotations and the commit status. Pure: ``github`` posts it.

``paperbot review`` prints the same summary comment, so a maintainer sees locally what the bot
would post.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.engine import render
from bot.engine.criteria import Criteria
from bot.engine.model import Acceptance, Review, Severity
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


# Maintainers' acceptances live in the bot's own summary comment, right after the marker (so a
# cut at GitHub's size limit keeps them): base64 JSON inside an HTML comment, which no text of
# a reason can close. Read back only from the comment the bot itself wrote.
_ACCEPTED = re.compile(r"<!-- paperbot:accepted ([A-Za-z0-9+/=]{0,20000}) -->$")
MAX_ACCEPTED = 20
MAX_REASON = 300


def with_acceptances(summary: str, accepted: Mapping[str, Acceptance]) -> str:
    """The summary comment carrying ``accepted`` (it starts with the marker)."""
    if not accepted:
        return summary
    kept = [{"rule": a.rule, "by": a.by, "reason": a.reason} for a in accepted.values()]
    block = base64.b64encode(json.dumps(kept[:MAX_ACCEPTED]).encode()).decode()
    head, _, rest = summary.partition("\n")
    return f"{head}\n<!-- paperbot:accepted {block} -->\n{rest}"


def acceptances_in(summary: str) -> dict[str, Acceptance]:
    """What ``with_acceptances`` wrote; nothing from a block that does not read back right."""
    lines = summary.split("\n", 2)  # only right after the marker: never text quoted below
    found = _ACCEPTED.match(lines[1]) if len(lines) > 1 and lines[0] == MARKER else None
    if not found:
        return {}
    try:
        items = json.loads(base64.b64decode(found.group(1), validate=True))
    except ValueError:
        return {}
    accepted: dict[str, Acceptance] = {}
    for item in items[:MAX_ACCEPTED] if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        rule, by, reason = (item.get(k) for k in ("rule", "by", "reason"))
        if isinstance(rule, str) and isinstance(by, str) and isinstance(reason, str) and rule:
            accepted[rule] = Acceptance(rule, by, reason[:MAX_REASON])
    return accepted


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
        if f.line is not None and f.blamed
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
