"""Benchmark: how long a hostile pull request keeps the bot busy, per shape and size.

Each shape is one line (or, for ``headings``, one block) a stranger could put into the list; the
head is the real list with it added to a top-100 section. For each size the offline review
(parse + diff + rules + render) and the audit's link finder run in a child process with a time
limit, so that a quadratic shape cannot stall the benchmark. Linear code grows ~10x per size step.

Run: python bench/hostile.py [--root DIR] [--timeout 60] [--sizes 10000,100000,1000000]
(``--root`` benchmarks another checkout, e.g. a worktree of an older commit.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.security.hostile import SHAPES, hostile_head  # noqa: E402

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bot.engine.criteria import Criteria
from bot.engine.render import markdown
from bot.engine.verdict import review
from bot.net.links.collect import extract_links
base, head = json.load(sys.stdin)
started = time.perf_counter()
if sys.argv[2] == "review":
    markdown(review(base, head, Criteria()), Criteria())
else:
    extract_links(head)
print(time.perf_counter() - started)
"""


def measure(root: Path, job: str, base: str, head: str, timeout: float) -> str:
    """Seconds for ``job`` (``review`` or ``links``) in a child process, or how it failed."""
    try:
        run = subprocess.run(
            [sys.executable, "-c", CHILD, str(root), job],
            input=json.dumps([base, head]),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f">{timeout:.0f}"
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["?"])[-1]
        return f"error: {last[:40]}"
    return f"{float(run.stdout):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    from tests.history import LATEST, readme

    base = readme(LATEST)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"root: {args.root}")
    print(f"{'shape':<20}{'size':>9}{'review s':>14}{'links s':>14}")
    for name in args.shapes.split(","):
        for size in sizes:
            head = hostile_head(base, SHAPES[name](size))
            review_s = measure(args.root, "review", base, head, args.timeout)
            links_s = measure(args.root, "links", base, head, args.timeout)
            print(f"{name:<20}{size:>9}{review_s:>14}{links_s:>14}", flush=True)


if __name__ == "__main__":
    main()
