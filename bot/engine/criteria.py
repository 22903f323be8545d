"""What the list asks of a paper: the engine's only input besides the two texts.

The defaults are awesome-deep-learning-papers' own criteria; a repository overrides any of them in
``.github/paperbot.toml`` (read by ``bot.config``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_THRESHOLDS = {2016: 30, 2015: 100, 2014: 200, 2013: 300, 2012: 400}

# Sections whose papers do not count towards the top 100, matched on words in the heading.
DEFAULT_OUTSIDE_TOP = (
    "new paper",
    "old paper",
    "classic paper",
    "papers worth reading",
    "more than top 100",
    "appendix",
    "hw / sw",
    "hardware",
    "dataset",
    "book",
    "survey",
    "video lectures",
)

# Sections whose bullets are not papers at all (table of contents, people, resources, prose).
DEFAULT_NOT_PAPERS = (
    "contents",
    "researchers",
    "video lectures",
    "background",
    "criteria",
    "contributing",
    "acknowledgement",
    "license",
)

REVIEW_EVENTS = ("COMMENT", "REQUEST_CHANGES", "APPROVE")


@dataclass(frozen=True)
class Criteria:
    """What the list asks of a paper; a repository overrides any of it in its TOML."""

    list_path: str = "README.md"
    top_cap: int = 100
    window: tuple[int, int] = (2012, 2016)
    thresholds: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    bold_thresholds: Mapping[int, int] = field(
        default_factory=lambda: {y: 2 * n for y, n in DEFAULT_THRESHOLDS.items()}
    )
    bold_mark: str = ":sparkles:"
    outside_top: tuple[str, ...] = DEFAULT_OUTSIDE_TOP
    not_papers: tuple[str, ...] = DEFAULT_NOT_PAPERS
    new_section: str = "New Papers"
    old_section: str = "Old Papers"
    disabled_rules: frozenset[str] = frozenset()
    title_similarity: float = 92.0  # rapidfuzz ratio at or above which two titles are one paper
    review_event: str = "COMMENT"
    # Past this many characters a line is reported and not read (the real list's longest is 559).
    max_line_length: int = 1000
    # A pull request removing more papers than this is an error (an emptied list always is).
    max_removals: int = 5

    def threshold(self, year: int | None, bold: bool) -> int | None:
        if year is None:
            return None
        table = self.bold_thresholds if bold else self.thresholds
        return table.get(year)

    def is_top_section(self, heading: str) -> bool:
        low = heading.lower()
        return not any(word in low for word in self.outside_top)

    def holds_papers(self, heading: str) -> bool:
        low = heading.lower()
        return not any(word in low for word in self.not_papers)
