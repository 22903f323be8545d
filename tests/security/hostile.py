"""Shapes of hostile list lines: what a stranger can put into a pull request to make parsing slow.

Each shape makes about ``n`` characters; ``headings`` makes many short sections with an entry each
(every one a new paper, so each is compared with the others for duplicates).
"""

from __future__ import annotations

import random
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


# Floods of whole entries, each cheap on its own: what matters is how the review grows with their
# number (duplicates compared pairwise, a section ranked once per paper, a finding per line).
FLOODS: dict[str, Callable[[int], str]] = {
    "one title many authors": lambda n: "".join(
        f"- Same title here (2015), {surname(i)} et al. [[pdf]](https://x.org/{i})\n"
        for i in range(n // 70)
    ),
    "distinct papers": lambda n: "".join(
        f"- Paper number {i} about things (2015), A. B{i} [[pdf]](https://x.org/{i})\n"
        for i in range(n // 75)
    ),
    "tiny items": lambda n: "- a\n" * (n // 4),
}


def surname(i: int) -> str:
    """A made-up surname per number (no two alike by accident)."""
    pick = random.Random(i)
    return "".join(pick.choice("bcdfghjklmnpqrstvwxz") + pick.choice("aeiou") for _ in range(4))


def hostile_head(base: str, block: str) -> str:
    """The real list with ``block`` added under the segmentation heading (a top-100 section)."""
    lines = base.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("### Image: Segmentation"))
    return "\n".join(lines[: at + 1] + block.rstrip("\n").split("\n") + lines[at + 1 :])
