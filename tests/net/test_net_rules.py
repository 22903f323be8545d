"""The network rules on their own: facts in, findings out, no server at all."""

from __future__ import annotations

import pytest

from bot.engine.criteria import Criteria
from bot.engine.model import Facts, LinkStatus, PaperMeta
from bot.engine.rules import RuleContext
from bot.engine.rules.net import NET_RULES
from bot.engine.scope import needs_citations
from bot.engine.titles import likeness
from bot.engine.verdict import prepare
from tests.history import LATEST, readme
from tests.listedit import insert_after, replace_line

LIST = readme(LATEST)
CRITERIA = Criteria()
PIXELCNN = "Conditional image generation with pixelcnn decoders"
NIPS_6527 = (
    "http://papers.nips.cc/paper/"
    "6527-tree-structured-reinforcement-learning-for-sequential-object-localization.pdf"
)


def judge(base: str, head: str, facts: Facts):
    b, h, d = prepare(base, head, CRITERIA)
    ctx = RuleContext(b, h, d, CRITERIA, facts, d.touched)
    return d, [f for rule in NET_RULES.values() for f in rule(ctx)]


@pytest.mark.parametrize(
    ("listed", "linked"),
    [
        ("Generative adversarial nets", "Generative Adversarial Networks"),
        (
            "Eie: Efficient inference engine on compressed deep neural network",
            "EIE: Efficient Inference Engine on Compressed Deep Neural Network",
        ),
        ("Spatial transformer network", "Spatial Transformer Networks"),
        (
            "Image super-resolution using deep convolutional networks",
            "Learning a Deep Convolutional Network for Image Super-Resolution",
        ),
        (
            "Mastering the game of Go",
            "Mastering the game of Go with deep neural networks and tree search",
        ),
    ],
)
def test_the_same_paper_written_differently_is_alike(listed, linked):
    assert likeness(listed, linked, shortened_ok=True) >= 60


@pytest.mark.parametrize(
    ("listed", "linked"),
    [
        (PIXELCNN, "tree structured reinforcement learning for sequential object localization"),
        (
            "Sequence to sequence learning with neural networks",
            "Neural machine translation by jointly learning to align and translate",
        ),
        ("Wide residual networks", "Deep Residual Learning for Image Recognition"),
    ],
)
def test_another_paper_is_not_alike(listed, linked):
    assert likeness(listed, linked, shortened_ok=True) < 60


def test_permanent_redirect_is_a_notice_with_the_new_url_in_a_suggestion():
    old = "https://arxiv.org/pdf/1505.04597"
    line = (
        "- **U-Net: Convolutional networks for biomedical image segmentation** (2015), "
        f"O. Ronneberger et al. [[pdf]]({old}) [[web]](http://example.org/unet)"
    )
    head = insert_after(LIST, "### Image: Segmentation", line)
    facts = Facts(
        links={
            old: LinkStatus(old, "ok", "200 OK", 200),
            "http://example.org/unet": LinkStatus(
                "http://example.org/unet", "ok", "301 then 200", 200, "https://example.org/unet"
            ),
        }
    )
    _, findings = judge(LIST, head, facts)
    (notice,) = [f for f in findings if f.rule == "link-unverified"]
    assert (notice.rule, notice.severity) == ("link-unverified", "notice")
    assert notice.suggestion == line.replace("http://example.org/unet", "https://example.org/unet")


def test_bot_wall_is_a_warning_and_a_404_an_error():
    wall, gone = "https://dl.acm.org/doi/10.1145/1", "https://example.org/gone.pdf"
    line = f"- **Some paper** (2016), A. B. [[acm]]({wall}) [[pdf]]({gone})"
    head = insert_after(LIST, "### Image: Segmentation", line)
    facts = Facts(
        links={
            wall: LinkStatus(wall, "unverified", "403 (bot wall?)", 403),
            gone: LinkStatus(gone, "broken", "404 Not Found", 404),
        }
    )
    _, findings = judge(LIST, head, facts)
    assert {(f.rule, f.severity) for f in findings} >= {
        ("link-unverified", "warning"),
        ("dead-link", "error"),
    }
    assert any("404 Not Found" in f.message and "[[pdf]]" in f.message for f in findings)


def test_links_the_pr_did_not_touch_are_not_judged():
    """Only the links a PR adds or changes: a dead link elsewhere is not the contributor's."""
    line = next(x for x in LIST.splitlines() if PIXELCNN in x)
    head = replace_line(LIST, PIXELCNN, line.replace("(2016)", "(2016) :sparkles:"))
    facts = Facts(links={NIPS_6527: LinkStatus(NIPS_6527, "broken", "404 Not Found", 404)})
    _, findings = judge(LIST, head, facts)
    assert not [f for f in findings if f.rule == "dead-link"]


def test_an_old_mismatch_in_an_edited_entry_is_preexisting():
    line = next(x for x in LIST.splitlines() if PIXELCNN in x)
    head = replace_line(LIST, PIXELCNN, line.replace("A. van den Oord", "A. van den Oord, N."))
    slug = PaperMeta(
        "tree structured reinforcement learning for sequential object localization",
        None,
        None,
        "the NIPS proceedings URL",
        True,
        NIPS_6527,
    )
    _, findings = judge(LIST, head, Facts(linked_titles={NIPS_6527: slug}))
    (finding,) = [f for f in findings if f.rule == "link-mismatch"]
    assert finding.preexisting


def test_citations_are_needed_only_for_papers_entering_the_top100():
    line = next(x for x in LIST.splitlines() if PIXELCNN in x)
    moved_in = insert_after(replace_line(LIST, PIXELCNN, None), "### Image / Video", line)
    diff, _ = judge(LIST, moved_in, Facts())
    (entering,) = [c for c in diff.all if c.after and PIXELCNN in c.after.title]
    assert entering.kind == "moved" and needs_citations(entering)
    edited = replace_line(LIST, PIXELCNN, line.replace("A. van den Oord", "A. van den Oord, N."))
    diff, _ = judge(LIST, edited, Facts())
    assert not any(needs_citations(c) for c in diff.all)


def test_unconfident_count_below_threshold_is_a_warning_not_an_error():
    line = "- **Wide residual networks** (2016), S. Z. [[pdf]](https://arxiv.org/pdf/1605.07146)"
    head = insert_after(LIST, "### Image: Segmentation", line)
    b, h, d = prepare(LIST, head, CRITERIA)
    (entry,) = d.touched
    fuzzy = PaperMeta("Wide residual network", 2016, 3, "OpenAlex", False)
    facts = Facts(
        links={"https://arxiv.org/pdf/1605.07146": LinkStatus("x", "ok", "arXiv", 200)},
        citations={entry.line: fuzzy},
    )
    ctx = RuleContext(b, h, d, CRITERIA, facts, d.touched)
    findings = [f for rule in NET_RULES.values() for f in rule(ctx)]
    assert [(f.rule, f.severity) for f in findings] == [("citations-unverified", "warning")]
    assert '"Wide residual network" (2016, 3 citations)' in findings[0].message


def test_offline_review_has_no_network_findings():
    head = insert_after(LIST, "### Image: Segmentation", "- **X** (2016), Y. [[pdf]](http://x.org)")
    b, h, d = prepare(LIST, head, CRITERIA)
    ctx = RuleContext(b, h, d, CRITERIA, None, d.touched)
    assert not [f for rule in NET_RULES.values() for f in rule(ctx)]
