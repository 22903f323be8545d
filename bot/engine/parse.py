"""README -> PaperList. markdown-it-py finds the structure; each entry's own line is then read.

Every step is linear in the text a stranger sends: lines are split as git splits them (at ``\n``
only, so line numbers are git's), a line longer than ``criteria.max_line_length`` or an entry with
more markdown marks than any paper entry needs is reported and not read (markdown-it's inline
parser costs up to ~20 us a character on bracket-heavy text), and no pattern here backtracks.
"""

from __future__ import annotations

import re
from bisect import bisect_left
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

# "(2015)", "(Book, 2016)", "(Book, Jan 2017)": parenthesised groups (no parentheses inside) and
# the year in them. Each scan stops at the next parenthesis, so a stranger's "( 2015 2015 ..."
# costs one pass.
_PAREN_GROUP = re.compile(r"\(([^()]*)\)")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_BARE_YEAR = re.compile(r"\((?P<year>(?:19|20)\d{2})\b")
# A label holds no bracket, so every attempt stops at the next one.
_LABEL = re.compile(r"\[\[(?P<label>[^\[\]]*)\]\](?P<gap>\s*)")
_LINK_START = re.compile(r"\[\[|\[(?=[^\[\]]*\]\()")
_BULLET = re.compile(r"\s*(?:[-*+]|\d{1,9}[.)])\s+")
_BOLD_START = re.compile(r"\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\*\*|__)")
# Markdown's marks: an entry needs a few dozen (the real list's busiest has 21); past MAX_MARKS the
# entry is reported, not handed to markdown-it's inline parser.
_MARKS = re.compile(r"[\[\]()*_`<!\\]")
MAX_MARKS = 64
_SHOWN = 60  # characters of an unread line shown as its title
# A list this long takes about half a minute to review (a megabyte of short entries about 6 s);
# GitHub lets a pull request carry a 100 MB file, which no worker should spend minutes on.
MAX_LIST_CHARS = 5_000_000
# markdown-it keeps about 2 KB of tokens per list item: 20,000 lines (a list of 240 papers has
# about 500) stay under 100 MB, where a megabyte of "- a" lines (250,000 items) took 1.7 GB.
MAX_LIST_LINES = 20_000
_ADDRESS = re.compile(r"https?://|www\.", re.IGNORECASE)
_HTML_LINK = re.compile(r"<a\s", re.IGNORECASE)
HTML_UNREAD = "written in HTML, which paperbot does not read (write the paper as a markdown bullet)"


def git_lines(text: str) -> list[str]:
    """The lines git counts: split at ``\n`` only (a CRLF ending is one break, its ``\r`` dropped).
    ``str.splitlines`` would also break at U+2028, NEL, form feed and a lone CR, and every later
    line number would then point at the wrong line."""
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if lines[-1] == "":
        lines.pop()
    return lines


def year_groups(text: str) -> list[tuple[int, int, int]]:
    """(start, end, year) of each parenthesised group holding a year, in order."""
    found = []
    for group in _PAREN_GROUP.finditer(text):
        year = _YEAR.search(group.group(1))
        if year:
            found.append((group.start(), group.end(), int(year.group())))
    return found


@lru_cache(maxsize=8192)
def _inline(content: str) -> tuple[Token, ...]:
    tokens = _md.parseInline(content)
    return tuple(tokens[0].children or ()) if tokens else ()


def _is_anchor_only(children: tuple[Token, ...], content: str) -> bool:
    """A "back to top" bullet: its only links are anchors in the page. A web address anywhere
    else in it (GitHub links bare URLs, and raw HTML links work) makes it an entry."""
    hrefs = [str(t.attrs.get("href", "")) for t in children if t.type == "link_open"]
    return (
        bool(hrefs)
        and all(h.startswith("#") for h in hrefs)
        and not _ADDRESS.search(content)
        and not _HTML_LINK.search(content)
    )


def looks_like_paper(text: str) -> bool:
    """A year in parentheses and a web address: read even where papers are not expected (a
    nested bullet, raw HTML), so that no paper slips past the review by its markup."""
    return bool(_ADDRESS.search(text)) and bool(year_groups(text))


def visible_heading(text: str) -> str:
    """A heading's text as GitHub shows it: without HTML comments (``### <!-- x -->`` is blank)."""
    out, pos = [], 0
    while (start := text.find("<!--", pos)) != -1:
        out.append(text[pos:start])
        end = text.find("-->", start + 4)
        if end == -1:
            return "".join(out).strip()
        pos = end + 3
    out.append(text[pos:])
    return "".join(out).strip()


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
    """Syntax mistakes in ``[[label]](url)`` links that markdown silently renders as text.

    The URL runs to the first ")" after its "(" (found by bisection over the positions of ")",
    so a line of "[[x]](" repeated costs one pass, not one pass per label)."""
    problems: list[Link] = []
    closes = [i for i, char in enumerate(raw) if char == ")"]
    pos = 0
    while (match := _LABEL.search(raw, pos)) is not None:
        label, gap, after = match.group("label"), match.group("gap"), match.end()
        pos = after
        if not raw.startswith("(", after):
            problems.append(Link(label, "", "label without URL"))
            continue
        at = bisect_left(closes, after)
        if at == len(closes):
            continue  # "(" never closed: reported below as unbalanced parentheses
        url_clean, pos = raw[after + 1 : closes[at]].strip(), closes[at] + 1
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
    head = _LINK_START.split(text, maxsplit=1)[0]
    groups = year_groups(head)
    if not groups and (bare := _BARE_YEAR.search(head)):
        groups = [(bare.start(), bare.end(), int(bare.group("year")))]
    if groups:
        start, end, found = groups[0]
        title = head[:start]
        year: int | None = found
        authors = head[end:]
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
    text = re.sub(r"\*\*|__", "", _BULLET.sub("", raw, count=1)).strip()
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
        "bold": bool(_BOLD_START.match(raw)),
        "sparkles": bold_mark in raw,
        "identity": identify(title, [link.url for link in links if not link.problem], raw),
    }


def _unread_reason(lines: list[str], start: int, end: int, content: str, cap: int) -> str | None:
    """Why an item is not read, or None: a line or the whole item too long, too many marks."""
    for number in range(start, end):
        if len(lines[number]) > cap:
            return f"line {number + 1} is {len(lines[number]):,} characters long (at most {cap:,})"
    if len(content) > cap:
        return f"the entry is {len(content):,} characters long (at most {cap:,})"
    marks = len(_MARKS.findall(content))
    if marks > MAX_MARKS:
        return (
            f"the entry holds {marks:,} markdown marks such as [ ] ( ) * _ (a paper entry needs "
            f"a few dozen; at most {MAX_MARKS})"
        )
    return None


def _unread_entry(raw: str) -> dict[str, Any]:
    shown = _BULLET.sub("", raw[: _SHOWN * 2], count=1)[:_SHOWN].strip()
    title = shown + ("\u2026" if len(raw) > _SHOWN else "")
    return {
        "title": title,
        "year": None,
        "authors": "",
        "links": (),
        "bold": False,
        "sparkles": False,
        "identity": identify("", []),
    }


def _html_entries(lines: list[str], token: Token, section: Section, cap: int) -> list[Entry]:
    """Papers written as raw HTML in a paper section (``<li>...<a href=...>``): GitHub shows them,
    paperbot cannot read them, so each line that looks like a paper is an unread entry. An HTML
    comment shows nothing and holds none."""
    if token.content.lstrip().startswith("<!--") or token.map is None:
        return []
    start, end = token.map
    return [
        Entry(
            line=number + 1,
            raw=lines[number],
            section=section.title,
            top100=section.top100,
            unread=HTML_UNREAD,
            **_unread_entry(lines[number]),
        )
        for number in range(start, end)
        if looks_like_paper(lines[number][:cap])
    ]


def parse(text: str, criteria: Criteria) -> PaperList:
    """Read the list. Raises NotAListError for text that holds no paper entries at all."""
    if "\x00" in text:
        raise NotAListError("the file is binary, not a markdown list")
    if len(text) > MAX_LIST_CHARS:
        raise NotAListError(
            f"the file is {len(text):,} characters long; paperbot reads lists of up to "
            f"{MAX_LIST_CHARS:,}"
        )
    lines = git_lines(text)
    if len(lines) > MAX_LIST_LINES:
        raise NotAListError(
            f"the file has {len(lines):,} lines; paperbot reads lists of up to {MAX_LIST_LINES:,}"
        )
    cap = criteria.max_line_length
    # markdown-it sees the lines git sees: a lone CR would be a line break to it, and a line past
    # the cap is cut to its start (enough for its structure: a bullet, a heading) so that no
    # stranger's line costs more than the cap to read.
    source = "\n".join(
        line[:100] + "\u2026" if len(line) > cap else line.replace("\r", " ") for line in lines
    )
    tokens = _md_blocks.parse(source)
    sections: list[Section] = []
    entries: list[Entry] = []
    current: Section | None = None
    list_depth = 0
    item: tuple[int, int, bool] | None = None  # (start, end, nested)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            heading = visible_heading(tokens[i + 1].content)
            if not heading:
                continue  # a blank heading shows no section: its papers stay in the one above
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
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "list_item_open" and token.map:
            item = (token.map[0], token.map[1], list_depth > 1)
        elif token.type == "html_block" and current is not None and token.map:
            entries += _html_entries(lines, token, current, cap)
        elif token.type == "inline" and item is not None:
            (start, end, nested), item = item, None
            if not (token.map and start <= token.map[0] < end):
                continue  # an empty item: this text (a heading's, say) is not the item's
            if current is None or (nested and not looks_like_paper(token.content)):
                continue
            raw = lines[start]
            unread = _unread_reason(lines, start, end, token.content, cap)
            if unread is None and _is_anchor_only(_inline(token.content), token.content):
                continue
            fields = (
                _unread_entry(raw) if unread else _read_line(raw, token.content, criteria.bold_mark)
            )
            entries.append(
                Entry(
                    line=start + 1,
                    raw=raw,
                    section=current.title,
                    top100=current.top100,
                    unread=unread,
                    **fields,
                )
            )
    entries.sort(key=lambda entry: entry.line)
    if not entries and not sections and text.strip():
        raise NotAListError("no headings and no paper entries: this is not a markdown paper list")
    return PaperList(sections=tuple(sections), entries=tuple(entries), lines=tuple(lines))
