"""Politeness per host: the host table gives bot-blocking publishers fewer requests, spaced; a
refused connection is confirmed at once, without a pause or a second wait in the host's queue."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import HOST_LIMITS, HostLimit, NetSettings, load
from bot.errors import ConfigError
from bot.net.links.check import check_links
from bot.net.links.politeness import host_limit
from tests.clock import FakeClock
from tests.net.links.conftest import (
    FAST,
    Site,
    closed_port,
    delayed,
    head_refused,
    resolver_for,
)


def test_the_default_table_slows_down_the_publishers_that_block_bots():
    net = NetSettings()
    assert {limit.host for limit in HOST_LIMITS} == {
        "doi.org",
        "dl.acm.org",
        "ieeexplore.ieee.org",
        "sciencedirect.com",
        "link.springer.com",
        "openreview.net",
    }
    assert all(limit.per_host < net.per_host for limit in HOST_LIMITS)
    assert host_limit("www.sciencedirect.com", net) == HostLimit("sciencedirect.com", 1, 1.0)
    assert host_limit("dx.doi.org", net).per_host == 2
    assert host_limit("arxiv.org", net) == HostLimit("arxiv.org", net.per_host)
    assert host_limit("notdoi.org", net).per_host == net.per_host  # a label, not a suffix


def test_a_host_in_the_table_gets_its_lower_limit_and_its_pause(site: Site):
    names = {"dl.acm.org": ["127.0.0.1"]}
    urls = [site.route(f"/doi/{n}", delayed(0.05)) for n in range(4)]
    acm = [site.url(f"/doi/{n}", host="dl.acm.org") for n in range(4)]
    net = replace(FAST, per_host=8, host_limits=(HostLimit("acm.org", 1, 0.2),))
    results = check_links(acm, net, resolver=resolver_for(names))
    assert {r.outcome for r in results.values()} == {"ok"}
    assert site.peak == 1
    gaps = [b - a for a, b in zip(site.started, site.started[1:], strict=False)]
    assert min(gaps) >= 0.19
    site.peak = 0
    check_links([u + "?again" for u in urls], net)  # 127.0.0.1 is not in the table
    assert site.peak == 4


def test_the_table_is_read_from_the_environment():
    config = load({"PAPERBOT_NET_HOST_LIMITS": "doi.org=3, Dl.ACM.org=1/2.5"})
    assert config.net.host_limits == (HostLimit("doi.org", 3), HostLimit("dl.acm.org", 1, 2.5))
    assert load({"PAPERBOT_NET_HOST_LIMITS": ""}).net.host_limits == ()
    assert load({}).net.host_limits == HOST_LIMITS


@pytest.mark.parametrize("value", ["doi.org", "doi.org=many", "doi.org=0", "=2", "a.org=1/-1"])
def test_a_bad_table_names_the_setting(value: str):
    with pytest.raises(ConfigError, match="PAPERBOT_NET_HOST_LIMITS"):
        load({"PAPERBOT_NET_HOST_LIMITS": value})


def test_a_host_that_does_not_do_head_gets_get_at_once_for_its_other_links(site: Site):
    first = site.route("/ieee/1", head_refused(405))
    rest = [site.route(f"/ieee/{n}", head_refused(405)) for n in range(2, 6)]
    check_links([first], FAST)  # another run: it does not remember
    site.requests.clear()
    results = check_links([first, *rest], replace(FAST, per_host=1))
    assert {r.outcome for r in results.values()} == {"ok"}
    assert [method for method, _ in site.requests] == ["HEAD", "GET"] + ["GET"] * 4


def test_a_refused_connection_is_confirmed_once_at_once():
    clock = FakeClock()
    url = f"http://127.0.0.1:{closed_port()}/paper"
    result = check_links([url], replace(FAST, retries=2), clock=clock)[url]
    assert (result.outcome, result.detail) == ("broken", "connection refused")
    assert clock.slept == []  # no backoff: the retry did not leave the host's queue
