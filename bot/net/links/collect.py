"""Find the links of a markdown document: the first of the link checker's three jobs (collect ->
check -> report), as lychee splits them.

Links are found with markdown-it, so links in code and HTML comments are not links: markdown links
and images, ``href``/``src`` in inline and block HTML, and bare URLs in prose (a list often holds
``[[pdf]] (url)`` with a stray space, which markdown renders as text).

They come a block at a time (``iter_links``), as lychee's collector streams them to its checker:
the block structure is read first, a fifth of the work, and each block's inline content as its
links are asked for, so that checking begins while the rest of a long list is still being read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore, text_join
from markdown_it.token import Token

from bot.engine.parse import git_lines

_md = MarkdownIt("commonmark")
_blocks = MarkdownIt("commonmark").disable(["inline", "text_join"])  # _md's first two steps
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


def _read_inline(token: Token, env: dict[str, object]) -> list[Token]:
    """What ``_md`` does to one inline token after the block structure: parse, join text."""
    token.children = []
    _md.inline.parse(token.content, _md, env, token.children)
    one = StateCore("", _md, env)
    one.tokens = [token]
    text_join(one)
    return token.children


def iter_links(text: str) -> Iterator[tuple[str, int]]:
    """Every http(s) link of a markdown document with its 1-based line, in reading order."""
    # Lines as git counts them: markdown-it would also break at a lone CR.
    source = "\n".join(line.replace("\r", " ") for line in git_lines(text)) if text else ""
    env: dict[str, object] = {}
    for token in _blocks.parse(source, env):
        if not token.map:
            continue
        if token.type == "inline":
            found = _inline_links(_read_inline(token, env), token.map[0] + 1)
        elif token.type == "html_block":
            lines = enumerate(token.content.split("\n"), token.map[0] + 1)
            found = ((m.group(1), n) for n, html in lines for m in _HTML_URL.finditer(html))
        else:
            continue
        yield from ((url, n) for url, n in found if url.lower().startswith(("http://", "https://")))


def extract_links(text: str) -> list[tuple[str, int]]:
    """Every http(s) link of a markdown document with its 1-based line, in reading order."""
    return list(iter_links(text))
