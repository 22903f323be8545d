"""README -> PaperList. markdown-it-py finds the structure; each entry's own line is then read."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.engine.criteria import Criteria
from bot.engine.identity import identify
from bot.engine.model import Entry, Link, PaperList, Section
from bot.errors import NotAListError

_md = MarkdownIt("commonmark")
# Block structure only; the inline content of list items is parsed on demand, once per distinct
# line, since base and head share almost every line.
_md_blocks = MarkdownIt("commonmark").disable("inline")

# "(2015)", "(Book, 2016)", "(Book, Jan 2017)": the first parenthesised group holding a year.
_YEAR_GROUP = re.compile(r"\((?P<inner>[^()]*?\b(?P<year>(?:19|20)\d{2})\b[^()]*)\)")
_BARE_YEAR = re.compile(r"\((?P<year>(?:19|20)\d{2})\b")
_LABEL_LINK = re.compile(r"\[\[(?P<label>[^\]]*)\]\](?P<gap>\s*)(?:\((?P<url>[^)]*)\))?")


@lru_cache(maxsize=8192)
def _inline(content: str) -> tuple[Token, ...]:
    tokens = _md.parseInline(content)
    return tuple(tokens[0].children or ()) if tokens else ()


def _is_anchor_only(children: tuple[Token, ...]) -> bool:
    hrefs = [str(t.attrs.get("href", "")) for t in children if t.type == "link_open"]
    return bool(hrefs) and all(h.startswith("#") for h in hrefs)


def _token_links(children: list[Token]) -> list[Link]:
    links: list[Link] = []
    label_parts: list[str] | None = None
    href = ""
    for token in children:
        if token.type == "link_open":
            href, label_parts = str(token.attrs.get("href", "")), []
        elif token.type == "link_close" and label_parts is not None:
            label = "".join(label_parts).strip().strip("[]").strip()
            links.append(Link(label=label, url=href))
            label_parts = None
        elif label_parts is not None:
            label_parts.append(token.content)
    return links


def link_problems(raw: str) -> list[Link]:
    """Syntax mistakes in ``[[label]](url)`` links that markdown silently renders as text."""
    problems: list[Link] = []
    for match in _LABEL_LINK.finditer(raw):
        label, gap, url = match.group("label"), match.group("gap"), match.group("url")
        if url is None:
            if not re.match(r"\s*\(", raw[match.end() :]):
                problems.append(Link(label, "", "label without URL"))
            continue
        url_clean = url.strip()
        if gap:
            problems.append(Link(label, url_clean, "space between ] and ("))
        elif not url_clean:
            problems.append(Link(label, "", "empty URL"))
        elif re.search(r"\s", url_clean):
            problems.append(Link(label, url_clean, "whitespace in URL"))
        elif not re.match(r"https?://", url_clean, re.I) and not url_clean.startswith("#"):
            problems.append(Link(label, url_clean, "not an http(s) URL"))
    if raw.count("(") != raw.count(")"):
        problems.append(Link("", "", "unbalanced parentheses"))
    return problems


def _entry_fields(text: str) -> tuple[str, int | None, str]:
    """Title, year and authors from an entry's text (markdown emphasis already removed)."""
    head = re.split(r"\[\[|\[(?=[^\]]*\]\()", text, maxsplit=1)[0]
    match = _YEAR_GROUP.search(head) or _BARE_YEAR.search(head)
    if match:
        title = head[: match.start()]
        year: int | None = int(match.group("year"))
        authors = head[match.end() :]
    else:
        title, _, authors = head.partition(", ")
        year = None
    title = title.strip().rstrip(",.:").strip()
    authors = authors.strip().lstrip(",:").strip().rstrip(",").strip()
    return title, year, authors


@lru_cache(maxsize=8192)
def _read_line(raw: str, content: str, bold_mark: str) -> dict[str, Any]:
    """Everything an entry says about itself; cached because base and head share most lines."""
    children = list(_inline(content))
    text = re.sub(r"\*\*|__", "", re.sub(r"^\s*[-*+]\s+", "", raw)).strip()
    bold_title = None
    for i, token in enumerate(children):
        if token.type == "strong_open" and i + 1 < len(children):
            bold_title = children[i + 1].content if i <= 1 else None
            break
    title, year, authors = _entry_fields(text)
    if bold_title:
        title = bold_title.strip()
    links = _token_links(children)
    for problem in link_problems(raw):
        at = next((i for i, lk in enumerate(links) if problem.url and lk.url == problem.url), None)
        if at is None:
            links.append(problem)
        else:
            links[at] = problem
    return {
        "title": title,
        "year": year,
        "authors": authors,
        "links": tuple(links),
        "bold": bool(re.match(r"\s*[-*+]\s+(\*\*|__)", raw)),
        "sparkles": bold_mark in raw,
        "identity": identify(title, [link.url for link in links if not link.problem]),
    }


def parse(text: str, criteria: Criteria) -> PaperList:
    """Read the list. Raises NotAListError for text that holds no paper entries at all."""
    if "\x00" in text:
        raise NotAListError("the file is binary, not a markdown list")
    lines = tuple(text.splitlines())
    tokens = _md_blocks.parse(text)
    sections: list[Section] = []
    entries: list[Entry] = []
    current: Section | None = None
    list_depth = 0
    item_line: int | None = None
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            heading = tokens[i + 1].content.strip()
            level = int(token.tag[1])
            paper_section = level >= 2 and criteria.holds_papers(heading)
            current = Section(
                title=heading,
                level=level,
                line=token.map[0] + 1,
                top100=paper_section and criteria.is_top_section(heading),
            )
            sections.append(current)
            if not paper_section:
                current = None
        elif token.type == "bullet_list_open":
            list_depth += 1
        elif token.type == "bullet_list_close":
            list_depth -= 1
        elif token.type == "list_item_open" and list_depth == 1 and token.map:
            item_line = token.map[0]
        elif token.type == "inline" and item_line is not None:
            start, item_line = item_line, None
            if current is None or _is_anchor_only(_inline(token.content)):
                continue
            raw = lines[start]
            entries.append(
                Entry(
                    line=start + 1,
                    raw=raw,
                    section=current.title,
                    top100=current.top100,
                    **_read_line(raw, token.content, criteria.bold_mark),
                )
            )
    if not entries and not sections and text.strip():
        raise NotAListError("no headings and no paper entries: this is not a markdown paper list")
    return PaperList(sections=tuple(sections), entries=tuple(entries), lines=lines)
