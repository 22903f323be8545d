"""Review -> what people read: the review in markdown (the summary comment's body), inline comment
bodies, and the stable JSON. How it reaches GitHub (the comment marker, the status) is the GitHub
edge's business (``bot.service.github``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.engine.criteria import Criteria
from bot.engine.model import Change, Entry, Finding, Review
from bot.engine.scope import Ranking, removal_candidates, removal_ranking
from bot.engine.text import visible, without_invisible

SCHEMA_VERSION = 1

_HEADLINE = {
    "request_changes": "❌ **Changes requested**",
    "comment": "💬 **Looks mergeable, with comments**",
    "approve": "✅ **Looks good**",
}
_ICON = {"error": "❌", "warning": "⚠️", "notice": "ℹ️"}


# GitHub links "#123", "GH-123" and "owner/repo#123" to issues, and would do so in the bot's name.
_REFERENCE = re.compile(r"(#|\bGH-)(?=\d)", re.IGNORECASE)
# A web address in a stranger's text: shown in a code span, where GitHub makes no link of it and no
# cross-reference (an issue's URL mentioned in a comment is a reference to that issue).
_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<>`|]*", re.IGNORECASE)
# Markdown's inline marks, escaped so that "[Approved](https://evil.example)" stays text.
_MARKS = re.compile(r"([\\`*_\[\]~|])")
MAX_ROWS = 200  # changes shown in the summary's table
MAX_PER_RULE = 50  # findings shown per rule


def neutral(text: str) -> str:
    """Text from a PR, made inert: no links (web addresses in code spans, markdown's marks
    escaped), no @mentions, no issue references, no HTML, no images, no table breaks, and
    invisible characters (bidi controls, zero-width) shown as ``⟨U+XXXX⟩``."""
    text = visible(text.replace("\r", " ").replace("\n", " "))
    out, pos = [], 0
    for address in _ADDRESS.finditer(text):
        url = _trimmed(address.group())
        out += [_inert(text[pos : address.start()]), f"`{url}`"]
        pos = address.start() + len(url)
    out.append(_inert(text[pos:]))
    return "".join(out)


def _trimmed(url: str) -> str:
    """An address without the punctuation that follows it in a sentence, as GitHub reads it."""
    while url and (url[-1] in ".,;:!?'\"" or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


def _inert(text: str) -> str:
    text = _MARKS.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("@", "@\u200b")
    return _REFERENCE.sub(lambda m: m.group(1) + "\u200b", text)


def fenced(text: str, info: str = "") -> str:
    """A code block that text containing backticks cannot break out of. A suggested line (info
    ``suggestion`` or ``markdown``) comes without invisible characters; other text shows them."""
    text = without_invisible(text) if info in ("suggestion", "markdown") else visible(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def count_findings(findings: list[Finding]) -> str:
    """``1 error, 2 warnings``: the words of the headline and of the commit status."""
    parts = []
    for severity in ("error", "warning", "notice"):
        n = sum(f.severity == severity for f in findings)
        if n:
            parts.append(f"{n} {severity}{'s' if n > 1 else ''}")
    return ", ".join(parts) or "no findings"


def blamed(review: Review) -> list[Finding]:
    """The findings the pull request is answerable for (not those the base list already had,
    nor those of a rule a maintainer accepted on it)."""
    return [f for f in review.findings if f.blamed]


def headline(review: Review) -> str:
    return f"{_HEADLINE[review.verdict]}: {count_findings(blamed(review))}"


def _citations_cell(entry: Entry, review: Review, criteria: Criteria) -> str:
    if review.facts is None:
        return "not checked (offline)"
    meta = review.facts.citations.get(entry.line)
    threshold = criteria.threshold(entry.year, entry.sparkles)
    if meta is None or meta.citations is None:
        return "–" if entry.line not in review.facts.citations else "unknown"
    limit = f" / {threshold}" if threshold is not None else ""
    doubt = "?" if not meta.confident else ""
    return f"{meta.citations}{doubt}{limit} ({meta.source})"


def _removal_cell(entry: Entry, ranking: Ranking) -> str:
    weakest = removal_candidates(ranking, entry)
    return "; ".join(f"{neutral(e.title)} ({m.citations})" for e, m in weakest)


def _change_row(change: Change, review: Review, criteria: Criteria, ranking: Ranking) -> str:
    entry = change.entry
    what: str = change.kind
    if change.kind == "moved" and change.before:
        what = f"moved from {neutral(change.before.section)}"
    elif change.kind == "edited":
        what = f"edited ({', '.join(change.fields)})"
    entering = change.kind in ("added", "moved") and entry.top100
    cites = _citations_cell(entry, review, criteria) if change.kind in ("added", "moved") else ""
    remove = _removal_cell(entry, ranking) if entering else ""
    line = f"L{entry.line}" if change.after else f"(was L{entry.line})"
    return (
        f"| {what} | {neutral(entry.title)} | {entry.year or '?'} | {neutral(entry.section)} "
        f"| {line} | {cites} | {remove} |"
    )


def _finding_block(finding: Finding) -> str:
    where = f"line {finding.line}" if finding.line else "the list"
    text = f"- {_ICON[finding.severity]} {where}: {neutral(finding.message)}"
    if finding.suggestion:
        block = fenced(finding.suggestion, "markdown")
        text += "\n\n  Suggested line:\n\n" + "\n".join("  " + ln for ln in block.splitlines())
    return text


def _findings_by_rule(findings: list[Finding]) -> list[str]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule, []).append(finding)
    out: list[str] = []
    for rule, group in groups.items():
        out.append(f"**`{rule}`** ({len(group)})\n")
        out.extend(_finding_block(f) for f in group[:MAX_PER_RULE])
        if len(group) > MAX_PER_RULE:
            out.append(f"- _… and {len(group) - MAX_PER_RULE:,} more, not shown._")
        out.append("")
    return out


def _network_note(review: Review) -> str:
    if review.facts is None:
        return (
            "_Network checks (dead links, link-to-paper match, citation counts) were not run: "
            "offline review._"
        )
    if review.facts.incomplete:
        return (
            "_Not finished within the time budget, reported as unverified: "
            + neutral("; ".join(review.facts.incomplete))
            + "._"
        )
    return ""


def markdown(review: Review, criteria: Criteria) -> str:
    """The review as people read it: the body of the bot's summary comment, or the CLI's output."""
    lines = [f"### paperbot review: {headline(review)}", ""]
    changes = review.diff.all
    if changes:
        lines += [
            "| change | paper | year | section | line | citations / threshold "
            "| lowest-cited in section (to remove) |",
            "|---|---|---|---|---|---|---|",
        ]
        ranking = removal_ranking(review.head, review.facts)
        lines += [_change_row(c, review, criteria, ranking) for c in changes[:MAX_ROWS]]
        if len(changes) > MAX_ROWS:
            lines += ["", f"_… and {len(changes) - MAX_ROWS:,} more changes, not shown._"]
        lines.append("")
    else:
        lines += ["This pull request changes no paper entry.", ""]
    for old, new in review.diff.renamed_sections:
        lines += [f"Section renamed: {neutral(old)} → {neutral(new)} (its papers stay).", ""]
    if blamed(review):
        lines += _findings_by_rule(blamed(review))
    accepted = [f for f in review.findings if f.accepted is not None]
    if accepted:
        lines += ["**Accepted by maintainers, not counted:**", ""]
        for rule in dict.fromkeys(f.rule for f in accepted):
            acceptance = next(f.accepted for f in accepted if f.rule == rule and f.accepted)
            lines.append(
                f"- `{rule}` accepted by @{neutral(acceptance.by)}: {neutral(acceptance.reason)}"
            )
        lines += ["", "<details><summary>The accepted findings</summary>", ""]
        lines += [*_findings_by_rule(accepted), "</details>", ""]
    earlier = [f for f in review.findings if f.preexisting]
    if earlier:
        lines += [
            f"<details><summary>Already in the list before this PR ({len(earlier)}), "
            "not blamed on it</summary>",
            "",
            *_findings_by_rule(earlier),
            "</details>",
            "",
        ]
    note = _network_note(review)
    if note:
        lines += [note, ""]
    return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True)
class InlineComment:
    line: int
    body: str
    suggestion: str | None


def inline_comments(review: Review) -> list[InlineComment]:
    """One comment per changed head line the PR is blamed for, with a fix where one is known."""
    touched = {e.line for e in review.diff.touched}
    by_line: dict[int, list[Finding]] = {}
    for finding in review.findings:
        if finding.line in touched and finding.blamed:
            by_line.setdefault(finding.line, []).append(finding)
    out = []
    for line, group in sorted(by_line.items()):
        body = "\n".join(f"{_ICON[f.severity]} **{f.rule}**: {neutral(f.message)}" for f in group)
        suggestion = next((f.suggestion for f in group if f.suggestion), None)
        if suggestion:
            body += "\n\n" + fenced(suggestion, "suggestion")
        out.append(InlineComment(line, body, suggestion))
    return out


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "year": entry.year,
        "section": entry.section,
        "line": entry.line,
        "top100": entry.top100,
        "links": [link.url for link in entry.links if link.url],
    }


def _change_json(change: Change, review: Review, criteria: Criteria) -> dict[str, Any]:
    data = _entry_json(change.entry)
    if change.before and change.after:
        data["before"] = {"section": change.before.section, "line": change.before.line}
        data["fields"] = list(change.fields)
    if review.facts is not None and change.after and change.after.line in review.facts.citations:
        meta = review.facts.citations[change.after.line]
        data["citations"] = {
            "count": meta.citations if meta else None,
            "threshold": criteria.threshold(change.entry.year, change.entry.sparkles),
            "source": meta.source if meta else None,
            "confident": meta.confident if meta else False,
        }
    return data


def as_json(review: Review, criteria: Criteria) -> dict[str, Any]:
    """The stable machine-readable review (schema documented in the README)."""
    return {
        "schema": SCHEMA_VERSION,
        "verdict": review.verdict,
        "changes": {
            kind: [_change_json(c, review, criteria) for c in getattr(review.diff, kind)]
            for kind in ("added", "removed", "moved", "edited")
        },
        "renamed_sections": [list(pair) for pair in review.diff.renamed_sections],
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "line": f.line,
                "message": f.message,
                "suggestion": f.suggestion,
                "preexisting": f.preexisting,
                "accepted": {"by": f.accepted.by, "reason": f.accepted.reason}
                if f.accepted
                else None,
            }
            for f in review.findings
        ],
        "network": {
            "checked": review.facts is not None,
            "incomplete": list(review.facts.incomplete) if review.facts else [],
        },
    }
