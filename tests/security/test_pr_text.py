"""Attack 11: text a stranger writes that acts when the bot repeats it. Issue references (#123,
owner/repo#45, GH-1) would become backlinks in the bot's name; bidi controls and zero-width
characters make a line read differently from what it is. The bot shows them inert and visible,
in the summary, the inline notes, the suggestions and the check-run annotations."""

from __future__ import annotations

import re
import unicodedata

import pytest
from markdown_it import MarkdownIt

from bot.engine.criteria import Criteria
from bot.engine.render import inline_comments, markdown
from bot.engine.text import invisible, visible
from bot.engine.verdict import review
from bot.service.post import post_for
from tests.history import LATEST, readme
from tests.listedit import insert_after

BASE = readme(LATEST)
TITLE = "See #123, octo/repo#45 and GH-7 \u202eevil\u202c, zero\u200bwidth, joiner\u2060here"
LINE = f"- {TITLE} (2015) A. Author [[pdf]](https://example.org/p)"
REFERENCE = re.compile(r"#\d|\bGH-\d", re.IGNORECASE)


def rendered_texts(annotations: bool = True) -> list[str]:
    """The summary, the inline notes (markdown) and, unless not asked for, the check-run
    annotations (plain text: GitHub links nothing in them, but shows every character)."""
    result = review(BASE, insert_after(BASE, "### Image: Segmentation", LINE), Criteria())
    texts = [markdown(result, Criteria()), *(c.body for c in inline_comments(result))]
    if annotations:
        texts += [str(a["message"]) for a in post_for(result, Criteria()).annotations]
    return texts


def outside_code(text: str) -> str:
    """What GitHub renders as markdown: code blocks (suggested lines) link nothing."""
    return re.sub(r"^ *(`{3,})[^\n]*\n.*?\n *\1", "", text, flags=re.S | re.M)


def test_issue_references_in_pr_text_do_not_link():
    for text in rendered_texts(annotations=False):
        assert not REFERENCE.search(outside_code(text)), text


def test_bidi_and_zero_width_characters_are_shown_not_hidden():
    texts = rendered_texts()
    for text in texts:
        assert invisible(text) in ([], ["U+200B"]), text  # only the bot's own mention breakers
        assert "\u202e" not in text and "\u2060" not in text
    summary = texts[0]
    assert "\u27e8U+202E\u27e9evil" in summary and "\u27e8U+2060\u27e9here" in summary
    assert "remove the invisible characters U+202E, U+202C, U+200B, U+2060" in summary


def test_the_suggested_line_comes_without_invisible_characters():
    result = review(BASE, insert_after(BASE, "### Image: Segmentation", LINE), Criteria())
    (note,) = inline_comments(result)
    block = note.body.split("```suggestion\n", 1)[1].split("\n```", 1)[0]
    assert invisible(block) == [] and "evil" in block and "(2015), A. Author" in block


def test_every_format_character_of_unicode_is_caught():
    missed = [
        f"U+{code:04X}"
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Cf", "Zl", "Zp") and not invisible(chr(code))
    ]
    assert missed == []
    assert visible("a\u202eb") == "a\u27e8U+202E\u27e9b"


LINKS = {
    "escaped brackets in a bold title": r"**\[Approved by maintainers\]\(https://evil.example/x\)**",
    "nested brackets": "[Click [here]](https://evil.example/y)",
    "an escaped bracket": r"[Click\] here](https://evil.example/z)",
    "HTML entities": "**&#91;x&#93;&#40;https://evil.example/e&#41;**",
    "an autolink": "<https://evil.example/a>",
}


def live_links(text: str) -> list[str]:
    """The links GitHub would make of ``text``: markdown's (cmark rules, tables on) and GFM's
    autolinked bare addresses outside code."""
    html = MarkdownIt("commonmark").enable("table").render(text)
    hrefs = re.findall(r'<a href="([^"]+)"', html)
    bare = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    return hrefs + re.findall(r"(?:https?://|www\.)[^\s<>\"]+", re.sub(r"<[^>]+>", " ", bare))


@pytest.mark.parametrize("shape", sorted(LINKS))
def test_a_link_in_pr_text_is_shown_as_text_not_made_live(shape):
    line = f"- {LINKS[shape]} (2015), A. Author [[pdf]](https://example.org/p)"
    result = review(BASE, insert_after(BASE, "### Image: Segmentation", line), Criteria())
    for text in [markdown(result, Criteria()), *(c.body for c in inline_comments(result))]:
        assert not [link for link in live_links(outside_code(text)) if "evil" in link], text


def test_an_issue_url_in_pr_text_is_shown_in_code_where_github_references_nothing():
    line = "- See https://github.com/octo/repo/issues/1 (2015), A. B. [[pdf]](https://x.org/p)"
    result = review(BASE, insert_after(BASE, "### Image: Segmentation", line), Criteria())
    summary = markdown(result, Criteria())
    assert "`https://github.com/octo/repo/issues/1`" in summary
    assert not [u for u in live_links(summary) if "github.com/octo" in u]


def test_a_heading_with_a_link_is_shown_as_text():
    head = insert_after(BASE, "### Image: Segmentation", "### [Verified](https://evil.example/h)")
    head = insert_after(head, "### [Verified]", "- New (2015), A. B. [[pdf]](https://x.org/p)")
    summary = markdown(review(BASE, head, Criteria()), Criteria())
    assert "\\[Verified\\](`https://evil.example/h`)" in summary
    assert not [u for u in live_links(summary) if "evil" in u]
