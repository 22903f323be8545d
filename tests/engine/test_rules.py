from dataclasses import replace

import pytest

from bot.engine.criteria import Criteria
from bot.engine.verdict import review
from tests.history import LATEST, readme
from tests.listedit import insert_after, line_of, replace_line

BASE = readme(LATEST)
CRITERIA = Criteria()
UNET = (
    "- **U-Net: Convolutional networks for biomedical image segmentation** (2015), "
    "O. Ronneberger et al. [[pdf]](https://arxiv.org/pdf/1505.04597)"
)
ADAM = "**Adam: A method for stochastic optimization**"
SEG = "### Image: Segmentation"


def findings(head: str, rule: str, base: str = BASE, criteria: Criteria = CRITERIA):
    return [f for f in review(base, head, criteria).findings if f.rule == rule]


def blamed(head: str, base: str = BASE, criteria: Criteria = CRITERIA):
    return [f for f in review(base, head, criteria).findings if not f.preexisting]


# balance


def test_adding_to_top100_without_removal_requests_changes():
    head = insert_after(BASE, SEG, UNET)
    result = review(BASE, head, CRITERIA)
    (finding,) = [f for f in result.findings if f.rule == "balance"]
    assert finding.severity == "error" and finding.line == line_of(head, "U-Net")
    assert "101 papers" in finding.message and "U-Net" in finding.message
    assert result.verdict == "request_changes"


def test_adding_one_and_removing_one_keeps_the_balance():
    head = replace_line(insert_after(BASE, SEG, UNET), ADAM, None)
    assert findings(head, "balance") == []
    assert review(BASE, head, CRITERIA).verdict == "approve"


def test_adding_outside_the_top100_never_touches_the_balance():
    head = insert_after(BASE, "### Appendix: More than Top 100", UNET)
    assert findings(head, "balance") == []


def test_moving_a_paper_into_the_top100_counts_as_adding():
    line = next(x for x in BASE.splitlines() if "Professor Forcing" in x)
    head = insert_after(
        replace_line(BASE, "Professor Forcing", None), "### More Papers from 2016", line
    )
    (finding,) = findings(head, "balance")
    assert "Professor Forcing" in finding.message


def test_an_over_full_list_is_not_blamed_on_a_pr_that_does_not_grow_it():
    over_full = insert_after(BASE, SEG, UNET)
    head = over_full.replace("S. Loffe", "S. Ioffe")
    (finding,) = findings(head, "balance", base=over_full)
    assert finding.preexisting and finding.severity == "notice"
    assert review(over_full, head, CRITERIA).verdict == "approve"


def test_the_cap_is_configuration():
    criteria = replace(CRITERIA, top_cap=101)
    assert findings(insert_after(BASE, SEG, UNET), "balance", criteria=criteria) == []


# duplicate


def test_adding_a_paper_already_listed_by_arxiv_id_is_a_duplicate():
    copy = "- Adam, a method for stochastic optimisation (2015), D. Kingma [[pdf]](https://arxiv.org/abs/1412.6980v9)"
    head = insert_after(BASE, "### Appendix: More than Top 100", copy)
    (finding,) = findings(head, "duplicate")
    assert finding.line == line_of(head, "Adam, a method")
    assert f"line {line_of(BASE, ADAM)}" in finding.message and "arXiv" in finding.message


def test_near_identical_title_is_a_duplicate():
    copy = "- Adam: a method for stochastic optimisation (2014), D. Kingma and J. Ba [[pdf]](https://example.org/adam.pdf)"
    head = insert_after(BASE, "### Appendix: More than Top 100", copy)
    (finding,) = findings(head, "duplicate")
    assert "title" in finding.message


def test_same_title_by_other_authors_is_not_a_duplicate():
    # "Deep learning" (LeCun et al., 2015) and "Deep learning" (Goodfellow et al., book) differ.
    entry = "- Deep learning (2016), M. Nielsen [[html]](http://example.org/nielsen-deep-learning)"
    head = insert_after(BASE, "### Appendix: More than Top 100", entry)
    assert findings(head, "duplicate") == []
    same = "- Deep learning (2016), I. Goodfellow et al. [[html]](http://example.org/dl-book)"
    head = insert_after(BASE, "### Appendix: More than Top 100", same)
    (finding,) = findings(head, "duplicate")
    assert f"line {line_of(BASE, 'Deep learning (Book, 2016)')}" in finding.message


def test_adding_the_same_paper_twice_blames_the_second_line():
    head = insert_after(BASE, "### Appendix: More than Top 100", UNET, UNET)
    (finding,) = findings(head, "duplicate")
    assert finding.line == line_of(head, "U-Net") + 1


def test_a_new_distinct_paper_is_not_a_duplicate():
    assert findings(insert_after(BASE, SEG, UNET), "duplicate") == []


# link-syntax


@pytest.mark.parametrize(
    ("link", "problem", "fixed"),
    [
        ("[[pdf]]()", "empty URL", None),
        ("[[pdf]]", "label without URL", None),
        (
            "[[pdf]] (https://arxiv.org/pdf/1505.04597)",
            "space between",
            "[[pdf]](https://arxiv.org/pdf/1505.04597)",
        ),
        (
            "[[pdf]](https://arxiv.org/pdf/1505.04597))",
            "unbalanced",
            "[[pdf]](https://arxiv.org/pdf/1505.04597)",
        ),
        (
            "[[pdf]](www.example.org/unet.pdf)",
            "not an http(s)",
            "[[pdf]](https://www.example.org/unet.pdf)",
        ),
        ("[[pdf]](<https://example.org/u net.pdf>)", "whitespace", None),
    ],
)
def test_broken_link_syntax_is_an_error_with_a_fix_where_known(link, problem, fixed):
    line = f"- U-Net: Convolutional networks for biomedical image segmentation (2015), O. Ronneberger et al. {link}"
    head = insert_after(BASE, "### Appendix: More than Top 100", line)
    (finding,) = findings(head, "link-syntax")
    assert finding.severity == "error" and problem in finding.message
    if fixed:
        assert finding.suggestion == line.replace(link, fixed)


def test_well_formed_links_pass_link_syntax():
    assert findings(insert_after(BASE, SEG, UNET), "link-syntax") == []


def test_a_broken_link_already_in_the_list_is_not_blamed_on_a_typo_fix():
    # "Playing atari ..." ends with "))" in the real list; fixing its title is not to blame for that.
    head = BASE.replace("**Playing atari with deep", "**Playing Atari with deep")
    assert blamed(head) == []
    assert [f.rule for f in findings(head, "link-syntax")] == ["link-syntax"]
    assert findings(head, "link-syntax")[0].preexisting


# year and section


def test_entry_without_a_year_is_an_error():
    line = "- U-Net: Convolutional networks for biomedical image segmentation, O. Ronneberger et al. [[pdf]](https://arxiv.org/pdf/1505.04597)"
    (finding,) = findings(insert_after(BASE, "### Appendix: More than Top 100", line), "year")
    assert finding.severity == "error"


def test_entry_with_a_year_passes_the_year_rule():
    assert findings(insert_after(BASE, SEG, UNET), "year") == []


@pytest.mark.parametrize(("year", "target"), [(2018, "New Papers"), (2009, "Old Papers")])
def test_a_year_outside_the_window_does_not_belong_in_the_top100(year, target):
    head = insert_after(BASE, SEG, UNET.replace("2015", str(year)))
    (finding,) = findings(head, "section")
    assert finding.severity == "error" and target in finding.message


def test_recent_papers_belong_in_new_papers():
    head = insert_after(BASE, "### New papers", UNET.replace("2015", "2018"))
    assert findings(head, "section") == []


def test_an_in_window_paper_in_old_papers_gets_a_warning():
    head = insert_after(BASE, "### Old Papers", UNET)
    (finding,) = findings(head, "section")
    assert finding.severity == "warning"


def test_the_window_is_configuration():
    criteria = replace(CRITERIA, window=(2012, 2018))
    head = insert_after(BASE, SEG, UNET.replace("2015", "2018"))
    assert findings(head, "section", criteria=criteria) == []


# format


def test_entry_in_the_list_style_passes_format():
    assert findings(insert_after(BASE, SEG, UNET), "format") == []


def test_format_problems_are_warnings_with_a_tidied_line():
    line = "* U-Net: Convolutional networks for biomedical image segmentation (2015)  O. Ronneberger et al. [[pdf]](https://arxiv.org/pdf/1505.04597)"
    head = insert_after(BASE, "### Appendix: More than Top 100", line)
    (finding,) = findings(head, "format")
    assert finding.severity == "warning"
    assert "comma" in finding.message and '"- "' in finding.message
    assert finding.suggestion == (
        "- U-Net: Convolutional networks for biomedical image segmentation (2015), "
        "O. Ronneberger et al. [[pdf]](https://arxiv.org/pdf/1505.04597)"
    )
    assert review(BASE, head, CRITERIA).verdict == "comment"


def test_entry_without_authors_or_link_breaks_format():
    line = "- U-Net: Convolutional networks for biomedical image segmentation (2015)"
    (finding,) = findings(insert_after(BASE, "### Appendix: More than Top 100", line), "format")
    assert "authors" in finding.message and "link" in finding.message


# switching rules off


def test_a_repository_can_switch_a_rule_off():
    criteria = replace(CRITERIA, disabled_rules=frozenset({"balance"}))
    head = insert_after(BASE, SEG, UNET)
    assert findings(head, "balance", criteria=criteria) == []
    assert review(BASE, head, criteria).verdict == "approve"


def test_default_criteria_match_the_lists_thresholds():
    criteria = Criteria()
    assert [criteria.threshold(y, False) for y in range(2012, 2017)] == [400, 300, 200, 100, 30]
    assert [criteria.threshold(y, True) for y in range(2012, 2017)] == [800, 600, 400, 200, 60]
    assert criteria.threshold(2011, False) is None
