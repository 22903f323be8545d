"""Loopback stand-ins for Semantic Scholar, OpenAlex, arXiv's export API, Crossref and doi.org.

One real HTTP server on 127.0.0.1 plays all five (under /s2, /oa, /arxiv, /crossref, /doi), with
response shapes taken from docs/api-notes.md. A test picks the papers it knows and how each
service misbehaves (down, throttled, slow), and reads how many requests each one received.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

import pytest
from rapidfuzz import fuzz

from bot.config import Config, NetSettings
from bot.engine.identity import normalise_title


@dataclass(frozen=True)
class Paper:
    title: str
    year: int
    citations: int
    arxiv: str | None = None
    doi: str | None = None

    @property
    def s2(self) -> dict:
        ids = {"CorpusId": zlib.crc32(self.title.encode()) % 10**8}
        if self.arxiv:
            ids["ArXiv"] = self.arxiv
        if self.doi:
            ids["DOI"] = self.doi.upper()
        return {
            "paperId": f"s2-{zlib.crc32(self.title.encode()) % 10**12:012x}",
            "externalIds": ids,
            "title": self.title,
            "year": self.year,
            "citationCount": self.citations,
        }

    @property
    def openalex(self) -> dict:
        wid = f"https://openalex.org/W{zlib.crc32(self.title.encode()) % 10**10}"
        return {
            "id": wid,
            "doi": f"https://doi.org/{self.doi}" if self.doi else None,
            "display_name": self.title,
            "publication_year": self.year,
            "cited_by_count": self.citations,
            "ids": {"openalex": wid},
        }


RESNET = Paper(
    "Deep Residual Learning for Image Recognition",
    2016,
    150_000,
    "1512.03385",
    "10.1109/cvpr.2016.90",
)
WIDE = Paper("Wide Residual Networks", 2016, 25, "1605.07146")
BORDERLINE = Paper("Colorful Image Colorization", 2016, 45, "1603.08511")
TREE_RL = Paper(
    "Tree-Structured Reinforcement Learning for Sequential Object Localization", 2016, 90
)
PIXELCNN = Paper("Conditional Image Generation with PixelCNN Decoders", 2016, 2_000, "1606.05328")
DEEP_LEARNING_NATURE = Paper("Deep learning", 2015, 60_000, doi="10.1038/nature14539")
DEEP_LEARNING_BOOK = Paper("Deep Learning", 2016, 40_000)
UNET = Paper(
    "U-Net: Convolutional Networks for Biomedical Image Segmentation", 2015, 70_000, "1505.04597"
)
KNOWN = (
    RESNET,
    WIDE,
    BORDERLINE,
    TREE_RL,
    PIXELCNN,
    DEEP_LEARNING_NATURE,
    DEEP_LEARNING_BOOK,
    UNET,
)


@dataclass
class Behaviour:
    """How each service behaves in one test: "s2", "oa", "arxiv", "crossref", "doi", "site"."""

    papers: list[Paper] = field(default_factory=lambda: list(KNOWN))
    down: set[str] = field(default_factory=set)  # answer 500
    throttled: Counter = field(default_factory=Counter)  # answer 429 this many times first
    retry_after: str = "1"
    delay: dict[str, float] = field(default_factory=dict)  # seconds before answering
    hits: Counter = field(default_factory=Counter)
    asked: list[tuple[str, str]] = field(default_factory=list)  # (service, path and query)
    # The DOI handle API's answer for a DOI, as (HTTP status, responseCode), over the default
    # (200, 1) for a known DOI and (404, 100) for an unknown one.
    handles: dict[str, tuple[int, int]] = field(default_factory=dict)
    # OpenAlex since 13 Feb 2026: without an api_key about $0.01 a day, a few calls.
    keyless_openalex: int = 2
    lock: threading.Lock = field(default_factory=threading.Lock)


def _feed(entries: list[Paper]) -> str:
    items = "".join(
        f"""<entry><id>http://arxiv.org/abs/{p.arxiv}v2</id>
<updated>{p.year}-01-01T00:00:00Z</updated><published>{p.year - 1}-12-10T00:00:00Z</published>
<title>{escape(p.title)}</title><summary>An abstract.</summary>
<author><name>A. Author</name></author>
<link href="http://arxiv.org/abs/{p.arxiv}v2" rel="alternate" type="text/html"/>
<link title="pdf" href="http://arxiv.org/pdf/{p.arxiv}v2" rel="related" type="application/pdf"/>
<arxiv:primary_category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/></entry>"""
        for p in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">'
        '<title type="html">ArXiv Query: id_list</title>'
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>{items}</feed>"
    )


ARXIV_FIXTURES = Path(__file__).parent.parent / "fixtures" / "arxiv"
# What arXiv's export API refuses with its 400 error feed: ids not shaped as either style, a month
# outside 01-12, an archive it does not have. It is looser than the bot's own check (it answers
# 200 for 0808.05394, which has a digit too many for 2008), so the bot checks ids itself.
_ARCHIVES = {
    "cs",
    "math",
    "hep-th",
    "hep-ph",
    "astro-ph",
    "cond-mat",
    "quant-ph",
    "stat",
    "physics",
}


def _arxiv_refuses(arxiv: str) -> bool:
    new = re.fullmatch(r"\d\d(\d\d)\.\d{4,5}(?:v\d+)?", arxiv)
    old = re.fullmatch(r"([a-z\-]+)(?:\.[a-z]{2})?/\d\d(\d\d)\d{3}(?:v\d+)?", arxiv)
    if new:
        return not 1 <= int(new.group(1)) <= 12
    if old:
        return old.group(1) not in _ARCHIVES or not 1 <= int(old.group(2)) <= 12
    return True


def _search(papers: list[Paper], text: str) -> list[Paper]:
    """Relevance search, roughly: every paper sharing enough words with the query."""
    words = normalise_title(text)
    found = [p for p in papers if fuzz.token_set_ratio(words, normalise_title(p.title)) >= 70]
    return sorted(found, key=lambda p: -fuzz.ratio(words, normalise_title(p.title)))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    behaviour: Behaviour

    def log_message(self, *args: object) -> None:
        pass

    def _send(
        self,
        status: int,
        body: object,
        kind: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        b = self.behaviour
        url = urlsplit(self.path)
        service, _, rest = url.path.lstrip("/").partition("/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        with b.lock:
            b.hits[service] += 1
            b.asked.append((service, self.path))
            throttled = b.throttled[service] > 0
            if throttled:
                b.throttled[service] -= 1
        if service in b.delay:
            time.sleep(b.delay[service])
        if throttled:  # Semantic Scholar's 429 names no wait (allenai/s2-folks #218)
            wait = {} if service == "s2" else {"Retry-After": b.retry_after}
            return self._send(429, {"message": "Too Many Requests"}, headers=wait)
        if service in b.down:
            return self._send(500, {"message": "Internal Server Error"})
        papers = b.papers
        if service == "s2" and rest == "paper/batch":
            out = []
            for pid in body["ids"]:
                kind, _, value = pid.partition(":")
                match = next(
                    (p for p in papers if (p.arxiv if kind == "ARXIV" else p.doi) == value.lower()),
                    None,
                )
                out.append(match.s2 if match else None)
            return self._send(200, out)
        if service == "s2" and rest == "paper/search":
            found = [p.s2 for p in _search(papers, query.get("query", ""))]
            return self._send(200, {"total": len(found), "offset": 0, "data": found})
        if service == "oa" and not query.get("api_key"):
            with b.lock:
                b.keyless_openalex -= 1
                spent = b.keyless_openalex < 0
            if spent:
                return self._send(429, {"error": "Rate limit exceeded", "message": "add api_key"})
        if service == "oa" and rest.startswith("works/doi:"):
            key = unquote(rest.removeprefix("works/doi:")).lower()
            match = next((p for p in papers if p.doi == key), None)
            if match:
                return self._send(200, match.openalex)
            preprint = next((p for p in papers if f"10.48550/arxiv.{p.arxiv}" == key), None)
            if preprint:  # OpenAlex keeps the arXiv record apart, with few citations
                work = {**preprint.openalex, "cited_by_count": preprint.citations // 10}
                return self._send(200, {**work, "id": work["id"] + "P", "doi": key})
            return self._send(404, {"error": "NotFoundError"})
        if service == "oa" and rest == "works":
            text = query.get("filter", "").removeprefix("title.search:")
            found = [p.openalex for p in _search(papers, text)]
            return self._send(200, {"meta": {"count": len(found)}, "results": found})
        if service == "arxiv":
            ids = query.get("id_list", "").split(",")
            refused = next((i for i in ids if _arxiv_refuses(i)), None)
            if refused is not None:  # the recorded error feed, naming the first refused id
                error = (ARXIV_FIXTURES / "error-400.xml").read_text()
                return self._send(400, error.replace("abc", refused), "application/atom+xml")
            found = [p for p in papers if p.arxiv in ids]
            body = _feed(found) if found else (ARXIV_FIXTURES / "empty.xml").read_text()
            return self._send(200, body, "application/atom+xml")
        if service == "crossref" and rest.startswith("works/"):
            key = unquote(rest.removeprefix("works/")).lower()
            match = next((p for p in papers if p.doi == key), None)
            if not match:
                return self._send(404, "Resource not found.", "text/plain")
            message = {
                "DOI": key,
                "title": [match.title],
                "issued": {"date-parts": [[match.year, 6, 27]]},
                "is-referenced-by-count": match.citations // 3,
            }
            return self._send(200, {"status": "ok", "message-type": "work", "message": message})
        if service == "doi" and rest.startswith("api/handles/"):
            key = unquote(rest.removeprefix("api/handles/")).lower()
            if key in b.handles:
                status, code = b.handles[key]
                return self._send(status, {"responseCode": code, "handle": key, "values": []})
            if any(key in (p.doi, f"10.48550/arxiv.{p.arxiv}") for p in papers):
                return self._send(200, {"responseCode": 1, "handle": key, "values": []})
            return self._send(404, {"responseCode": 100, "handle": key})
        if service == "site":  # a plain web host for the link checker
            return self._send(404 if rest.startswith("gone") else 200, "<html></html>", "text/html")
        return self._send(404, {"error": "no such route"})


@pytest.fixture(scope="session")
def _server():
    handler = type("Handler", (_Handler,), {"behaviour": Behaviour()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def services(_server) -> Behaviour:
    """A fresh behaviour (every service up, every paper known) for each test."""
    _, handler = _server
    handler.behaviour = Behaviour()
    return handler.behaviour


@pytest.fixture
def base_url(_server) -> str:
    server, _ = _server
    return f"http://127.0.0.1:{server.server_address[1]}"


def services_config(base: str, **settings: Any) -> Config:
    """The network settings of a test: every scholarly service under ``base``, short limits."""
    net = NetSettings(
        budget_seconds=5.0,
        connect_timeout=1.0,
        read_timeout=2.0,
        retries=1,
        retry_after_cap=0.5,
        semantic_scholar_url=f"{base}/s2",
        openalex_url=f"{base}/oa",
        arxiv_url=f"{base}/arxiv/api/query",
        crossref_url=f"{base}/crossref",
        doi_url=f"{base}/doi",
        arxiv_interval_seconds=0.0,
        semantic_scholar_interval_seconds=0.0,
        openalex_key="test-key",
    )
    return Config(net=replace(net, **settings))


@pytest.fixture
def config(base_url) -> Config:
    return services_config(base_url, allow_private=True)
