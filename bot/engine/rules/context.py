"""What every rule receives: both lists, the diff, the criteria and the network facts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.engine.criteria import Criteria
from bot.engine.model import Diff, Entry, Facts, Finding, PaperList


@dataclass(frozen=True)
class RuleContext:
    base: PaperList
    head: PaperList
    diff: Diff
    criteria: Criteria
    facts: Facts | None  # None when the network phase did not run
    touched: tuple[Entry, ...]  # the entries the PR is answerable for


Rule = Callable[[RuleContext], Iterable[Finding]]
