"""The rule registry: every rule is a small pure function ``rule(ctx) -> Iterable[Finding]``.

Rules are keyed by id, run in this order, and a repository can switch any of them off by id
(``[rules] disabled = [...]`` in its TOML). Network rules only read facts gathered beforehand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.config import Criteria
from bot.model import Diff, Entry, Facts, Finding, PaperList


@dataclass(frozen=True)
class RuleContext:
    base: PaperList
    head: PaperList
    diff: Diff
    criteria: Criteria
    facts: Facts | None  # None when the network phase did not run
    touched: tuple[Entry, ...]  # the entries the PR is answerable for


Rule = Callable[[RuleContext], Iterable[Finding]]

from bot.rules.balance import balance  # noqa: E402
from bot.rules.duplicate import duplicate  # noqa: E402
from bot.rules.entry import entry_format, link_syntax, section, year  # noqa: E402
from bot.rules.net import NET_RULES  # noqa: E402

OFFLINE_RULES: dict[str, Rule] = {
    "balance": balance,
    "duplicate": duplicate,
    "link-syntax": link_syntax,
    "year": year,
    "section": section,
    "format": entry_format,
}
RULES: dict[str, Rule] = {**OFFLINE_RULES, **NET_RULES}
NETWORK_RULE_IDS: tuple[str, ...] = tuple(NET_RULES)
RULE_IDS: tuple[str, ...] = tuple(RULES)
