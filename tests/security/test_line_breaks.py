"""Attack 3: characters that Python's ``splitlines`` takes for a line break and git does not
(U+2028, U+2029, NEL, form feed, vertical tab, FS/GS/RS, a lone CR). One of them in a line above
a change made the bot name the wrong paper and put its inline notes on the wrong line."""

from __future__ import annotations

import pytest

from bot.engine.criteria import Criteria
from bot.engine.render import inline_comments
from bot.engine.verdict import review
from bot.net.links.collect import extract_links
from tests.history import LATEST, readme
from tests.listedit import insert_after, replace_line

BASE = readme(LATEST)
BREAKERS = ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\r"]
UNET = (
    "- **U-Net: Convolutional networks for biomedical image segmentation** (2015), "
    "O. Ronneberger et al. [[pdf]](https://arxiv.org/pdf/1505.04597)"
)
ADAM = "**Adam: A method for stochastic optimization**"


def git_line(text: str, needle: str) -> int:
    """The 1-based line git reports for the first line holding ``needle``."""
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize("char", BREAKERS, ids=[f"U+{ord(c):04X}" for c in BREAKERS])
def test_a_line_breaker_above_a_change_leaves_every_line_where_git_puts_it(char):
    adam = next(line for line in BASE.split("\n") if ADAM in line)
    base = replace_line(BASE, ADAM, adam.replace("stochastic", f"stochastic{char}"))
    head = insert_after(base, "### Image: Segmentation", UNET)
    result = review(base, head, Criteria())
    (added,) = result.diff.added
    assert added.after.title.startswith("U-Net")
    assert added.after.line == git_line(head, "U-Net")
    assert result.diff.removed == result.diff.moved == result.diff.edited == ()
    assert {c.line for c in inline_comments(result)} == {git_line(head, "U-Net")}


@pytest.mark.parametrize("char", BREAKERS, ids=[f"U+{ord(c):04X}" for c in BREAKERS])
def test_the_audit_reports_links_on_the_lines_git_counts(char):
    text = f"# Papers\n\n- A{char}B (2015), C. [[pdf]](https://example.org/a)\n"
    text += "- D (2015), E. [[pdf]](https://example.org/d)\n"
    assert extract_links(text) == [("https://example.org/a", 3), ("https://example.org/d", 4)]
