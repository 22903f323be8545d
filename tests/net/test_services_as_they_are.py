"""The scholarly services as they really answer (docs/api-notes.md; recorded fixtures): arXiv's
400 error feed for a malformed id and its empty feed for an unknown one, the DOI handle API's
response codes, arXiv's own DOIs, and OpenAlex, which wants an API key since February 2026."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import NetSettings
from bot.engine.identity import arxiv_id, arxiv_id_problem, doi, identify
from bot.net.answers import OPENALEX_OFF, startup_notices
from bot.net.guard import Reach
from bot.net.scholar.arxiv import arxiv_titles
from bot.net.scholar.http import Http, new_client
from bot.net.scholar.match import PaperQuery
from bot.net.scholar.openalex import openalex
from bot.review import review as paperbot_review
from tests.clock import FakeClock
from tests.listedit import insert_after
from tests.net.conftest import RESNET
from tests.net.test_netcheck import LIST, SEG, added, no_dns, of, review
from tests.net.test_netcheck import WIDE as WIDE_LINE

RESNET_LINE = (
    "- **Deep residual learning for image recognition** (2016), K. He et al. "
    "[[pdf]](https://arxiv.org/pdf/1512.03385)"
)


@pytest.mark.parametrize(
    ("arxiv", "why"),
    [
        ("1513.03385", "month 13"),
        ("0808.05394", "4 digits"),  # arXiv itself answers 200 and leaves it out
        ("1512.0338", "5 digits"),
        ("0612.0001", "April 2007"),
        ("cs/0801001", "March 2007"),
        ("math/9013001", "month 13"),
    ],
)
def test_an_id_of_the_wrong_syntax_is_named_with_the_reason(arxiv, why):
    assert why in (arxiv_id_problem(arxiv) or "")


@pytest.mark.parametrize(
    "arxiv", ["1512.03385", "1512.03385v2", "0704.0001", "1412.6980v9", "cs/0501001",
              "math.gt/0309136", "hep-th/9901001", "astro-ph/0601001v1"],
)  # fmt: skip
def test_ids_of_both_styles_pass(arxiv):
    assert arxiv_id_problem(arxiv) is None


@given(st.text(max_size=40))
def test_any_text_gets_an_answer_and_never_an_exception(text):
    assert arxiv_id_problem(text) is None or isinstance(arxiv_id_problem(text), str)


def test_a_malformed_arxiv_link_is_dead_on_its_own_and_the_others_are_still_checked(
    services, config
):
    bad = "- **A paper from month thirteen** (2015), A. Author [[pdf]](https://arxiv.org/abs/1513.03385)"
    base, head = added(RESNET_LINE)
    head = head.replace(RESNET_LINE, f"{RESNET_LINE}\n{bad}")
    facts, findings = review(head, config, base)
    (dead,) = of(findings, "dead-link")
    assert "1513.03385 is no arXiv id: month 13 does not exist" in dead.message
    assert facts.links["https://arxiv.org/pdf/1512.03385"].outcome == "ok"
    asked = [path for service, path in services.asked if service == "arxiv"]
    assert asked and all("1513.03385" not in path for path in asked)  # never sent: no 400


def _arxiv(config, ids: list[str]) -> dict:
    async def ask() -> dict:
        async with new_client(config.net, Reach(no_dns)) as client:
            clock = FakeClock()
            return await arxiv_titles(Http(client, config.net, clock.monotonic() + 60, clock), ids)

    return asyncio.run(ask())


def test_an_id_arxiv_refuses_is_dropped_and_the_rest_of_the_batch_asked_again(services, config):
    answers = _arxiv(config, ["1512.03385", "1513.03385", "nosuch/0501001", "1611.99999"])
    assert answers["1512.03385"].title == RESNET.title
    assert answers["1513.03385"] is None  # never sent: its month does not exist
    assert answers["nosuch/0501001"] is None  # well formed, but named by the 400 error feed
    assert answers["1611.99999"] is None  # the empty feed: no such paper
    assert services.hits["arxiv"] == 2  # the 400, then the rest


def test_a_batch_arxiv_keeps_refusing_asks_no_more_than_its_ids(services, config):
    services.down.add("arxiv")  # 500 every time: no answer, nothing dead
    assert _arxiv(config, ["1512.03385", "1605.07146"]) == {}


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [(200, 1, "ok"), (200, 200, "ok"), (404, 100, "broken"), (500, 2, "unverified")],
)
def test_the_doi_handle_api_response_codes(services, config, status, code, outcome):
    line = (
        "- **Deep learning** (2015), Y. LeCun et al. [[pdf]](https://doi.org/10.1038/nature14539)"
    )
    services.handles["10.1038/nature14539"] = (status, code)
    base, head = added(line)
    facts, findings = review(head, config, base)
    assert facts.links["https://doi.org/10.1038/nature14539"].outcome == outcome
    assert bool(of(findings, "dead-link")) == (outcome == "broken")


def test_arxivs_own_doi_is_the_arxiv_paper_everywhere(services, config):
    url = "https://doi.org/10.48550/arXiv.1512.03385"
    assert arxiv_id(url) == "1512.03385" and doi(url) is None
    by_doi = identify("Deep residual learning", [url])
    by_link = identify("Deep residual learning", ["https://arxiv.org/abs/1512.03385v1"])
    assert by_doi.arxiv == by_link.arxiv == "1512.03385" and by_doi.doi is None
    line = RESNET_LINE.replace("https://arxiv.org/pdf/1512.03385", url)
    base, head = added(line)
    facts, _ = review(head, config, base)
    assert facts.links[url].detail == "found through the arXiv export API"
    assert services.hits["doi"] == 0 and services.hits["crossref"] == 0
    # its citations were asked of Semantic Scholar by arXiv id (no DOI to go by)
    assert [m.citations for m in facts.citations.values() if m] == [RESNET.citations]


def test_a_duplicate_through_arxivs_doi_is_caught_offline(config):
    by_doi = WIDE_LINE.replace(
        "https://arxiv.org/pdf/1605.07146", "https://doi.org/10.48550/arXiv.1605.07146"
    )
    head = insert_after(insert_after(LIST, SEG, WIDE_LINE), SEG, by_doi)
    offline = replace(config, net=replace(config.net, enabled=False))
    found = paperbot_review(LIST, head, offline).findings
    assert [f.rule for f in found if f.rule == "duplicate"] == ["duplicate"]


def test_without_an_openalex_key_the_fallback_is_off_and_the_review_says_so(services, config):
    services.down.add("s2")
    keyless = replace(config, net=replace(config.net, openalex_key=None))
    base, head = added(RESNET_LINE)
    facts, findings = review(head, keyless, base)
    assert services.hits["oa"] == 0
    assert OPENALEX_OFF in facts.incomplete
    assert of(findings, "citations-unverified")


def test_a_keyless_openalex_stops_answering_after_a_few_calls_as_the_real_one(services, config):
    services.down.add("s2")
    keyless = replace(config, net=replace(config.net, openalex_key=None))
    services.keyless_openalex = 0

    # asked anyway (as the bot did before), the fake answers 429 as OpenAlex does
    async def ask() -> dict:
        async with new_client(keyless.net, Reach(no_dns)) as client:
            clock = FakeClock()
            http = Http(client, keyless.net, clock.monotonic() + 60, clock)
            return await openalex(http, [PaperQuery("k", RESNET.title, 2016)], 0.9)

    assert asyncio.run(ask()) == {}


def test_startup_says_once_that_openalex_needs_a_key():
    assert startup_notices(NetSettings()) == [OPENALEX_OFF]
    assert startup_notices(NetSettings(openalex_key="k")) == []
    assert startup_notices(NetSettings(enabled=False)) == []
