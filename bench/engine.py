"""Benchmark: parse + diff + offline rules on the real list (1x) and a synthetic 10x list.

Target: under 50 ms for the real list, and linear growth to 10x. Run: python bench/engine.py
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.engine.criteria import Criteria  # noqa: E402
from bot.engine.parse import _inline, _read_line  # noqa: E402
from bot.engine.verdict import review  # noqa: E402
from tests.history import pr_texts  # noqa: E402

NEW_ENTRY = (
    "- **U-Net: Convolutional networks for biomedical image segmentation** (2015), "
    "O. Ronneberger et al. [[pdf]](https://arxiv.org/pdf/1505.04597)"
)


def scale(text: str, copies: int) -> str:
    """The list with every entry line repeated ``copies`` times, each copy a distinct paper."""
    out = []
    for line in text.splitlines():
        out.append(line)
        if re.match(r"^\s*[-*] ", line) and "](#" not in line:
            for k in range(1, copies):
                twin = re.sub(
                    r"(\*\*|^- )", lambda m, k=k: f"{m.group(1)}Variant {k} of ", line, count=1
                )
                twin = re.sub(r"\]\((https?://[^)/]+)/", rf"](\1/k{k}/", twin)
                twin = re.sub(
                    r"arxiv\.org/(abs|pdf)/(\d{4})\.(\d{4,5})", rf"arxiv.org/\1/{k:02d}\2.\3", twin
                )
                out.append(twin)
    return "\n".join(out) + "\n"


def timed(base: str, head: str, criteria: Criteria, reps: int) -> tuple[float, float]:
    times = []
    for _ in range(reps):
        _inline.cache_clear()  # each review starts cold, as a new PR would
        _read_line.cache_clear()
        start = time.perf_counter()
        review(base, head, criteria)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    criteria = Criteria()
    base, head = pr_texts(80)  # the real list and a real PR that adds one paper
    print(f"{'list':<6}{'entries':>9}{'median ms':>12}{'min ms':>10}{'ms/entry':>10}")
    results = {}
    for copies in (1, 10):
        b, h = scale(base, copies), scale(head, copies)
        entries = sum(1 for line in b.splitlines() if line.startswith("- "))
        median, best = timed(b, h, criteria, reps=21 if copies == 1 else 7)
        results[copies] = median
        print(f"{copies}x{'':<4}{entries:>9}{median:>12.1f}{best:>10.1f}{median / entries:>10.3f}")
    print(f"growth 1x -> 10x: {results[10] / results[1]:.1f}x (linear would be ~10x)")
    print("target: 1x under 50 ms:", "met" if results[1] < 50 else "NOT met")


if __name__ == "__main__":
    main()
