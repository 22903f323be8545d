import json
import re

from bot.engine.criteria import Criteria
from bot.engine.render import (
    as_json,
    blamed,
    count_findings,
    inline_comments,
    markdown,
    neutral,
)
from bot.engine.verdict import review
from tests.history import LATEST, readme
from tests.listedit import insert_after, line_of

BASE = readme(LATEST)
CRITERIA = Criteria()
HOSTILE = (
    "- <img src=x onerror=alert(1)> ping @octocat ![x](http://t.co/p.png) | pipes (2015), "
    "A. B. [[pdf]] (https://arxiv.org/pdf/1505.04597)"
)


def outside_code(markdown_text: str) -> str:
    """What GitHub renders as markdown: code blocks (suggestions) are inert and left out."""
    return re.sub(r"^ *(`{3,})[^\n]*\n.*?\n *\1", "", markdown_text, flags=re.S | re.M)


def test_text_from_the_pr_cannot_mention_inject_html_or_show_images():
    head = insert_after(BASE, "### Image: Segmentation", HOSTILE)
    result = review(BASE, head, CRITERIA)
    for body in [markdown(result, CRITERIA)] + [c.body for c in inline_comments(result)]:
        rendered = outside_code(body)
        assert "@octocat" not in rendered and "@\u200boctocat" in rendered
        assert "<img" not in rendered and "![x]" not in rendered


def test_a_suggestion_cannot_break_out_of_its_code_block():
    from bot.engine.render import fenced

    block = fenced("- Title ``` with ```` fences (2015)", "suggestion")
    assert block.startswith("`````suggestion\n") and block.endswith("\n`````")


def test_neutral_escapes_table_breaks_and_newlines():
    assert neutral("a|b\nc") == "a\\|b c"


def test_summary_leads_with_the_verdict_and_groups_findings_by_rule():
    head = insert_after(BASE, "### Image: Segmentation", HOSTILE)
    body = markdown(review(BASE, head, CRITERIA), CRITERIA)
    lines = body.splitlines()
    assert lines[0].startswith("### paperbot review: ❌ **Changes requested**")
    assert "**`balance`**" in body and "**`link-syntax`**" in body
    assert "were not run: offline review" in body


def test_inline_comments_sit_on_changed_lines_with_suggestions():
    head = insert_after(BASE, "### Image: Segmentation", HOSTILE)
    comments = inline_comments(review(BASE, head, CRITERIA))
    assert [c.line for c in comments] == [line_of(head, "onerror")]
    assert "```suggestion" in comments[0].body
    assert "]](https://arxiv.org/pdf/1505.04597)" in comments[0].suggestion


def test_preexisting_problems_are_collapsed_and_not_blamed():
    head = BASE.replace("**Playing atari with deep", "**Playing Atari with deep")
    result = review(BASE, head, CRITERIA)
    body = markdown(result, CRITERIA)
    assert "<details><summary>Already in the list before this PR (1)" in body
    assert inline_comments(result) == []
    assert count_findings(blamed(result)) == "no findings"


def test_json_follows_the_documented_schema():
    head = insert_after(BASE, "### Image: Segmentation", HOSTILE)
    data = json.loads(json.dumps(as_json(review(BASE, head, CRITERIA), CRITERIA)))
    assert data["verdict"] == "request_changes"
    assert set(data["changes"]) == {"added", "removed", "moved", "edited"}
    (added,) = data["changes"]["added"]
    assert {"title", "year", "section", "line"} <= set(added)
    assert all(
        set(f) >= {"rule", "severity", "line", "message", "suggestion"} for f in data["findings"]
    )
    assert data["network"] == {"checked": False, "incomplete": []}
