"""Attack 4: steering the scholarly lookups (Semantic Scholar, OpenAlex, Crossref, doi.org) to
internal hosts: a redirect to a private address, proxy variables in the environment, and a DOI
written to walk out of an API's path. Lookups pass the same SSRF guard as link checks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.config import Config
from bot.engine.identity import doi, valid_doi
from bot.engine.verdict import prepare
from bot.net.facts import gather
from bot.net.guard import PUBLIC_ONLY, Reach
from bot.net.scholar.http import doi_path
from tests.clock import FakeClock
from tests.history import LATEST, readme
from tests.listedit import insert_after
from tests.net.conftest import services_config

LIST = readme(LATEST)
WIDE = (
    "- **Wide residual networks** (2016), S. Zagoruyko and N. Komodakis "
    "[[pdf]](https://arxiv.org/pdf/1605.07146)"
)


class Recorder:
    """A loopback HTTP server answering every request with one canned answer; counts them."""

    def __init__(self, host: str, answer: tuple[int, dict[str, str], bytes]) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                recorder.paths.append(self.path)
                status, headers, body = answer
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal() -> Iterator[Recorder]:
    """An internal host (127.0.0.2, untrusted): what a redirect must never reach."""
    server = Recorder("127.0.0.2", (200, {"Content-Type": "application/json"}, b"{}"))
    yield server
    server.close()


def review_facts(config: Config, reach: Reach = PUBLIC_ONLY):
    head = insert_after(LIST, "### Image: Segmentation", WIDE)
    base, head_list, diff = prepare(LIST, head, config.criteria)
    return gather(base, head_list, diff, config, clock=FakeClock(), reach=reach)


def services_at(url: str, **settings: object) -> Config:
    return services_config(url, retries=0, **settings)


def test_a_service_redirecting_to_an_internal_address_is_not_followed(internal: Recorder) -> None:
    redirect = (302, {"Location": f"{internal.url}/latest/meta-data/"}, b"")
    service = Recorder("127.0.0.1", redirect)
    try:
        facts = review_facts(services_at(service.url), Reach(trusted=("127.0.0.1/32",)))
    finally:
        service.close()
    assert service.paths  # the lookups were made, and redirected
    assert internal.paths == []  # and the redirect to the internal host was refused
    assert all(meta is None for meta in facts.citations.values())


def test_proxy_variables_in_the_environment_are_not_used(
    internal: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>'
    service = Recorder("127.0.0.1", (200, {"Content-Type": "application/atom+xml"}, feed))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, internal.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        review_facts(services_at(service.url, allow_private=True))
    finally:
        service.close()
    assert service.paths and internal.paths == []


@pytest.mark.parametrize(
    "url",
    [
        "https://doi.org/10.1234/../../../10.5555/x",
        "https://doi.org/10.1234/./x",
        "https://dx.doi.org/10.1234/a/%2e%2e/b",
        "https://doi.org/not-a-doi",
    ],
)
def test_a_doi_that_walks_out_of_the_path_or_is_no_doi_is_not_read(url: str) -> None:
    assert doi(url) is None


def test_a_doi_goes_into_an_api_path_percent_encoded() -> None:
    assert valid_doi("10.1000/a?b#c%d")
    assert doi_path("10.1000/a?b#c%d") == "10.1000/a%3Fb%23c%25d"
    assert doi_path("10.1000/../x") is None
    assert json.dumps(doi_path("10.1000/x")) == '"10.1000/x"'
