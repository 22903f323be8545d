"""Small edits of a real list, the way a contributor's pull request would make them."""

from __future__ import annotations


def insert_after(text: str, anchor: str, *new_lines: str) -> str:
    """Insert lines right after the first line that contains ``anchor``."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if anchor in line)
    return "\n".join(lines[: at + 1] + list(new_lines) + lines[at + 1 :]) + "\n"


def replace_line(text: str, anchor: str, new_line: str | None) -> str:
    """Replace (or, with None, delete) the first line that contains ``anchor``."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if anchor in line)
    lines[at : at + 1] = [] if new_line is None else [new_line]
    return "\n".join(lines) + "\n"


def line_of(text: str, anchor: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if anchor in line)
