"""Shapes of hostile list lines: what a stranger can put into a pull request to make parsing slow.

Each shape makes about ``n`` characters; ``headings`` makes many short sections with an entry each
(every one a new paper, so each is compared with the others for duplicates).
"""

from __future__ import annotations

from collections.abc import Callable

SHAPES: dict[str, Callable[[int], str]] = {
    "year": lambda n: "- T (" + "2015 " * (n // 5),
    "double brackets": lambda n: "- T " + "[[" * (n // 2),
    "bracket letter": lambda n: "- T " + "[a" * (n // 2),
    "image opener": lambda n: "- T " + "![" * (n // 2),
    "parens after a URL": lambda n: "- T (2015), A. http://example.org/x" + ")" * n,
    "backticks": lambda n: "- T (2015), A. " + "`" * n,
    "emphasis": lambda n: "- T (2015), A. " + "*a" * (n // 2),
    "label then paren": lambda n: "- T (2015), A. " + "[[pdf]](" * (n // 8),
    "headings": lambda n: "".join(
        f"### H{i}\n- Paper number {i} (2015), A. B. [[pdf]](https://example.org/{i})\n"
        for i in range(n // 75)
    ),
}


def hostile_head(base: str, block: str) -> str:
    """The real list with ``block`` added under the segmentation heading (a top-100 section)."""
    lines = base.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("### Image: Segmentation"))
    return "\n".join(lines[: at + 1] + block.rstrip("\n").split("\n") + lines[at + 1 :])
