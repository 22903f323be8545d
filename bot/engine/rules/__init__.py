"""The rule registry: every rule is a small pure function ``rule(ctx) -> Iterable[Finding]``.

Rules are keyed by id, run in this order, and a repository can switch any of them off by id
(``[rules] disabled = [...]`` in its TOML). Network rules only read facts gathered beforehand.
"""

from __future__ import annotations

from bot.engine.rules.balance import balance
from bot.engine.rules.context import Rule, RuleContext
from bot.engine.rules.duplicate import duplicate
from bot.engine.rules.entry import entry_format, link_syntax, section, year
from bot.engine.rules.net import NET_RULES
from bot.engine.rules.removals import removals

__all__ = ["NETWORK_RULE_IDS", "RULES", "RULE_IDS", "Rule", "RuleContext"]

OFFLINE_RULES: dict[str, Rule] = {
    "balance": balance,
    "removals": removals,
    "duplicate": duplicate,
    "link-syntax": link_syntax,
    "year": year,
    "section": section,
    "format": entry_format,
}
RULES: dict[str, Rule] = {**OFFLINE_RULES, **NET_RULES}
NETWORK_RULE_IDS: tuple[str, ...] = tuple(NET_RULES)
RULE_IDS: tuple[str, ...] = tuple(RULES)
