"""What a link's answer means: only provable death is broken; doubt is unverified, never an error."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from bot.net.links.check import check_links
from bot.net.retry import RetryPolicy
from tests.clock import FakeClock
from tests.net.links.conftest import (
    FAST,
    Site,
    closed_port,
    head_refused,
    huge_body,
    redirect,
    resolver_for,
    sequence,
    slow,
    status,
)


def check(url: str, net=FAST, clock=None, **kwargs):
    return check_links([url], net, clock=clock or FakeClock(), **kwargs)[url]


def test_a_200_is_ok_and_needs_only_a_head(site: Site):
    result = check(site.route("/paper", status(200)))
    assert (result.outcome, result.status, result.detail) == ("ok", 200, "200 OK")
    assert site.seen("/paper") == ["HEAD"]


def test_404_is_broken_once_get_confirms_it(site: Site):
    result = check(site.route("/missing", status(404)))
    assert (result.outcome, result.status) == ("broken", 404)
    assert site.seen("/missing") == ["HEAD", "GET"]


def test_410_gone_is_broken(site: Site):
    assert check(site.route("/gone", status(410))).outcome == "broken"


def test_a_404_only_on_head_is_not_broken(site: Site):
    assert check(site.route("/quirk", head_refused(404))).outcome == "ok"


def test_403_on_head_falls_back_to_get(site: Site):
    result = check(site.route("/acm", head_refused(403)))
    assert result.outcome == "ok"
    assert site.seen("/acm") == ["HEAD", "GET"]


def test_405_and_501_on_head_fall_back_to_get(site: Site):
    assert check(site.route("/ieee", head_refused(405))).outcome == "ok"
    assert check(site.route("/old-server", head_refused(501))).outcome == "ok"


def test_a_bot_wall_is_unverified_not_broken(site: Site):
    result = check(site.route("/researchgate", status(403)))
    assert result.outcome == "unverified"
    assert "bot wall" in result.detail


def test_a_cloudflare_challenge_is_unverified(site: Site):
    url = site.route("/cf", status(403, {"cf-mitigated": "challenge", "Server": "cloudflare"}))
    result = check(url)
    assert result.outcome == "unverified"
    assert "Cloudflare" in result.detail


def test_a_login_wall_is_unverified(site: Site):
    assert check(site.route("/login", status(401))).outcome == "unverified"


def test_429_waits_for_retry_after_then_succeeds(site: Site):
    url = site.route("/arxiv", sequence(status(429, {"Retry-After": "1"}), status(200)))
    clock = FakeClock()
    result = check(url, clock=clock)
    assert result.outcome == "ok"
    (pause,) = clock.slept  # waited once, as asked but capped by the setting
    assert FAST.retry_after_cap <= pause <= FAST.retry_after_cap + 0.1
    assert site.seen("/arxiv") == ["HEAD", "GET"]


def test_429_forever_is_unverified_after_the_retries(site: Site):
    result = check(site.route("/throttled", status(429, {"Retry-After": "30"})))
    assert (result.outcome, result.status) == ("unverified", 429)
    assert "rate limited" in result.detail
    assert len(site.seen("/throttled")) == 1 + FAST.retries


def test_a_server_error_is_retried(site: Site):
    assert check(site.route("/flaky", sequence(status(503), status(200)))).outcome == "ok"


def test_a_server_error_that_lasts_is_unverified(site: Site):
    result = check(site.route("/down", status(500)))
    assert result.outcome == "unverified"
    assert len(site.seen("/down")) == 1 + FAST.retries


def test_a_slow_host_times_out_as_unverified(site: Site):
    result = check(site.route("/slow", slow(site, 5)), replace(FAST, retries=0))
    assert (result.outcome, result.detail) == ("unverified", "timed out")


def test_a_host_that_never_answers_head_is_asked_with_get(site: Site):
    url = site.route(
        "/no-head", lambda h: slow(site, 5)(h) if h.command == "HEAD" else h.answer(200)
    )
    assert check(url, replace(FAST, retries=1)).outcome == "ok"
    assert site.seen("/no-head") == ["HEAD", "GET"]


def test_a_huge_body_is_never_downloaded(site: Site):
    result = check(site.route("/paper.pdf", huge_body(site)))
    assert result.outcome == "ok"
    time.sleep(0.2)  # let the server notice the closed connection
    assert site.body_bytes < 4 * 1024 * 1024  # of 50 MB: what socket buffers took, no more


def test_redirect_chain_is_followed_to_the_page(site: Site):
    site.route("/a", redirect("/b"))
    site.route("/b", redirect(site.url("/c"), 307))
    site.route("/c", status(200))
    result = check(site.url("/a"))
    assert result.outcome == "ok"
    assert result.permanent_redirect_to is None
    assert result.detail.startswith(f"redirects to {site.url('/c')}")


def test_a_permanent_redirect_is_reported_with_the_new_url(site: Site):
    site.route("/old", redirect("/new", 301))
    site.route("/new", redirect("/newer", 308))
    site.route("/newer", status(200))
    result = check(site.url("/old"))
    assert (result.outcome, result.permanent_redirect_to) == ("ok", site.url("/newer"))


def test_a_permanent_redirect_stops_at_the_first_temporary_hop(site: Site):
    site.route("/old", redirect("/new", 301))
    site.route("/new", redirect("/login?next=/new", 302))
    site.route("/login", status(200))
    assert check(site.url("/old")).permanent_redirect_to == site.url("/new")


def test_a_permanent_redirect_to_a_dead_page_is_broken_without_a_suggestion(site: Site):
    site.route("/old", redirect("/nowhere", 301))
    result = check(site.url("/old"))
    assert (result.outcome, result.permanent_redirect_to) == ("broken", None)


def test_a_redirect_loop_is_unverified(site: Site):
    site.route("/ping", redirect("/pong"))
    site.route("/pong", redirect("/ping"))
    result = check(site.url("/ping"))
    assert (result.outcome, result.detail) == ("unverified", "redirect loop")


def test_too_many_redirects_is_unverified(site: Site):
    for n in range(10):
        site.route(f"/hop{n}", redirect(f"/hop{n + 1}"))
    result = check(site.url("/hop0"))
    assert result.outcome == "unverified"
    assert result.detail == f"more than {FAST.max_redirects} redirects"
    assert len(site.requests) == FAST.max_redirects + 1


def test_a_refused_connection_is_broken_after_a_retry():
    result = check(f"http://127.0.0.1:{closed_port()}/x", replace(FAST, retries=1))
    assert (result.outcome, result.detail) == ("broken", "connection refused")


def test_a_name_that_does_not_exist_is_broken():
    dns = resolver_for({FAST.dns_probe_host: ["93.184.215.14"]})
    result = check("https://no-such-host.test/paper", resolver=dns)
    assert (result.outcome, result.detail) == ("broken", "DNS name does not exist")


def test_no_such_name_from_a_resolver_that_knows_no_name_at_all_is_unverified():
    # A machine without working DNS says "no such name" of every name, the probe name included.
    result = check("https://no-such-host.test/paper", resolver=resolver_for({}))
    assert result.outcome == "unverified"
    assert "DNS is not answering" in result.detail


def test_other_schemes_are_skipped():
    results = check_links(
        ["ftp://example.org/a.pdf", "mailto:a@b.org", "javascript:alert(1)"], FAST
    )
    assert {r.outcome for r in results.values()} == {"skipped"}
    assert all(r.detail == "not an http(s) link" for r in results.values())


def test_retry_pauses_follow_retry_after_up_to_the_cap_else_back_off():
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    delay = RetryPolicy(retries=2, retry_after_cap=5.0).delay
    assert 2.0 <= delay(0, "2") <= 2.1
    assert 5.0 <= delay(0, "3600") <= 5.1
    assert 5.0 <= delay(0, later) <= 5.1
    assert 0.5 <= delay(0, "soon") <= 0.75  # unreadable: plain backoff
    assert 1.0 <= delay(1, None) <= 1.5


def test_nothing_to_check_is_an_empty_answer():
    assert check_links([], FAST) == {}
