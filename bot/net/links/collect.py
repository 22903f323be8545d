"""Find the links of a markdown document: the first of the link checker's three jobs (collect ->
check -> report), as lychee splits them.

Links are found with markdown-it, so links in code and HTML comments are not links: markdown links
and images, ``href``/``src`` in inline and block HTML, and bare URLs in prose (a list often holds
``[[pdf]] (url)`` with a stray space, which markdown renders as text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.engine.parse import git_lines

_md = MarkdownIt("commonmark")
_BARE_URL = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]+", re.IGNORECASE)
_HTML_URL = re.compile(r"""(?:href|src)\s*=\s*["']?(https?://[^"'\s>]+)""", re.IGNORECASE)


def _trim(url: str) -> str:
    """A bare URL in prose ends before trailing punctuation and an unmatched closing bracket.
    One pass from the end (counting once), so a megabyte of ")" costs a megabyte of steps."""
    opens, closes = url.count("("), url.count(")")
    end = len(url)
    while end:
        last = url[end - 1]
        if last in ".,;:!?*_~":
            end -= 1
        elif last == ")" and closes > opens:
            closes -= 1
            end -= 1
        else:
            break
    return url[:end]


def _inline_links(children: list[Token], first_line: int) -> Iterable[tuple[str, int]]:
    line = first_line
    in_link = 0
    for token in children:
        if token.type in ("softbreak", "hardbreak"):
            line += 1
        elif token.type == "link_open":
            in_link += 1
            yield str(token.attrs.get("href", "")), line
        elif token.type == "link_close":
            in_link -= 1
        elif token.type == "image":
            yield str(token.attrs.get("src", "")), line
        elif token.type == "html_inline":
            for match in _HTML_URL.finditer(token.content):
                yield match.group(1), line
        elif token.type == "text" and not in_link:
            for match in _BARE_URL.finditer(token.content):
                yield _trim(match.group(0)), line


def extract_links(text: str) -> list[tuple[str, int]]:
    """Every http(s) link of a markdown document with its 1-based line, in reading order."""
    found: list[tuple[str, int]] = []
    # Lines as git counts them: markdown-it would also break at a lone CR.
    source = "\n".join(line.replace("\r", " ") for line in git_lines(text)) if text else ""
    for token in _md.parse(source):
        if not token.map:
            continue
        if token.type == "inline":
            found.extend(_inline_links(token.children or [], token.map[0] + 1))
        elif token.type == "html_block":
            for offset, html_line in enumerate(token.content.split("\n"), token.map[0] + 1):
                found += [(m.group(1), offset) for m in _HTML_URL.finditer(html_line)]
    return [(url, line) for url, line in found if url.lower().startswith(("http://", "https://"))]
