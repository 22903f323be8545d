"""An audit verifies arXiv links through arXiv's export API, in batches at the arXiv gate's pace,
and sends arxiv.org no request: arXiv's terms allow one request every 3 s and send robots to the
export API. The fake export API is ``tests/net/conftest.py``'s; arxiv.org itself is played by a
loopback site that records every request it would get."""

from __future__ import annotations

import io
import json
import time
from dataclasses import replace
from pathlib import Path

from bot.config import Config, ServiceSettings
from bot.net.guard import Reach
from bot.net.links.audit import audit
from bot.net.scholar.http import ARRIVAL_MARGIN_SECONDS, ARXIV_GATE
from bot.store import open_database
from bot.store.gates import SharedGates
from tests.net.conftest import PIXELCNN, RESNET, UNET, Behaviour, services_config
from tests.net.links.conftest import Site, redirect, resolver_for, status

ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org")


def arxiv_setup(base_url: str, tmp_path: Path, arxiv_org: Site, **net: object):
    """Settings with the fake export API and a database of the test's own; arXiv's hosts
    resolve to ``arxiv_org``, so that a request to them would be seen."""
    config = services_config(base_url, allow_private=True, **net)
    config = replace(config, service=ServiceSettings(db_path=str(tmp_path / "paperbot.sqlite3")))
    names = {host: [arxiv_org.host] for host in ARXIV_HOSTS}
    return config, Reach(resolver_for(names | {"example.com": ["127.0.0.1"]}))


def run_audit(tmp_path: Path, urls: list[str], config: Config, reach: Reach):
    path = tmp_path / "README.md"
    path.write_text("".join(f"- Paper (2016) [[pdf]]({url})\n" for url in urls), encoding="utf-8")
    out = io.StringIO()
    code = audit(path, config, out, "jsonl", err=io.StringIO(), reach=reach)
    return code, {r["url"]: r for r in map(json.loads, out.getvalue().splitlines())}


def test_arxiv_links_are_verified_through_the_export_api_and_arxiv_org_gets_no_request(
    tmp_path: Path, site: Site, public_site: Site, services: Behaviour, base_url: str
):
    config, reach = arxiv_setup(base_url, tmp_path, public_site)
    port = public_site.port
    site.route(f"/moved/{PIXELCNN.arxiv}", redirect(f"http://arxiv.org:{port}/abs/1606.05328", 301))
    links = {
        "abs": f"http://arxiv.org:{port}/abs/{RESNET.arxiv}v2",
        "pdf": f"http://www.arxiv.org:{port}/pdf/{UNET.arxiv}v1.pdf",
        "missing": f"http://arxiv.org:{port}/abs/1603.99999",
        "listing": f"http://arxiv.org:{port}/list/cs.CV/recent",
        "hop": site.url(f"/moved/{PIXELCNN.arxiv}"),
        "plain": site.route("/paper.pdf", status(200)),
    }
    code, found = run_audit(tmp_path, list(links.values()), config, reach)
    status_of = {name: found[url]["status"] for name, url in links.items()}
    assert status_of == {
        "abs": "ok",
        "pdf": "ok",
        "missing": "broken",
        "listing": "skipped",
        "hop": "ok",
        "plain": "ok",
    }
    assert code == 1
    assert found[links["missing"]]["detail"] == "arXiv has no paper 1603.99999"
    assert found[links["hop"]]["permanent_redirect_to"] == f"http://arxiv.org:{port}/abs/1606.05328"
    assert public_site.requests == []  # arxiv.org, www.arxiv.org: not one request
    assert services.hits["arxiv"] == 2  # the links' three ids at once, then the hop's


def test_ids_are_asked_100_a_call_at_the_arxiv_gates_pace(
    tmp_path: Path, public_site: Site, services: Behaviour, base_url: str
):
    config, reach = arxiv_setup(base_url, tmp_path, public_site, arxiv_interval_seconds=0.3)
    urls = [f"http://arxiv.org:{public_site.port}/abs/1603.{n:05d}" for n in range(1, 151)]
    started = time.monotonic()
    code, found = run_audit(tmp_path, urls, config, reach)
    assert time.monotonic() - started >= 0.3 + ARRIVAL_MARGIN_SECONDS
    assert services.hits["arxiv"] == 2
    assert {r["status"] for r in found.values()} == {"broken"} and code == 1
    assert public_site.requests == []


def test_the_arxiv_gate_is_the_databases_shared_with_every_process(
    tmp_path: Path, public_site: Site, services: Behaviour, base_url: str
):
    config, reach = arxiv_setup(base_url, tmp_path, public_site, arxiv_interval_seconds=0.5)
    gates = SharedGates(open_database(config.service.db_path))
    gates.reserve(ARXIV_GATE, 0.5 + ARRIVAL_MARGIN_SECONDS, time.time())  # the bot just asked
    started = time.monotonic()
    run_audit(tmp_path, [f"http://arxiv.org:{public_site.port}/abs/{RESNET.arxiv}"], config, reach)
    assert time.monotonic() - started >= 0.5 + ARRIVAL_MARGIN_SECONDS - 0.05
    assert services.hits["arxiv"] == 1


def test_no_answer_from_the_export_api_leaves_arxiv_links_unverified_never_broken(
    tmp_path: Path, public_site: Site, services: Behaviour, base_url: str
):
    services.down.add("arxiv")
    config, reach = arxiv_setup(base_url, tmp_path, public_site)
    url = f"http://arxiv.org:{public_site.port}/abs/{RESNET.arxiv}"
    code, found = run_audit(tmp_path, [url], config, reach)
    assert (found[url]["status"], found[url]["detail"]) == (
        "unverified",
        "the arXiv export API did not answer",
    )
    assert code == 0
    assert public_site.requests == []


def test_a_second_audit_takes_arxivs_answers_from_the_database(
    tmp_path: Path, public_site: Site, services: Behaviour, base_url: str
):
    config, reach = arxiv_setup(base_url, tmp_path, public_site)
    urls = [
        f"http://arxiv.org:{public_site.port}/abs/{RESNET.arxiv}",
        f"http://arxiv.org:{public_site.port}/abs/1603.99999",
    ]
    first = run_audit(tmp_path, urls, config, reach)
    second = run_audit(tmp_path, urls, config, reach)
    assert second == first
    assert services.hits["arxiv"] == 1


def test_a_list_without_arxiv_links_leaves_no_database_behind(
    tmp_path: Path, site: Site, public_site: Site, base_url: str
):
    config, reach = arxiv_setup(base_url, tmp_path, public_site)
    code, found = run_audit(tmp_path, [site.route("/paper.pdf", status(200))], config, reach)
    assert code == 0 and [r["status"] for r in found.values()] == ["ok"]
    assert not Path(config.service.db_path).exists()


def test_without_its_database_the_audit_leaves_arxiv_links_unverified(
    tmp_path: Path, public_site: Site, services: Behaviour, base_url: str
):
    config, reach = arxiv_setup(base_url, tmp_path, public_site)
    nowhere = ServiceSettings(db_path=str(tmp_path / "missing" / "paperbot.sqlite3"))
    url = f"http://arxiv.org:{public_site.port}/abs/{RESNET.arxiv}"
    code, found = run_audit(tmp_path, [url], replace(config, service=nowhere), reach)
    assert (code, found[url]["status"]) == (0, "unverified")
    assert services.hits["arxiv"] == 0 and public_site.requests == []
