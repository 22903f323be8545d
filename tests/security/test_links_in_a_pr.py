"""Attacks 5 and 6: links a stranger writes. A link to an internal address is refused by the
guard and now also reported (it passed in silence); anything merely containing an arXiv id
(``https://malware.example/payload.exe?arxiv.org/abs/1706.03762``) is no arXiv link and is
checked as what it is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Config, NetSettings
from bot.engine.identity import arxiv_id, identify
from bot.engine.rules import RuleContext
from bot.engine.rules.net import NET_RULES
from bot.engine.verdict import prepare
from bot.net.facts import gather
from bot.net.guard import Reach
from tests.clock import FakeClock
from tests.history import LATEST, readme
from tests.listedit import insert_after
from tests.net.links.conftest import Site, resolver_for, status
from tests.security.test_scholarly_reach import Recorder

LIST = readme(LATEST)
ARXIV_FEED = (
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
    b"<id>http://arxiv.org/abs/1706.03762v5</id><title>Attention Is All You Need</title>"
    b"<published>2017-06-12T00:00:00Z</published></entry></feed>"
)


def network_findings(line: str, config: Config, reach: Reach):
    head = insert_after(LIST, "### New papers", line)
    base, head_list, diff = prepare(LIST, head, config.criteria)
    facts = gather(base, head_list, diff, config, clock=FakeClock(), reach=reach)
    ctx = RuleContext(base, head_list, diff, config.criteria, facts, diff.touched)
    return [f for rule in NET_RULES.values() for f in rule(ctx)]


@pytest.fixture
def arxiv() -> Iterator[Recorder]:
    server = Recorder("127.0.0.1", (200, {"Content-Type": "application/atom+xml"}, ARXIV_FEED))
    yield server
    server.close()


def settings(arxiv: Recorder) -> Config:
    unused = "http://127.0.0.1:9"
    net = NetSettings(
        budget_seconds=5.0,
        retries=0,
        arxiv_url=f"{arxiv.url}/api/query",
        arxiv_interval_seconds=0.0,
        semantic_scholar_url=unused,
        openalex_url=unused,
        crossref_url=unused,
        doi_url=unused,
    )
    return Config(net=net)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address 169.254.169.254"),
        ("http://10.0.0.1/paper.pdf", "private address 10.0.0.1"),
        ("http://[::ffff:10.0.0.1]/paper.pdf", "private address ::ffff:a00:1"),
    ],
)
def test_a_link_to_an_internal_address_is_a_warning_naming_why(arxiv, url, reason):
    line = f"- Attention is all you need (2017), A. Vaswani et al. [[pdf]]({url})"
    findings = network_findings(line, settings(arxiv), Reach(trusted=("127.0.0.1/32",)))
    (finding,) = [f for f in findings if f.rule == "link-unverified"]
    assert finding.severity == "warning" and "was not fetched" in finding.message
    assert reason in finding.message and "SSRF guard" in finding.message


def test_an_arxiv_id_outside_arxiv_names_no_arxiv_paper():
    hostile = "https://malware.example/payload.exe?arxiv.org/abs/1706.03762"
    assert arxiv_id(hostile) is None
    assert arxiv_id("https://malware.example/arxiv.org/abs/1706.03762") is None
    assert arxiv_id("https://arxiv.org/abs/1706.03762v5") == "1706.03762"
    assert identify("t", [], "Vaswani et al. arXiv:1706.03762 (2017)").arxiv == "1706.03762"


def test_a_link_merely_containing_an_arxiv_id_is_fetched_as_what_it_is(arxiv):
    site = Site("127.0.0.2")  # plays malware.example, which answers 404 for the payload
    try:
        site.route("/payload.exe", status(404))
        hostile = site.url("/payload.exe?arxiv.org/abs/1706.03762", host="malware.example")
        line = f"- Attention is all you need (2017), A. Vaswani et al. [[pdf]]({hostile})"
        reach = Reach(resolver_for({"malware.example": ["127.0.0.2"]}), ("127.0.0.0/24",))
        findings = network_findings(line, settings(arxiv), reach)
    finally:
        site.close()
    assert site.seen("/payload.exe")  # fetched, not waved through by arXiv's export API
    assert [f.rule for f in findings if f.severity == "error"] == ["dead-link"]
    assert arxiv.paths == []
