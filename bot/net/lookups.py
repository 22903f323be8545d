"""What the network phase will ask, worked out from the diff before any request is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.engine.criteria import Criteria
from bot.engine.identity import arxiv_id, doi
from bot.engine.model import Diff, Entry, PaperList, PaperMeta
from bot.engine.scope import needs_citations, new_urls
from bot.net.scholar.arxiv import query_id
from bot.net.scholar.match import PaperQuery

_DOI_HOST = re.compile(r"^https?://(?:dx\.)?doi\.org/", re.I)
_NIPS_SLUG = re.compile(r"papers\.nips\.cc/paper/\d+-([a-z0-9-]+?)(?:\.pdf)?/?$", re.I)
NIPS_URL = "the NIPS proceedings URL"


@dataclass
class Lookups:
    """What to ask, worked out from the diff before any request."""

    link_urls: list[str] = field(default_factory=list)  # for the link checker
    arxiv_links: dict[str, str] = field(default_factory=dict)  # url -> id: exists via arXiv
    doi_links: dict[str, str] = field(default_factory=dict)  # doi.org url -> doi: registered?
    arxiv_titles: dict[str, str] = field(default_factory=dict)  # url -> arXiv id
    doi_titles: dict[str, str] = field(default_factory=dict)  # url -> doi
    slug_titles: dict[str, PaperMeta] = field(default_factory=dict)  # url -> title in the URL
    papers: dict[int, PaperQuery] = field(default_factory=dict)  # head line -> paper
    # Other top-100 papers of the sections a paper enters: which one could make room for it.
    peers: dict[int, PaperQuery] = field(default_factory=dict)  # head line -> paper


def _arxiv(url: str) -> str | None:
    """The id to ask arXiv for: old-style ids lose their subject class (math.GT/0309136 ->
    math/0309136); arXiv's own DOIs (10.48550/arXiv.<id>, at DataCite, not Crossref) are ids."""
    found = arxiv_id(url)
    return query_id(found) if found else None


def paper_key(entry: Entry) -> str:
    ident = entry.identity
    return f"{ident.arxiv or ''}|{ident.doi or ''}|{ident.title}|{entry.year or ''}"


def _query(entry: Entry) -> PaperQuery:
    ident = entry.identity
    arxiv = query_id(ident.arxiv) if ident.arxiv else None
    return PaperQuery(paper_key(entry), entry.title, entry.year, arxiv, ident.doi)


def lookups_for(head: PaperList, diff: Diff, criteria: Criteria) -> Lookups:
    """Only what the PR touched: the links it adds, the titles behind its entries' links, the
    citations of the papers it puts into the top 100 (and of their section's peers)."""
    out = Lookups()
    changes = [c for c in diff.added + diff.moved + diff.edited if c.after]
    for change in changes:
        entry = change.after
        assert entry is not None
        for url in new_urls(change):
            if not url.lower().startswith(("http://", "https://")):
                continue
            if found := _arxiv(url):
                out.arxiv_links[url] = found
            elif _DOI_HOST.match(url) and (found := doi(url)):
                out.doi_links[url] = found
            elif url not in out.link_urls:
                out.link_urls.append(url)
        for link in entry.links:
            url = link.url
            if found := _arxiv(url):
                out.arxiv_titles[url] = found
            elif found := doi(url):
                out.doi_titles[url] = found
            elif slug := _NIPS_SLUG.search(url):
                title = slug.group(1).replace("-", " ")
                out.slug_titles[url] = PaperMeta(title, None, None, NIPS_URL, True, url)
        year_known = entry.year is not None
        if needs_citations(change) and (
            not year_known or criteria.threshold(entry.year, entry.sparkles) is not None
        ):
            out.papers[entry.line] = _query(entry)
    sections = {head_entry.section for head_entry in head.entries if head_entry.line in out.papers}
    for other in head.top100:
        if other.section in sections and other.line not in out.papers:
            out.peers[other.line] = _query(other)
    return out
