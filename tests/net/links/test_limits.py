"""Politeness and budget: limits per host and overall, each URL once, a deadline, a cache."""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from dataclasses import replace

from bot.net.cache import Cache
from bot.net.links.check import BUDGET_DETAIL, check_links, check_links_async
from tests.clock import FakeClock
from tests.net.links.conftest import FAST, Handler, Site, delayed, resolver_for, slow, status


def test_the_per_host_limit_holds(site: Site):
    urls = [site.route(f"/p{n}", delayed(0.05)) for n in range(12)]
    results = check_links(urls, replace(FAST, per_host=3, max_concurrency=50))
    assert {r.outcome for r in results.values()} == {"ok"}
    assert site.peak == 3


def test_the_global_limit_holds_across_hosts(site: Site):
    names = {f"mirror{n}.test": ["127.0.0.1"] for n in range(4)}
    site.route("/paper", delayed(0.05))
    urls = [site.url("/paper", host=name) for name in names]
    urls += [site.url("/paper?copy=2", host=name) for name in names]
    net = replace(FAST, per_host=8, max_concurrency=2)
    results = check_links(urls, net, resolver=resolver_for(names))
    assert {r.outcome for r in results.values()} == {"ok"}
    assert site.peak == 2


def test_each_url_is_fetched_once_and_answered_as_written(site: Site):
    url = site.route("/paper", status(200))
    results = check_links([url, url, url + "#section-2"], FAST)
    assert set(results) == {url, url + "#section-2"}
    assert results[url + "#section-2"].url == url + "#section-2"
    assert results[url + "#section-2"].outcome == "ok"
    assert site.seen("/paper") == ["HEAD"]


def test_the_deadline_leaves_unfinished_links_unverified(site: Site):
    fast_url = site.route("/fast", status(200))
    slow_url = site.route("/slow", slow(site, 5))
    started = time.monotonic()
    results = check_links(
        [fast_url, slow_url], replace(FAST, read_timeout=5.0), deadline=started + 0.6
    )
    assert time.monotonic() - started < 4.0  # not the 5 s the slow host takes
    assert results[fast_url].outcome == "ok"
    assert (results[slow_url].outcome, results[slow_url].detail) == ("unverified", BUDGET_DETAIL)


def test_no_retry_pause_runs_past_the_deadline(site: Site):
    url = site.route("/throttled", status(429, {"Retry-After": "5"}))
    clock = FakeClock()
    net = replace(FAST, retry_after_cap=5.0)
    result = check_links([url], net, deadline=clock.now + 1.0, clock=clock)[url]
    assert clock.slept == []  # a 5 s pause would end after the deadline: not taken
    assert (result.outcome, result.status) == ("unverified", 429)


def test_the_cache_answers_a_rerun_without_a_request(site: Site):
    ok = site.route("/paper", status(200))
    gone = site.route("/gone", status(404))
    walled = site.route("/walled", status(403))
    cache = Cache(":memory:")
    first = check_links([ok, gone, walled], FAST, cache)
    site.requests.clear()
    second = check_links([ok, gone, walled], FAST, cache)
    assert second[ok] == first[ok]
    assert second[gone].outcome == "broken"
    assert [path for _, path in site.requests] == ["/walled", "/walled"]  # doubt is not cached


def test_progress_is_reported_for_every_link(site: Site):
    urls = [site.route(f"/p{n}", status(200)) for n in range(5)]
    calls: list[tuple[int, int]] = []
    check_links(urls, FAST, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(n, 5) for n in range(1, 6)]


def stacked_gzip(megabytes: int, layers: int = 3) -> bytes:
    """``megabytes`` of zeros gzipped ``layers`` times: a few hundred bytes on the wire."""
    packer = zlib.compressobj(wbits=31)
    zeros = bytes(1024 * 1024)
    data = b"".join(packer.compress(zeros) for _ in range(megabytes)) + packer.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data)
    return data


def test_a_compressed_bomb_is_never_unpacked(site: Site):
    bomb = stacked_gzip(256)
    assert len(bomb) < 2000

    def play(h: Handler) -> None:
        encoding = {"Content-Encoding": "gzip, gzip, gzip"}
        h.answer(405 if h.command == "HEAD" else 200, encoding, bomb)

    url = site.route("/bomb", play)
    tracemalloc.start()
    try:
        results = check_links([url], FAST)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert results[url].outcome == "ok" and site.seen("/bomb") == ["HEAD", "GET"]
    assert peak < 32 * 1024 * 1024  # unpacked, it would hold 256 MB


def test_a_servers_reason_phrase_is_not_repeated_in_the_review(site: Site):
    def play(h: Handler) -> None:
        h.send_response(403, "[OK verified by paperbot](https://evil.example/phish)")
        h.send_header("Content-Length", "0")
        h.end_headers()

    url = site.route("/phish", play)
    result = check_links([url], FAST)[url]
    assert result.outcome == "unverified" and "evil" not in result.detail
    assert result.detail.startswith("403 Forbidden")


def test_links_are_checked_as_they_arrive(site: Site):
    """A long list is still being read while its first links are checked (``paperbot audit``)."""
    first = site.route("/first", status(200))
    second = site.route("/second", status(200))

    async def reading() -> AsyncIterator[str]:
        yield first
        while not site.requests:  # the first link's request went out before the list was read
            await asyncio.sleep(0.01)
        yield second

    results = asyncio.run(check_links_async(reading(), FAST))
    assert [r.outcome for r in results.values()] == ["ok", "ok"]
    assert [path for _, path in site.requests] == ["/first", "/second"]
