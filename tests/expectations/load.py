"""Expectation files: what a review must say, written down and checked by a person line by line."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bot.engine.model import Finding, Review

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Expected:
    key: str
    verdict: str
    blamed: str
    preexisting: str
    why: str


def load(name: str) -> dict[str, Expected]:
    """Rows of ``name`` (a TSV with ``#`` comments) by their first column."""
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    rows = csv.reader((ln for ln in lines if not ln.startswith("#")), delimiter="\t")
    next(rows)  # the header
    return {row[0]: Expected(*row) for row in rows}


def findings_as_written(findings: list[Finding]) -> str:
    """``rule@line`` for each distinct finding, sorted by line, as the expectation files hold them."""
    items = sorted({(f.line or 0, f.rule) for f in findings})
    return " ".join(f"{rule}@{line}" if line else rule for line, rule in items) or "-"


def observed(review: Review) -> tuple[str, str, str]:
    """(verdict, blamed, pre-existing) of a review, in the files' notation."""
    blamed = [f for f in review.findings if not f.preexisting]
    earlier = [f for f in review.findings if f.preexisting]
    return review.verdict, findings_as_written(blamed), findings_as_written(earlier)
