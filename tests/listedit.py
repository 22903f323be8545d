"""Small edits of a real list, the way a contributor's pull request would make them.

Lines are split where git splits them (``\\n`` only), so an edit never turns a U+2028 or a form
feed inside a line into a line break of its own.
"""

from __future__ import annotations

from bot.engine.parse import git_lines


def insert_after(text: str, anchor: str, *new_lines: str) -> str:
    """Insert lines right after the first line that contains ``anchor``."""
    lines = git_lines(text)
    at = next(i for i, line in enumerate(lines) if anchor in line)
    return "\n".join(lines[: at + 1] + list(new_lines) + lines[at + 1 :]) + "\n"


def replace_line(text: str, anchor: str, new_line: str | None) -> str:
    """Replace (or, with None, delete) the first line that contains ``anchor``."""
    lines = git_lines(text)
    at = next(i for i, line in enumerate(lines) if anchor in line)
    lines[at : at + 1] = [] if new_line is None else [new_line]
    return "\n".join(lines) + "\n"


def line_of(text: str, anchor: str) -> int:
    return next(i for i, line in enumerate(git_lines(text), 1) if anchor in line)
