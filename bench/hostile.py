"""Benchmark: how long a hostile pull request keeps the bot busy, per shape and size.

Each shape is one line (or, for ``headings`` and the floods, one block of many entries) a stranger
could put into the list; the head is the real list with it added to a top-100 section. For each
size the offline review (parse + diff + rules + render), the review with network rules on and no
answers (``Facts()``, as a busy network phase leaves them) and the audit's link finder each run
in a child process with a time limit, so that a quadratic shape cannot stall the benchmark. Linear
code grows ~10x per size step; a list over 20,000 lines is refused ("refused").

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

from tests.security.hostile import FLOODS, SHAPES, hostile_head  # noqa: E402

JOBS = ("review", "facts", "links")

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bot.engine.criteria import Criteria
from bot.engine.render import markdown
from bot.engine.verdict import review
from bot.net.links.collect import extract_links
from bot.engine.model import Facts
from bot.engine.verdict import prepare, review_parsed
from bot.errors import NotAListError
base, head = json.load(sys.stdin)
started = time.perf_counter()
try:
    if sys.argv[2] == "review":
        markdown(review(base, head, Criteria()), Criteria())
    elif sys.argv[2] == "facts":
        parsed = prepare(base, head, Criteria())
        markdown(review_parsed(*parsed, Criteria(), Facts()), Criteria())
    else:
        extract_links(head)
except NotAListError:
    print("refused")
    sys.exit(0)
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
    out = run.stdout.strip()
    return out if out == "refused" else f"{float(out):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    shapes = {**SHAPES, **FLOODS}
    parser.add_argument("--shapes", default=",".join(shapes))
    args = parser.parse_args()
    from tests.history import LATEST, readme

    base = readme(LATEST)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"root: {args.root}")
    print(f"{'shape':<24}{'size':>9}{'review s':>10}{'+net s':>10}{'links s':>10}")
    for name in args.shapes.split(","):
        for size in sizes:
            head = hostile_head(base, shapes[name](size))
            took = [measure(args.root, job, base, head, args.timeout) for job in JOBS]
            print(f"{name:<24}{size:>9}" + "".join(f"{t:>10}" for t in took), flush=True)


if __name__ == "__main__":
    main()
