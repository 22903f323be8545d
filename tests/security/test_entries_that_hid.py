"""Attacks 7 and 8: entries the review did not see. Numbered items escaped every rule; a pull
request emptying the list, or removing most of it, was approved."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.criteria import Criteria
from bot.engine.verdict import review
from tests.history import LATEST, readme
from tests.listedit import insert_after, line_of

BASE = readme(LATEST)
PAPER = "U-Net: Convolutional networks for biomedical image segmentation (2015), O. Ronneberger"


def test_a_numbered_item_in_a_top100_section_is_an_entry_like_any_other():
    head = insert_after(BASE, "### Image: Segmentation", f"1. {PAPER} [[pdf]](https://x.org/u)")
    result = review(BASE, head, Criteria())
    (added,) = result.diff.added
    assert added.after.title.startswith("U-Net") and added.after.year == 2015
    rules = {f.rule: f for f in result.findings}
    assert rules["balance"].severity == "error"  # it enters the full top 100
    assert rules["format"].suggestion.startswith(f"- {PAPER}")
    assert rules["format"].line == line_of(head, "U-Net")


def test_an_emptied_list_is_an_error():
    result = review(BASE, "", Criteria())
    (finding,) = [f for f in result.findings if f.rule == "removals"]
    assert finding.severity == "error" and "without a single paper" in finding.message
    assert result.verdict == "request_changes"


def test_an_unclosed_comment_hiding_the_list_reads_as_a_mass_removal_and_is_an_error():
    head = insert_after(BASE, "### More Papers from 2016", "<!--")
    result = review(BASE, head, Criteria())
    (finding,) = [f for f in result.findings if f.rule == "removals"]
    assert f"removes {len(result.diff.removed)} papers" in finding.message
    assert len(result.diff.removed) > 100 and result.verdict == "request_changes"


def test_a_few_removals_are_fine_and_the_limit_is_configuration():
    lines = BASE.split("\n")
    few = "\n".join(line for line in lines if "Adam: A method" not in line)
    assert not [f for f in review(BASE, few, Criteria()).findings if f.rule == "removals"]
    strict = replace(Criteria(), max_removals=0)
    assert [f.rule for f in review(BASE, few, strict).findings if f.rule == "removals"]
