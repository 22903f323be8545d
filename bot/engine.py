"""The review engine: two texts and a configuration in, a Review out. No I/O happens here."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Config, Criteria
from bot.diff import diff as diff_lists
from bot.model import Diff, Facts, Finding, PaperList, Review
from bot.parse import parse
from bot.rules import RULES, RuleContext


def prepare(
    base_text: str, head_text: str, criteria: Criteria
) -> tuple[PaperList, PaperList, Diff]:
    """Parse both versions and diff them; the network phase needs this before the rules run."""
    base = parse(base_text, criteria)
    head = parse(head_text, criteria)
    return base, head, diff_lists(base, head, criteria)


def verdict_of(findings: tuple[Finding, ...]) -> str:
    blamed = [f for f in findings if not f.preexisting]
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
    before_line = {c.after.line: c.before.line for c in diff.moved + diff.edited}  # type: ignore[union-attr]
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
    order = {"error": 0, "warning": 1, "notice": 2}
    findings.sort(key=lambda f: (f.preexisting, order[f.severity], f.line or 0))
    return tuple(findings)


def review(base_text: str, head_text: str, config: Config, facts: Facts | None = None) -> Review:
    base, head, diff = prepare(base_text, head_text, config.criteria)
    return review_parsed(base, head, diff, config, facts)


def review_parsed(
    base: PaperList, head: PaperList, diff: Diff, config: Config, facts: Facts | None = None
) -> Review:
    findings = run_rules(base, head, diff, config.criteria, facts)
    return Review(verdict_of(findings), diff, findings, head, base, facts)  # type: ignore[arg-type]
