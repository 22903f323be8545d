"""The paper list as plain data: what the parser produces and every later stage reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "notice"]
Verdict = Literal["approve", "comment", "request_changes"]


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    problem: str | None = None  # a syntax problem found in the raw markdown, if any


@dataclass(frozen=True)
class Identity:
    """Ways to recognise the same paper under different spellings of its entry."""

    title: str  # normalised title
    arxiv: str | None = None
    doi: str | None = None
    urls: tuple[str, ...] = ()  # normalised URLs


@dataclass(frozen=True)
class Entry:
    line: int  # 1-based line in the README
    raw: str
    section: str
    title: str
    year: int | None
    authors: str
    links: tuple[Link, ...]
    bold: bool
    sparkles: bool
    identity: Identity
    top100: bool  # sits in a section counted towards the top 100
    unread: str | None = None  # why the entry was not read (too long, too much markup), if so


@dataclass(frozen=True)
class Section:
    title: str
    level: int
    line: int
    top100: bool


@dataclass(frozen=True)
class PaperList:
    sections: tuple[Section, ...]
    entries: tuple[Entry, ...]
    lines: tuple[str, ...] = field(repr=False)

    @property
    def top100(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.top100)


ChangeKind = Literal["added", "removed", "moved", "edited"]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    before: Entry | None  # None for added
    after: Entry | None  # None for removed
    fields: tuple[str, ...] = ()  # for edited/moved: which parts changed

    @property
    def entry(self) -> Entry:
        """The entry as the PR leaves it (or as it was, for a removal)."""
        entry = self.after or self.before
        assert entry is not None, "a change has an entry on one side at least"
        return entry


@dataclass(frozen=True)
class Diff:
    added: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    moved: tuple[Change, ...] = ()
    edited: tuple[Change, ...] = ()
    renamed_sections: tuple[tuple[str, str], ...] = ()  # (old heading, new heading)

    @property
    def all(self) -> tuple[Change, ...]:
        return self.added + self.removed + self.moved + self.edited

    @property
    def touched(self) -> tuple[Entry, ...]:
        """Head entries the PR added, moved or edited: the only ones it can be blamed for."""
        return tuple(c.after for c in self.added + self.moved + self.edited if c.after)


@dataclass(frozen=True)
class Acceptance:
    """A maintainer's ``/paperbot accept RULE REASON`` on a pull request."""

    rule: str
    by: str  # the maintainer's login
    reason: str


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    line: int | None  # head line; None when the finding is about the list as a whole
    message: str
    suggestion: str | None = None  # a replacement for the whole line, when one is known
    preexisting: bool = False  # already true of the base list: reported, never blamed
    accepted: Acceptance | None = None  # a maintainer accepted its rule here: shown, not counted

    @property
    def blamed(self) -> bool:
        """Whether it counts towards the verdict."""
        return not self.preexisting and self.accepted is None


# Facts gathered by the network phase (links, citations). Rules read them; they never fetch.

LinkOutcome = Literal["ok", "broken", "unverified", "skipped"]


@dataclass(frozen=True)
class LinkStatus:
    url: str
    outcome: LinkOutcome
    detail: str  # e.g. "404 Not Found", "403 (bot wall?)", "timed out", "private address"
    status: int | None = None
    permanent_redirect_to: str | None = None


@dataclass(frozen=True)
class PaperMeta:
    """What a scholarly service says about a paper."""

    title: str
    year: int | None
    citations: int | None
    source: str  # "Semantic Scholar", "OpenAlex", "arXiv", "Crossref"
    confident: bool  # False for a fuzzy or ambiguous title match
    url: str | None = None


@dataclass(frozen=True)
class Facts:
    links: dict[str, LinkStatus] = field(default_factory=dict)  # by URL as written
    citations: dict[int, PaperMeta | None] = field(default_factory=dict)  # by head line
    linked_titles: dict[str, PaperMeta | None] = field(default_factory=dict)  # by URL
    incomplete: tuple[str, ...] = ()  # what the time budget cut short, in words


@dataclass(frozen=True)
class Review:
    verdict: Verdict
    diff: Diff
    findings: tuple[Finding, ...]
    head: PaperList
    base: PaperList
    facts: Facts | None  # None when the network checks were not run (offline)
