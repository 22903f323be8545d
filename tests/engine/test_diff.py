import pytest

from bot.engine.criteria import Criteria
from bot.engine.diff import diff
from bot.engine.parse import parse
from tests.history import LATEST, readme
from tests.listedit import insert_after, line_of, replace_line

CRITERIA = Criteria()
BASE = readme(LATEST)
ADAM = "**Adam: A method for stochastic optimization**"
NEW = "- **U-Net: Convolutional networks for biomedical image segmentation** (2015), O. Ronneberger et al. [[pdf]](https://arxiv.org/pdf/1505.04597)"  # noqa: E501


def _diff(base: str, head: str):
    return diff(parse(base, CRITERIA), parse(head, CRITERIA), CRITERIA)


def test_identical_lists_have_no_change():
    assert _diff(BASE, BASE).all == ()


def test_reordering_inside_a_section_is_no_change():
    adam = next(line for line in BASE.splitlines() if ADAM in line)
    head = insert_after(replace_line(BASE, ADAM, None), "**Training very deep networks**", adam)
    assert _diff(BASE, head).all == ()


@pytest.mark.parametrize(
    ("paper", "pasted_under", "section"),
    [
        # into another section, above the original (Old Papers)
        (
            "Greedy layer-wise training of deep networks",
            "### Natural Language Processing",
            "Natural Language Processing / RNNs",
        ),
        # higher up in the original's own section
        (
            "Improved semantic representations from tree-structured",
            "Understanding convolutional neural networks (2016)",
            "Appendix: More than Top 100",
        ),
    ],
)
def test_a_pasted_copy_is_the_addition_and_the_original_stays(paper, pasted_under, section):
    original = next(line for line in BASE.splitlines() if paper in line)
    head = insert_after(BASE, pasted_under, original)
    changes = _diff(BASE, head)
    (added,) = changes.added
    assert (added.after.section, added.after.line) == (section, line_of(head, paper))
    assert changes.moved == changes.removed == changes.edited == ()


def test_added_and_removed_entries():
    head = replace_line(insert_after(BASE, "### Image: Segmentation", NEW), ADAM, None)
    changes = _diff(BASE, head)
    assert [c.after.title for c in changes.added] == [
        "U-Net: Convolutional networks for biomedical image segmentation"
    ]
    assert [c.before.title for c in changes.removed] == [
        "Adam: A method for stochastic optimization"
    ]
    assert changes.moved == changes.edited == ()


def test_moving_a_paper_to_another_section_is_a_move_not_add_and_remove():
    adam = next(line for line in BASE.splitlines() if ADAM in line)
    head = insert_after(replace_line(BASE, ADAM, None), "### Old Papers", adam)
    changes = _diff(BASE, head)
    assert changes.added == changes.removed == ()
    (move,) = changes.moved
    assert (move.before.section, move.after.section) == (
        "Optimization / Training Techniques",
        "Old Papers",
    )


def test_a_typo_fix_is_an_edit_matched_by_link():
    head = BASE.replace("S. Loffe and C. Szegedy", "S. Ioffe and C. Szegedy")
    (edit,) = _diff(BASE, head).edited
    assert edit.fields == ("authors",)


def test_a_retitled_entry_with_a_new_link_is_matched_by_fuzzy_title():
    old = next(line for line in BASE.splitlines() if "**Network in network**" in line)
    new = "- **Network In Network.** (2013), M. Lin et al. [[pdf]](https://openreview.net/nin)"
    changes = _diff(BASE, BASE.replace(old, new))
    (edit,) = changes.edited
    assert set(edit.fields) == {"title", "links"}
    assert changes.added == changes.removed == ()


def test_renaming_a_section_moves_none_of_its_papers():
    changes = _diff(
        BASE, BASE.replace("### Optimization / Training Techniques", "### Optimisation")
    )
    assert changes.all == ()
    assert changes.renamed_sections == (("Optimization / Training Techniques", "Optimisation"),)


def test_moving_into_a_section_that_already_existed_is_still_a_move():
    adam = next(line for line in BASE.splitlines() if ADAM in line)
    head = insert_after(replace_line(BASE, ADAM, None), "### Old Papers", adam)
    assert _diff(BASE, head).renamed_sections == ()
