"""Attack 12: a top-100 paper added in a shape the parser used to skip, so that the review saw no
change and approved. GitHub shows each of these as a paper in the section; each is now reviewed
(here: the full top 100 goes over its cap), or reported as unread."""

from __future__ import annotations

import pytest

from bot.engine.criteria import Criteria
from bot.engine.parse import HTML_UNREAD, parse
from bot.engine.verdict import review
from tests.history import LATEST, readme
from tests.listedit import insert_after, line_of

BASE = readme(LATEST)
PAPER = (
    "**U-Net: Convolutional networks for biomedical image segmentation** (2015), "
    "O. Ronneberger et al."
)
PDF = "https://arxiv.org/pdf/1505.04597"
LAST = "Learning hierarchical features for scene labeling"  # the section's last paper

SHAPES = {
    "anchor link and a bare URL": [f"- {PAPER} [[↑]](#image-segmentation) {PDF}"],
    "anchor link and an HTML link": [f'- {PAPER} [[↑]](#top) <a href="{PDF}">[pdf]</a>'],
    "a nested bullet": [f"  - {PAPER} [[pdf]]({PDF})"],
    "an HTML list": [
        "",
        f'<ul><li><b>U-Net</b> (2015), O. Ronneberger et al. <a href="{PDF}">[pdf]</a></li></ul>',
        "",
    ],
    "under a blank h6 that says 'contents' in a comment": [
        "###### <!-- contents -->",
        f"- {PAPER} [[pdf]]({PDF})",
    ],
    "under a blank h1": ["# <!-- -->", f"- {PAPER} [[pdf]]({PDF})"],
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_paper_hidden_by_its_markup_is_still_reviewed(shape):
    head = insert_after(BASE, LAST, *SHAPES[shape])
    result = review(BASE, head, Criteria())
    assert result.verdict == "request_changes"
    (added,) = result.diff.added
    assert added.after.section == "Image: Segmentation / Object Detection"
    assert "balance" in {f.rule for f in result.findings}


def test_a_paper_in_raw_html_is_an_unread_entry_on_its_line():
    head = insert_after(BASE, LAST, *SHAPES["an HTML list"])
    entry = next(e for e in parse(head, Criteria()).entries if e.unread)
    assert (entry.line, entry.unread) == (line_of(head, "<ul><li>"), HTML_UNREAD)


def test_what_does_not_look_like_a_paper_stays_unread_as_before():
    head = insert_after(
        BASE,
        LAST,
        "  - code: [[github]](https://github.com/x/y)",  # a note under a paper: no year
        "<!-- - **Hidden** (2015), A. B. [[pdf]](https://example.org/p.pdf) -->",  # not shown
        "- [[back to top]](#contents)",
    )
    result = review(BASE, head, Criteria())
    assert result.diff.added == () and result.verdict == "approve"


def test_a_blank_heading_starts_no_section_and_a_commented_heading_is_read_as_shown():
    head = insert_after(BASE, LAST, "### Scene parsing <!-- moved here -->")
    sections = [s.title for s in parse(head, Criteria()).sections]
    assert "Scene parsing" in sections
    blank = insert_after(BASE, LAST, "### <!-- -->")
    assert len(parse(blank, Criteria()).sections) == len(parse(BASE, Criteria()).sections)
