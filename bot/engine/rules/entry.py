"""Rules about one entry at a time: its links, its year, its section and its shape."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.engine.model import Entry, Finding, Severity
from bot.engine.parse import year_groups
from bot.engine.rules.context import RuleContext
from bot.engine.text import invisible, without_invisible

_OTHER_BULLET = re.compile(r"^\s*(?:[*+]|\d{1,9}[.)])\s+")


def _comma_after_year(line: str) -> bool:
    return any(line[end : end + 1] == "," for _, end, _ in year_groups(line))


def _fix_link(raw: str, problem: str) -> str | None:
    if problem == "space between ] and (":
        return re.sub(r"\]\]\s+\(", "]](", raw)
    if problem == "whitespace in URL" and re.search(r"\]\(\s*https?://", raw):
        return re.sub(
            r"\]\(([^()]*)\)",
            lambda m: "](" + re.sub(r"\s+", "%20", m.group(1).strip()) + ")",
            raw,
        )
    if problem == "unbalanced parentheses":
        stripped = raw.rstrip()
        if stripped.count(")") > stripped.count("(") and stripped.endswith("))"):
            return stripped[:-1]
        return None
    if problem == "not an http(s) URL":
        fixed = re.sub(r"\]\((www\.[^()\[\]\s]+)\)", r"](https://\1)", raw)
        return fixed if fixed != raw else None
    return None


def link_syntax(ctx: RuleContext) -> Iterator[Finding]:
    for entry in ctx.touched:
        for link in entry.links:
            if not link.problem:
                continue
            where = f" in [[{link.label}]]" if link.label else ""
            yield Finding(
                "link-syntax",
                "error",
                entry.line,
                f'"{entry.title}": {link.problem}{where}.',
                _fix_link(entry.raw, link.problem),
            )


def year(ctx: RuleContext) -> Iterator[Finding]:
    for entry in ctx.touched:
        if entry.year is None and not entry.unread:
            yield Finding(
                "year",
                "error",
                entry.line,
                f'"{entry.title}" has no year; write it after the title, as in "Title (2015), '
                f'A. Author et al."',
            )


def _belongs(entry: Entry, ctx: RuleContext) -> tuple[Severity, str] | None:
    """(severity, where it belongs) when the entry's year does not fit its section."""
    first, last = ctx.criteria.window
    section = entry.section.lower()
    new, old = ctx.criteria.new_section, ctx.criteria.old_section
    assert entry.year is not None
    if entry.top100 and entry.year > last:
        return "error", new
    if entry.top100 and entry.year < first:
        return "error", old
    if old.lower() in section and entry.year >= first:
        return "warning", "the top 100" if entry.year <= last else new
    if new.lower() in section and entry.year < first:
        return "warning", old
    return None


def section(ctx: RuleContext) -> Iterator[Finding]:
    first, last = ctx.criteria.window
    for entry in ctx.touched:
        if entry.year is None:
            continue
        verdict = _belongs(entry, ctx)
        if verdict:
            severity, target = verdict
            yield Finding(
                "section",
                severity,
                entry.line,
                f'"{entry.title}" ({entry.year}) is in "{entry.section}", but the top 100 takes '
                f"papers from {first} to {last}: it belongs in {target}.",
            )


def _tidy(raw: str) -> str:
    """The same line with the mechanical shape mistakes fixed: bullet, spacing, comma after year."""
    line = without_invisible(raw.rstrip())
    line = _OTHER_BULLET.sub("- ", line, count=1)
    line = re.sub(r"(?<=\S) {2,}", " ", line)
    if _comma_after_year(line):
        return line
    for _, end, _ in year_groups(line):
        rest = line[end:].lstrip()
        if rest and rest[0] != ",":  # the first year group with text after it
            return f"{line[:end]}, {rest}"
    return line


def _shape_problems(entry: Entry) -> list[str]:
    raw = entry.raw
    problems = []
    if not re.match(r"^- \S", raw):
        problems.append('start the line with "- "')
    if entry.year is not None and not _comma_after_year(raw):
        problems.append('put a comma after "(year)"')
    if not entry.authors:
        problems.append("name the authors after the year")
    if not any(link.url and not link.problem for link in entry.links):
        problems.append("add a link such as [[pdf]](https://...)")
    if re.search(r"\S {2,}\S", raw) or raw != raw.rstrip():
        problems.append("remove extra spaces")
    hidden = invisible(raw)
    if hidden:
        problems.append(
            f"remove the invisible character{'s' * (len(hidden) > 1)} {', '.join(hidden)}"
        )
    return problems


def entry_format(ctx: RuleContext) -> Iterator[Finding]:
    for entry in ctx.touched:
        if entry.unread:
            yield Finding(
                "format", "error", entry.line, f"Line {entry.line} was not read: {entry.unread}."
            )
            continue
        problems = _shape_problems(entry)
        if not problems:
            continue
        fixed = None if any(link.problem for link in entry.links) else _tidy(entry.raw)
        yield Finding(
            "format",
            "warning",
            entry.line,
            f'"{entry.title}" does not follow "- Title (Year), A. Author et al. '
            f'[[pdf]](url)": {"; ".join(problems)}.',
            fixed if fixed and fixed != entry.raw else None,
        )
