"""The network phase end to end: real list edits, gathered from loopback services, judged."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from bot.config import Config
from bot.engine.rules import RuleContext
from bot.engine.rules.net import NET_RULES
from bot.engine.verdict import prepare
from bot.net.cache import Cache
from bot.net.facts import gather
from bot.net.guard import Reach, ResolveError
from bot.net.retry import SYSTEM_CLOCK, Clock
from bot.net.scholar.http import ARRIVAL_MARGIN_SECONDS, Http, new_client
from bot.store.gates import LocalGates
from tests.clock import FakeClock
from tests.history import LATEST, readme
from tests.listedit import insert_after, replace_line

LIST = readme(LATEST)
SEG = "### Image: Segmentation"
MORE_2016 = "### More Papers from 2016"
UNET = (
    "- **U-Net: Convolutional networks for biomedical image segmentation** (2015), "
    "O. Ronneberger et al. [[pdf]](https://arxiv.org/pdf/1505.04597)"
)
WIDE = (
    "- **Wide residual networks** (2016), S. Zagoruyko and N. Komodakis "
    "[[pdf]](https://arxiv.org/pdf/1605.07146)"
)
COLORFUL = "Colorful image colorization"
PIXELCNN = "Conditional image generation with pixelcnn decoders"


def no_dns(host: str) -> list[str]:
    """Third-party hosts are out of reach in tests: the link checker cannot tell."""
    raise ResolveError(f"tests do not resolve {host}")


def review(
    head: str,
    config: Config,
    base: str = LIST,
    cache: Cache | None = None,
    clock: Clock | None = None,
):
    """The network rules' findings; retries and pacing pass on a clock that never waits."""
    b, h, d = prepare(base, head, config.criteria)
    facts = gather(b, h, d, config, cache=cache, reach=Reach(no_dns), clock=clock or FakeClock())
    ctx = RuleContext(b, h, d, config.criteria, facts, d.touched)
    return facts, [f for rule in NET_RULES.values() for f in rule(ctx)]


def of(findings, rule: str):
    return [f for f in findings if f.rule == rule]


def added(line: str) -> tuple[str, str]:
    """(base, head) of a PR that adds ``line`` to the segmentation section of the real list."""
    return LIST, insert_after(LIST, SEG, line)


def test_paper_above_threshold_passes(services, config):
    base, head = added(UNET)
    facts, findings = review(head, config, base)
    meta = next(m for m in facts.citations.values() if m and m.title.startswith("U-Net"))
    assert (meta.citations, meta.source, meta.confident) == (70_000, "Semantic Scholar", True)
    assert not of(findings, "citations") and not of(findings, "citations-unverified")
    assert not of(findings, "link-mismatch") and not of(findings, "dead-link")
    assert services.hits["oa"] == 0


def test_paper_below_threshold_requests_changes_naming_count_threshold_and_source(services, config):
    base, head = added(WIDE)
    _, findings = review(head, config, base)
    (finding,) = of(findings, "citations")
    assert finding.severity == "error"
    assert "Wide residual networks" in finding.message
    assert "25 citations on Semantic Scholar" in finding.message
    assert "2016 threshold is 30" in finding.message


def test_bold_mark_needs_the_bold_threshold(services, config):
    line = next(x for x in LIST.splitlines() if COLORFUL in x)
    base = replace_line(LIST, COLORFUL, None)
    _, plain = review(LIST, config, base)
    assert not of(plain, "citations")  # 45 citations >= 30
    _, bold = review(replace_line(LIST, COLORFUL, line + " :sparkles:"), config, base)
    (finding,) = of(bold, "citations")
    assert "45 citations" in finding.message and "with the bold mark is 60" in finding.message


def test_semantic_scholar_down_falls_back_to_openalex(services, config):
    services.down.add("s2")
    base, head = added(WIDE)
    facts, findings = review(head, config, base)
    (meta,) = [m for m in facts.citations.values() if m and "Wide" in m.title]
    assert meta.source == "OpenAlex" and meta.citations == 25
    assert "25 citations on OpenAlex" in of(findings, "citations")[0].message
    assert services.hits["s2"] == 1 + config.net.retries


def test_openalex_counts_the_published_version_of_an_arxiv_preprint(services, config):
    services.down.add("s2")
    facts, findings = review(LIST, config, replace_line(LIST, COLORFUL, None))
    assert not of(findings, "citations")  # 45 (published), not 4 (the arXiv record)
    (meta,) = [
        m for m in facts.citations.values() if m and m.title == "Colorful Image Colorization"
    ]
    assert (meta.citations, meta.source, meta.confident) == (45, "OpenAlex", True)


def test_both_services_down_is_a_warning_never_an_error(services, config):
    services.down |= {"s2", "oa"}
    base, head = added(WIDE)
    _, findings = review(head, config, base)
    assert not of(findings, "citations")
    (finding,) = of(findings, "citations-unverified")
    assert finding.severity == "warning" and "Wide residual networks" in finding.message


def test_a_semantic_scholar_429_which_names_no_wait_is_retried_after_a_backoff(services, config):
    services.throttled["s2"] = 1
    base, head = added(WIDE)
    clock = FakeClock()
    facts, findings = review(head, config, base, clock=clock)
    assert 0.5 <= max(clock.slept) <= 0.75  # 0.5 s (the cap) x jitter 1-1.5
    assert services.hits["s2"] == 2 and services.hits["oa"] == 0
    assert of(findings, "citations") and not of(findings, "citations-unverified")


def test_semantic_scholar_429s_past_the_retries_fall_back_to_openalex(services, config):
    services.throttled["s2"] = 5  # the keyless pool, full
    base, head = added(WIDE)
    facts, findings = review(head, config, base)
    (finding,) = of(findings, "citations")
    assert "OpenAlex" in finding.message and services.hits["oa"] >= 1


def test_unknown_paper_is_unverified_and_its_missing_arxiv_id_is_dead(services, config):
    line = (
        "- **Segmenting llamas with quantum convolutions** (2016), X. Nobody "
        "[[pdf]](https://arxiv.org/pdf/1611.99999)"
    )
    base, head = added(line)
    _, findings = review(head, config, base)
    assert not of(findings, "citations")
    (unverified,) = of(findings, "citations-unverified")
    assert "unknown to Semantic Scholar and OpenAlex" in unverified.message
    (dead,) = of(findings, "dead-link")
    assert "arXiv has no paper 1611.99999" in dead.message


def test_ambiguous_title_is_unverified_not_an_error(services, config, base_url):
    line = f"- Deep learning (2016), I. Goodfellow et al. [[html]]({base_url}/site/dlbook)"
    base, head = added(line)
    facts, findings = review(head, config, base)
    assert not of(findings, "citations")
    (finding,) = of(findings, "citations-unverified")
    assert "no sure match" in finding.message
    assert facts.links[f"{base_url}/site/dlbook"].outcome == "ok"


def test_arxiv_link_to_another_paper_is_a_mismatch(services, config):
    line = (
        "- **Learning to segment with attention** (2016), A. Writer "
        "[[pdf]](https://arxiv.org/pdf/1512.03385)"
    )
    base, head = added(line)
    facts, findings = review(head, config, base)
    (finding,) = of(findings, "link-mismatch")
    assert finding.severity == "error" and not finding.preexisting
    assert '"Deep Residual Learning for Image Recognition" (according to arXiv)' in finding.message
    assert not of(findings, "citations")  # the id found another paper: not a sure count
    assert of(findings, "citations-unverified")


def test_pixelcnn_linked_to_nips_paper_6527_is_a_mismatch(services, config):
    base = replace_line(LIST, PIXELCNN, None)
    _, findings = review(LIST, config, base)
    (finding,) = of(findings, "link-mismatch")
    assert PIXELCNN in finding.message
    assert "tree structured reinforcement learning" in finding.message
    assert "NIPS proceedings URL" in finding.message


def test_doi_links_are_checked_at_doi_org_and_titled_by_crossref(services, config):
    good = (
        "- **Deep residual learning for image recognition** (2016), K. He et al. "
        "[[doi]](https://doi.org/10.1109/CVPR.2016.90)"
    )
    gone = "- **Wide residual networks** (2016), S. Zagoruyko [[doi]](https://doi.org/10.9999/nope)"
    base, head = LIST, insert_after(LIST, SEG, good, gone)
    facts, findings = review(head, config, base)
    assert facts.links["https://doi.org/10.1109/CVPR.2016.90"].outcome == "ok"
    assert facts.linked_titles["https://doi.org/10.1109/CVPR.2016.90"].source == "Crossref"
    (dead,) = of(findings, "dead-link")
    assert "10.9999/nope is not registered" in dead.message
    assert not of(findings, "link-mismatch")


def test_an_arxiv_doi_is_titled_by_arxiv(services, config):
    url = "https://doi.org/10.48550/arXiv.1512.03385"
    line = f"- **Wide residual networks** (2016), S. Zagoruyko [[doi]]({url})"
    facts, findings = review(insert_after(LIST, SEG, line), config)
    assert facts.links[url].outcome == "ok"
    assert facts.linked_titles[url].source == "arXiv"
    (finding,) = of(findings, "link-mismatch")
    assert "Deep Residual Learning for Image Recognition" in finding.message


def test_warm_cache_makes_no_request(services, config, base_url, tmp_path):
    cache = Cache(str(tmp_path / "paperbot.sqlite3"))
    site = f"- **Wide residual networks** (2016), S. Zagoruyko [[web]]({base_url}/site/wrn)"
    base, head = LIST, insert_after(LIST, SEG, WIDE, UNET, site.replace("Wide", "Wider"))
    first, _ = review(head, config, base, cache)
    assert sum(services.hits.values()) > 0 and not first.incomplete
    services.hits.clear()
    second, _ = review(head, config, base, cache)
    assert sum(services.hits.values()) == 0
    assert second == first


def test_a_fresh_gathering_asks_again_and_keeps_the_new_answers(services, config, tmp_path):
    """``/paperbot recheck``: a count that changed since it was cached is seen at once."""
    cache = Cache(str(tmp_path / "paperbot.sqlite3"))
    base, head = added(WIDE)
    review(head, config, base, cache)
    services.papers = [replace(p, citations=40) if p.arxiv == "1605.07146" else p
                       for p in services.papers]  # fmt: skip
    services.hits.clear()
    b, h, d = prepare(base, head, config.criteria)
    facts = gather(b, h, d, config, cache=cache, reach=Reach(no_dns), clock=FakeClock(), fresh=True)
    assert services.hits["s2"] >= 1
    assert [m.citations for m in facts.citations.values() if m] == [40]
    again, _ = review(head, config, base, cache)  # and the cache now holds the new count
    assert [m.citations for m in again.citations.values() if m] == [40]


def test_no_answer_is_not_cached(services, config, tmp_path):
    cache = Cache(str(tmp_path / "paperbot.sqlite3"))
    services.down |= {"s2", "oa", "arxiv"}
    base, head = added(WIDE)
    review(head, config, base, cache)
    services.down.clear()
    services.hits.clear()
    facts, findings = review(head, config, base, cache)
    assert services.hits["s2"] > 0 and services.hits["arxiv"] > 0
    assert of(findings, "citations")


def test_time_budget_cuts_the_slow_service_and_the_review_goes_on(services, config):
    services.delay["s2"] = 3.0
    net = config.net.__class__(**{**config.net.__dict__, "budget_seconds": 0.6})
    slow = Config(criteria=config.criteria, net=net)
    base, head = added(WIDE)
    started = time.monotonic()
    facts, findings = review(head, slow, base, clock=SYSTEM_CLOCK)
    assert time.monotonic() - started < 2.5  # the budget, not the 3 s the service takes
    assert any(item.startswith("citations:") for item in facts.incomplete)
    (finding,) = of(findings, "citations-unverified")
    assert "not looked up in time" in finding.message
    assert facts.links["https://arxiv.org/pdf/1605.07146"].outcome == "ok"  # arXiv was quick


def test_lowest_cited_section_papers_are_suggested_for_removal(services, config, tmp_path):
    cache = Cache(str(tmp_path / "paperbot.sqlite3"))
    review(LIST, config, replace_line(LIST, COLORFUL, None), cache)  # an earlier PR: 45 known
    services.hits.clear()
    base, head = LIST, insert_after(LIST, MORE_2016, WIDE)
    _, findings = review(head, config, base, cache)
    (finding,) = of(findings, "citations")
    assert 'Lowest-cited top-100 papers in "More Papers from 2016"' in finding.message
    assert '"Colorful image colorization" (45, Semantic Scholar)' in finding.message


def test_papers_that_could_make_room_ride_along_in_the_same_batch_request(services, config):
    base, head = LIST, insert_after(LIST, MORE_2016, WIDE)
    _, findings = review(head, config, base)
    (finding,) = of(findings, "citations")
    assert '"Colorful image colorization"' in finding.message
    assert services.hits["s2"] == 1  # the new paper and its section's papers: one batch


def test_paced_requests_are_spaced_by_the_interval_and_the_arrival_margin(services, config):
    """Three processes asking arXiv through one gate: the service sees no two requests closer than
    3 s, even when a request's connection takes longer than the one before it (bench/pacing.py)."""
    net = replace(config.net, arxiv_interval_seconds=3.0)
    clock = FakeClock()

    async def three() -> list[float]:
        async with new_client(net, Reach(no_dns)) as client:
            http = Http(client, net, clock.monotonic() + 60, clock, LocalGates())
            for _ in range(3):
                await http.send("GET", net.arxiv_url, ("arxiv", net.arxiv_interval_seconds))
            unpaced = Http(client, net, clock.monotonic() + 60, clock, LocalGates())
            await unpaced.send("GET", net.arxiv_url, ("arxiv", 0.0))
        return clock.slept

    assert asyncio.run(three()) == [3.0 + ARRIVAL_MARGIN_SECONDS] * 2
    assert services.hits["arxiv"] == 4
