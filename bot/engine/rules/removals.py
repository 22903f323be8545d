"""A pull request may remove a few papers, not the list: emptying it, or removing more papers than
``[list] max_removals``, is an error a maintainer must look at (an unclosed ``<!--`` hides every
entry below it, and so reads as their removal)."""

from __future__ import annotations

from collections.abc import Iterator

from bot.engine.model import Finding
from bot.engine.rules.context import RuleContext


def removals(ctx: RuleContext) -> Iterator[Finding]:
    removed = len(ctx.diff.removed)
    if ctx.base.entries and not ctx.head.entries:
        yield Finding(
            "removals",
            "error",
            None,
            f"This PR leaves the list without a single paper (it held {len(ctx.base.entries)}).",
        )
    elif removed > ctx.criteria.max_removals:
        yield Finding(
            "removals",
            "error",
            None,
            f"This PR removes {removed} papers; a pull request may remove at most "
            f"{ctx.criteria.max_removals} ([list] max_removals). If it means to, a maintainer can "
            "raise the limit; if not, look for a broken line above the first removed paper (an "
            "unclosed <!-- or ``` hides everything after it).",
        )
