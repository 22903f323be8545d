"""The top 100 stays at its cap: adding one paper to it means removing one."""

from __future__ import annotations

from collections.abc import Iterator

from bot.engine.model import Finding
from bot.engine.rules.context import RuleContext

NAMED = 10  # papers named in the message; a PR adding thousands gets a count for the rest


def balance(ctx: RuleContext) -> Iterator[Finding]:
    cap = ctx.criteria.top_cap
    before, after = len(ctx.base.top100), len(ctx.head.top100)
    if after <= cap:
        return
    if after <= before:
        yield Finding(
            "balance",
            "notice",
            None,
            f"The top 100 already holds {before} papers (cap {cap}); this PR does not add to it.",
            preexisting=True,
        )
        return
    entering = [
        c.after
        for c in ctx.diff.added + ctx.diff.moved
        if c.after and c.after.top100 and not (c.before and c.before.top100)
    ]
    names = ", ".join(f'"{e.title}" (line {e.line})' for e in entering[:NAMED]) or "papers"
    if len(entering) > NAMED:
        names += f" and {len(entering) - NAMED:,} more"
    over = after - cap
    yield Finding(
        "balance",
        "error",
        entering[0].line if entering else None,
        f"The top 100 would hold {after} papers, {over} over its cap of {cap}. This PR adds "
        f"{names} to it; remove one top-100 paper for each paper added "
        f"(or add it to a section outside the top 100).",
    )
