"""Paper identity: the keys under which two differently written entries are the same paper."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from bot.engine.model import Identity

# New-style ids (1512.03385, 1412.6980v9) and old-style ones (cs/0501001, math.GT/0309136).
_ARXIV = re.compile(
    r"arxiv\.org/(?:abs|pdf|format|html)/"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Za-z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?",
    re.IGNORECASE,
)
_DOI = re.compile(
    r"(?:doi\.org/|/doi/(?:abs/|full/|pdf/|pdfplus/|epdf/)?)(10\.\d{4,9}/[^\s?#]+)", re.I
)


def arxiv_id(url: str) -> str | None:
    match = _ARXIV.search(url)
    return match.group("id").lower() if match else None


def doi(url: str) -> str | None:
    match = _DOI.search(unquote(url))
    if not match:
        return None
    return match.group(1).rstrip(".,;)").lower()


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


def identify(title: str, urls: list[str]) -> Identity:
    web = [u for u in urls if u.lower().startswith(("http://", "https://"))]
    arxiv = next((a for a in map(arxiv_id, web) if a), None)
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
