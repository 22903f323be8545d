"""Connections are reused: on real HTTPS every new one is a TCP and a TLS handshake."""

from __future__ import annotations

from dataclasses import replace

from bot.net.links.check import check_links
from tests.net.links.conftest import (
    FAST,
    Handler,
    Site,
    head_refused,
    huge_body,
    redirect,
    resolver_for,
    status,
)


def test_head_answers_leave_their_connection_open_for_the_next_request(site: Site):
    urls = [site.route(f"/paper{n}", status(200)) for n in range(30)]
    results = check_links(urls, replace(FAST, per_host=2))
    assert {r.outcome for r in results.values()} == {"ok"}
    assert len(site.requests) == 30
    assert site.connections <= 2  # one per slot of the host, not one per request


def test_fallbacks_redirects_and_errors_reuse_connections_too(site: Site):
    urls = []
    for n in range(5):
        urls.append(site.route(f"/acm{n}", head_refused(403)))
        urls.append(site.route(f"/gone{n}", status(404)))
        site.route(f"/moved{n}", status(200))
        urls.append(site.route(f"/old{n}", redirect(f"/moved{n}", 301)))
    results = check_links(urls, replace(FAST, per_host=2))
    assert [r.outcome for r in results.values()] == ["ok", "broken", "ok"] * 5
    assert len(site.requests) == 30  # HEAD + GET each
    assert site.connections <= 2


def test_a_chunked_page_is_read_to_its_end_and_its_connection_kept(site: Site):
    def chunked(h: Handler) -> None:
        h.send_response(405 if h.command == "HEAD" else 200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(b"6\r\n<html>\r\n7\r\n</html>\r\n0\r\n\r\n")

    urls = [site.route(f"/chunked{n}", chunked) for n in range(10)]
    results = check_links(urls, replace(FAST, per_host=1))
    assert {r.outcome for r in results.values()} == {"ok"}
    assert site.connections == 1


def test_a_list_of_many_hosts_does_not_keep_a_connection_to_each(site: Site):
    names = {f"host{n}.test": ["127.0.0.1"] for n in range(20)}
    site.route("/paper", status(200))
    urls = [site.url("/paper", host=name) for name in names]
    net = replace(FAST, max_concurrency=2)
    results = check_links(urls, net, resolver=resolver_for(names))
    assert {r.outcome for r in results.values()} == {"ok"}
    assert site.connections == 20  # a host of its own each
    assert site.peak_open <= 2 + net.max_concurrency  # hosts done with are let go


def test_a_large_body_is_not_downloaded_to_keep_a_connection(site: Site):
    url = site.route("/book.pdf", huge_body(site))
    result = check_links([url], FAST)[url]
    assert result.outcome == "ok"
    assert site.body_bytes < 5 * 1024 * 1024  # the connection was closed, not drained
