"""Rules -> verdict: run the enabled rules over the diff, set apart what the base list already had,
and decide. Two texts and the criteria in, a Review out; nothing here does I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.engine.criteria import Criteria
from bot.engine.diff import diff as diff_lists
from bot.engine.model import Acceptance, Diff, Facts, Finding, PaperList, Review, Verdict
from bot.engine.parse import parse
from bot.engine.rules import RULES, RuleContext

_SEVERITY_ORDER = {"error": 0, "warning": 1, "notice": 2}


def prepare(
    base_text: str, head_text: str, criteria: Criteria
) -> tuple[PaperList, PaperList, Diff]:
    """Parse both versions and diff them; the network phase needs this before the rules run."""
    base = parse(base_text, criteria)
    head = parse(head_text, criteria)
    return base, head, diff_lists(base, head, criteria)


def verdict_of(findings: tuple[Finding, ...]) -> Verdict:
    blamed = [f for f in findings if f.blamed]
    if any(f.severity == "error" for f in blamed):
        return "request_changes"
    if any(f.severity == "warning" for f in blamed):
        return "comment"
    return "approve"


def run_rules(
    base: PaperList, head: PaperList, diff: Diff, criteria: Criteria, facts: Facts | None
) -> tuple[Finding, ...]:
    """Run every enabled rule; a finding the entry already had before the PR is pre-existing."""
    ctx = RuleContext(base, head, diff, criteria, facts, diff.touched)
    earlier = tuple(c.before for c in diff.moved + diff.edited if c.before)
    prior = RuleContext(base, base, Diff(), criteria, facts, earlier)
    before_line = {
        c.after.line: c.before.line for c in diff.moved + diff.edited if c.after and c.before
    }
    findings: list[Finding] = []
    for rule_id, rule in RULES.items():
        if rule_id in criteria.disabled_rules:
            continue
        new = list(rule(ctx))
        if not new:
            continue
        had = {f.line for f in rule(prior)} if earlier else set()
        for finding in new:
            if finding.line in before_line and before_line[finding.line] in had:
                finding = replace(finding, preexisting=True)
            findings.append(finding)
    findings.sort(key=lambda f: (f.preexisting, _SEVERITY_ORDER[f.severity], f.line or 0))
    return tuple(findings)


def review(
    base_text: str,
    head_text: str,
    criteria: Criteria,
    facts: Facts | None = None,
    accepted: Mapping[str, Acceptance] | None = None,
) -> Review:
    """The offline review (``facts`` None) or the review with facts gathered beforehand."""
    base, head, diff = prepare(base_text, head_text, criteria)
    return review_parsed(base, head, diff, criteria, facts, accepted)


def review_parsed(
    base: PaperList,
    head: PaperList,
    diff: Diff,
    criteria: Criteria,
    facts: Facts | None = None,
    accepted: Mapping[str, Acceptance] | None = None,
) -> Review:
    """``accepted``: rules a maintainer accepted on this pull request; their findings are shown
    with who accepted them and why, and do not count towards the verdict."""
    findings = run_rules(base, head, diff, criteria, facts)
    if accepted:
        findings = tuple(
            replace(f, accepted=accepted[f.rule]) if f.rule in accepted and not f.preexisting else f
            for f in findings
        )
    return Review(verdict_of(findings), diff, findings, head, base, facts)
