"""Paper identity: the keys under which two differently written entries are the same paper."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from bot.engine.model import Identity

# New-style ids (1512.03385, 1412.6980v9) and old-style ones (cs/0501001, math.GT/0309136), on
# arXiv's own hosts only: an id in another site's path or query names no arXiv paper.
_ARXIV_PATH = re.compile(
    r"/(?:abs|pdf|format|html)/"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Za-z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_ARXIV_TEXT = re.compile(r"\barXiv:\s?(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})", re.I)
_ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org")
_ARXIV_DOI = "10.48550/arxiv."  # arXiv's own DOIs (DataCite): the paper is the arXiv id
_NEW_STYLE = re.compile(r"^(?P<yy>\d\d)(?P<mm>\d\d)\.(?P<number>\d+)(?:v\d+)?$")
_OLD_STYLE = re.compile(
    r"^[a-z\-]+(?:\.[a-z]{2})?/(?P<yy>\d\d)(?P<mm>\d\d)(?P<number>\d+)(?:v\d+)?$"
)
# A DOI is read from doi.org links, and from the /doi/ paths of publishers known to use them.
_DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")
_PUBLISHER_DOI_HOSTS = (
    "dl.acm.org",
    "onlinelibrary.wiley.com",
    "www.tandfonline.com",
    "journals.sagepub.com",
    "pubs.acs.org",
    "www.science.org",
    "www.pnas.org",
    "www.mitpressjournals.org",
    "direct.mit.edu",
)
_DOI_IN_PATH = re.compile(r"^/(?:doi/(?:abs/|full/|pdf/|pdfplus/|epdf/)?)?(10\.\d{4,9}/\S+)$", re.I)
_DOI_SYNTAX = re.compile(r"^10\.\d{4,9}/[^\s]+$")


def _host_and_path(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url.strip())
        return (parts.hostname or "").lower(), parts.path
    except ValueError:
        return "", ""


def arxiv_id(url: str) -> str | None:
    """The arXiv id of an arxiv.org link (abs, pdf, format or html page) or of a doi.org link to
    arXiv's own DOI (``10.48550/arXiv.<id>``), or None."""
    host, path = _host_and_path(url)
    if host in _DOI_HOSTS:
        found = _doi_of(path)
        if found and found.startswith(_ARXIV_DOI):
            match = _ARXIV_PATH.search("/abs/" + found[len(_ARXIV_DOI) :])
            return match.group("id").lower() if match else None
        return None
    if host not in _ARXIV_HOSTS:
        return None
    match = _ARXIV_PATH.search(path)
    return match.group("id").lower() if match else None


def arxiv_id_problem(arxiv: str) -> str | None:
    """Why ``arxiv`` cannot be an arXiv identifier, or None when its syntax is right: new style
    ``YYMM.NNNN`` from April 2007 and ``YYMM.NNNNN`` from January 2015, old style
    ``archive[.SC]/YYMMNNN`` from 1991 to March 2007, months 01-12, an optional version."""
    new = _NEW_STYLE.match(arxiv.lower())
    if new:
        yymm, digits = int(new["yy"] + new["mm"]), len(new["number"])
        if not 1 <= int(new["mm"]) <= 12:
            return f"month {new['mm']} does not exist"
        if yymm < 704:
            return "new-style ids start in April 2007 (0704)"
        if digits != (want := 5 if yymm >= 1501 else 4):
            return f"ids of {new['yy']}{new['mm']} have {want} digits after the dot"
        return None
    old = _OLD_STYLE.match(arxiv.lower())
    if old:
        year = int(old["yy"]) + (1900 if int(old["yy"]) >= 91 else 2000)
        if not 1 <= int(old["mm"]) <= 12:
            return f"month {old['mm']} does not exist"
        if len(old["number"]) != 3 or not 199108 <= year * 100 + int(old["mm"]) <= 200703:
            return "old-style ids are archive/YYMMNNN, from 1991 to March 2007"
        return None
    return "not an arXiv identifier"


def arxiv_id_in_text(text: str) -> str | None:
    """An id written as ``arXiv:1601.00001`` in an entry's text."""
    match = _ARXIV_TEXT.search(text)
    return match.group("id").lower() if match else None


def valid_doi(value: str) -> bool:
    """``10.<registrant>/<suffix>``, with no ``.`` or ``..`` path segment: a DOI that goes into an
    API's URL path must not be able to walk out of it."""
    if not _DOI_SYNTAX.match(value):
        return False
    return not any(part in (".", "..") for part in value.split("/"))


def _doi_of(path: str) -> str | None:
    found = unquote(path).lstrip("/").rstrip(".,;)").lower()
    return found if valid_doi(found) else None


def doi(url: str) -> str | None:
    """The DOI of a doi.org link or a known publisher's /doi/ page; None if it is no valid DOI,
    or one of arXiv's own (the paper is then its arXiv id, ``arxiv_id``)."""
    host, path = _host_and_path(url)
    if host in _DOI_HOSTS:
        found = _doi_of(path)
    elif host in _PUBLISHER_DOI_HOSTS:
        match = _DOI_IN_PATH.match(unquote(path))
        found = _doi_of(match.group(1)) if match else None
    else:
        return None
    return None if found is None or found.startswith(_ARXIV_DOI) else found


def normalise_url(url: str) -> str:
    """Scheme, ``www.``, case of the host, trailing slash and fragment do not make another paper."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip().lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def normalise_title(title: str) -> str:
    text = title
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


def identify(title: str, urls: list[str], text: str = "") -> Identity:
    """The keys of an entry: from its links, and an ``arXiv:ID`` in its ``text`` when no link
    names an arXiv paper."""
    web = [u for u in urls if u.lower().startswith(("http://", "https://"))]
    arxiv = next((a for a in map(arxiv_id, web) if a), None) or arxiv_id_in_text(text)
    found_doi = next((d for d in map(doi, web) if d), None)
    return Identity(
        title=normalise_title(title),
        arxiv=arxiv,
        doi=found_doi,
        urls=tuple(dict.fromkeys(normalise_url(u) for u in web)),
    )


def keys(identity: Identity) -> list[str]:
    """Exact-match keys, strongest first."""
    out = []
    if identity.arxiv:
        out.append(f"arxiv:{identity.arxiv}")
    if identity.doi:
        out.append(f"doi:{identity.doi}")
    if identity.title:
        out.append(f"title:{identity.title}")
    out.extend(f"url:{u}" for u in identity.urls)
    return out
