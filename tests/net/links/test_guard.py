"""The SSRF guard: URLs from strangers never reach loopback, private or metadata addresses."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from bot.net.guard import address_problem, system_resolver
from bot.net.links.check import check_links
from tests.net.links.conftest import GUARDED, Site, delayed, redirect, resolver_for, status

PUBLIC = "127.0.0.2/32"  # the test's stand-in for the public internet

DNS = resolver_for(
    {
        "public.test": ["127.0.0.2"],
        "evil.test": ["127.0.0.1"],
        "intranet.test": ["10.0.0.1"],
        "metadata.test": ["169.254.169.254"],
        "mapped.test": ["::ffff:127.0.0.1"],
        "half.test": ["127.0.0.2", "192.168.1.10"],
    }
)
DNS_TLS = resolver_for({"paper.test": ["127.0.0.1"]})


def check(url: str, **kwargs):
    return check_links([url], GUARDED, resolver=DNS, trusted=[PUBLIC], **kwargs)[url]


@pytest.mark.parametrize(
    ("ip", "problem"),
    [
        ("127.0.0.1", "loopback address"),
        ("127.8.9.10", "loopback address"),
        ("10.1.2.3", "private address"),
        ("172.16.0.1", "private address"),
        ("192.168.0.1", "private address"),
        ("169.254.169.254", "cloud metadata address"),
        ("169.254.1.1", "link-local address"),
        ("0.0.0.0", "unspecified address"),
        ("224.0.0.1", "multicast address"),
        ("240.0.0.1", "reserved address"),
        ("100.64.0.1", "non-public address"),
        ("::1", "loopback address"),
        ("::", "unspecified address"),
        ("fe80::1", "link-local address"),
        ("fd00::1", "private address"),
        ("ff02::1", "multicast address"),
        ("::ffff:127.0.0.1", "loopback address"),
        ("::ffff:169.254.169.254", "cloud metadata address"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata address"),
        ("2002:0a00:0001::1", "private address"),
        ("93.184.216.34", None),
        ("2606:2800:220:1::1", None),
    ],
)
def test_address_policy(ip: str, problem: str | None):
    assert address_problem(ip) == problem


def test_trusted_networks_pass_the_guard():
    assert address_problem("10.0.0.7", [ipaddress.ip_network("10.0.0.0/8")]) is None


def test_a_public_host_is_checked(public_site: Site):
    public_site.route("/paper", status(200))
    assert check(public_site.url("/paper", host="public.test")).outcome == "ok"


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("evil.test", "evil.test resolves to loopback address 127.0.0.1"),
        ("intranet.test", "intranet.test resolves to private address 10.0.0.1"),
        ("metadata.test", "metadata.test resolves to cloud metadata address 169.254.169.254"),
        ("mapped.test", "mapped.test resolves to loopback address ::ffff:127.0.0.1"),
        ("half.test", "half.test resolves to private address 192.168.1.10"),
    ],
)
def test_names_resolving_to_private_addresses_are_skipped(site: Site, host: str, why: str):
    site.route("/secret", status(200))
    result = check(site.url("/secret", host=host))
    assert (result.outcome, result.detail) == ("skipped", f"{why} (SSRF guard)")
    assert site.requests == []


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "[::1]", "169.254.169.254", "[::ffff:127.0.0.1]", "0.0.0.0"]
)
def test_address_literals_are_skipped(site: Site, host: str):
    result = check(f"http://{host}:{site.port}/secret")
    assert result.outcome == "skipped"
    assert site.requests == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1"])
def test_odd_spellings_of_loopback_are_skipped(site: Site, host: str):
    url = f"http://{host}:{site.port}/secret"
    result = check_links([url], GUARDED, resolver=system_resolver)[url]  # numeric: no DNS query
    assert (result.outcome, result.detail) == (
        "skipped",
        f"{host} resolves to loopback address 127.0.0.1 (SSRF guard)",
    )
    assert site.requests == []


def test_a_redirect_to_a_private_address_is_not_followed(public_site: Site, site: Site):
    site.route("/secret", status(200))
    public_site.route("/paper", redirect(site.url("/secret")))
    result = check(public_site.url("/paper", host="public.test"))
    assert result.outcome == "skipped"
    assert result.detail == (
        f"redirects to {site.url('/secret')}: loopback address 127.0.0.1 (SSRF guard)"
    )
    assert public_site.seen("/paper") == ["HEAD"]
    assert site.requests == []


def test_a_redirect_to_a_name_for_the_metadata_service_is_not_followed(public_site: Site):
    public_site.route("/paper", redirect("http://metadata.test/latest/meta-data/", 301))
    result = check(public_site.url("/paper", host="public.test"))
    assert result.outcome == "skipped"
    assert "cloud metadata address" in result.detail
    assert result.permanent_redirect_to is None


def test_a_redirect_to_another_scheme_is_skipped(public_site: Site):
    public_site.route("/paper", redirect("file:///etc/passwd"))
    result = check(public_site.url("/paper", host="public.test"))
    assert result.outcome == "skipped"
    assert result.detail.endswith("/etc/passwd: not an http(s) link")


def test_allow_private_lifts_the_guard_for_loopback_benchmarks(site: Site):
    url = site.route("/paper", status(200))
    assert check_links([url], GUARDED)[url].outcome == "skipped"
    assert check_links([url], replace(GUARDED, allow_private=True))[url].outcome == "ok"


def test_tls_goes_to_the_checked_address_under_the_original_name(tls_site):
    site, server_names = tls_site
    url = f"https://paper.test:{site.port}/paper"
    result = check_links([url], replace(GUARDED, allow_private=True), resolver=DNS_TLS)[url]
    assert server_names == ["paper.test"]  # SNI carries the name, the socket the pinned address
    assert result.outcome == "unverified"  # a certificate nobody vouches for: could not tell
    assert result.detail.startswith("TLS error")


def test_a_rebinding_name_is_resolved_once_and_connected_where_it_was_checked(
    public_site: Site, site: Site
):
    answers = iter([["127.0.0.2"]])  # first answer public; any later one would be loopback
    asked: list[str] = []

    def rebinding(host: str) -> list[str]:
        asked.append(host)
        return next(answers, ["127.0.0.1"])

    for path in ("/a", "/b", "/c", "/d"):
        public_site.route(path, delayed(0.05))
        site.route(path, status(200))
    urls = [public_site.url(p, host="rebind.test") for p in ("/a", "/b", "/c", "/d")]
    results = check_links(urls, GUARDED, resolver=rebinding, trusted=[PUBLIC])
    assert {r.outcome for r in results.values()} == {"ok"}
    assert asked == ["rebind.test"]
    assert public_site.peak > 1  # several connections, all to the address that was checked
    assert site.requests == []


def test_localhost_is_skipped(site: Site):
    url = site.url("/secret", host="localhost")
    result = check_links([url], GUARDED, resolver=system_resolver)[url]  # /etc/hosts, no DNS
    assert result.outcome == "skipped"
    assert "loopback address" in result.detail
    assert site.requests == []
