"""``paperbot audit FILE``: every link of a whole list, checked and reported for a maintainer."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from bot.config import Config
from bot.errors import InputError
from bot.net.links.audit import audit
from bot.net.links.collect import extract_links
from tests.history import LATEST, readme
from tests.net.links.conftest import FAST, GUARDED, Site, head_refused, status


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_links_images_html_and_bare_urls_are_found_with_their_lines():
    text = (
        "# Papers\n"
        "[![badge](https://img.example/badge.svg)](https://example.org/list)\n"
        "\n"
        "- **Deep Residual Learning** (2016), K. He et al.\n"
        "  [[pdf]](https://arxiv.org/pdf/1512.03385v1.pdf)\n"
        "- Faster R-CNN (2015), S. Ren et al. [[pdf]] (https://papers.nips.cc/paper/5638.pdf) :x:\n"
        "- See <a href='https://example.com/html'>this</a>, `https://not.checked/code`.\n"
        "\n"
        '<p align="center"><img src="https://example.com/logo.png"></p>\n'
        "\n"
        "```\nhttps://not.checked/fence\n```\n"
        "Also see https://example.com/bare.\n"
    )
    assert extract_links(text) == [
        ("https://example.org/list", 2),
        ("https://img.example/badge.svg", 2),
        ("https://arxiv.org/pdf/1512.03385v1.pdf", 5),
        ("https://papers.nips.cc/paper/5638.pdf", 6),
        ("https://example.com/html", 7),
        ("https://example.com/logo.png", 9),
        ("https://example.com/bare", 14),
    ]


def test_every_link_of_the_real_list_is_found_and_none_from_comments():
    text = readme(LATEST)
    rendered = re.sub(r"`[^`\n]*`|<!--.*?-->", "", text, flags=re.S)
    written = {m.rstrip(".,") for m in re.findall(r"https?://[^\s)\]>\"'`]+", rendered)}
    found = {url for url, _ in extract_links(text)}
    assert len(found) > 200
    assert all(any(url.startswith(w) for url in found) for w in written)
    assert not any("scholar.google" in url for url in found)  # only in an HTML comment


def write_list(tmp_path: Path, site: Site) -> Path:
    lines = [
        "# Papers",
        f"- Alive (2015) [[pdf]]({site.route('/alive.pdf', status(200))})",
        f"- Moved (2015) [[pdf]]({site.route('/gone.pdf', status(404))})",
        f"- Walled (2016) [[pdf]]({site.route('/acm', status(403))})",
        f"- Picky (2016) [[pdf]]({site.route('/ieee', head_refused(405))})",
        f"- Again (2016) [[web]]({site.url('/alive.pdf')})",
    ]
    path = tmp_path / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_audit_jsonl_reports_every_distinct_link_and_fails_on_a_broken_one(
    tmp_path: Path, site: Site
):
    path = write_list(tmp_path, site)
    out = io.StringIO()
    code = audit(path, Config(net=FAST), out, "jsonl", err=io.StringIO())
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    by_url = {r["url"]: r for r in records}
    assert code == 1
    assert len(records) == 4
    assert by_url[site.url("/gone.pdf")] | {"detail": ""} == {
        "url": site.url("/gone.pdf"),
        "status": "broken",
        "detail": "",
        "line": 3,
        "code": 404,
        "permanent_redirect_to": None,
    }
    assert by_url[site.url("/acm")]["status"] == "unverified"
    assert by_url[site.url("/ieee")]["status"] == "ok"
    assert by_url[site.url("/alive.pdf")]["line"] == 2


def test_audit_text_lists_problems_and_a_summary(tmp_path: Path, site: Site):
    path = write_list(tmp_path, site)
    out = io.StringIO()
    audit(path, Config(net=FAST), out, err=io.StringIO())
    assert out.getvalue().splitlines() == [
        f"{path}:3: broken: {site.url('/gone.pdf')} (404 Not Found)",
        f"{path}:4: unverified: {site.url('/acm')} (403 Forbidden (bot wall?))",
        "4 links: 2 ok, 1 broken, 1 unverified, 0 skipped",
    ]


def test_audit_without_allow_private_skips_loopback_and_passes(tmp_path: Path, site: Site):
    path = write_list(tmp_path, site)
    out = io.StringIO()
    assert audit(path, Config(net=GUARDED), out, err=io.StringIO()) == 0
    assert out.getvalue().splitlines()[-1] == "4 links: 0 ok, 0 broken, 0 unverified, 4 skipped"
    assert site.requests == []


def test_the_progress_bar_is_drawn_on_a_terminal_only(tmp_path: Path, site: Site):
    path = write_list(tmp_path, site)
    terminal, pipe = Terminal(), io.StringIO()
    audit(path, Config(net=FAST), io.StringIO(), err=terminal)
    audit(path, Config(net=FAST), io.StringIO(), err=pipe)
    assert terminal.getvalue().endswith("] 4/4 links\n")
    assert pipe.getvalue() == ""


def test_audit_of_a_missing_file_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError):
        audit(tmp_path / "nope.md", Config(net=FAST), io.StringIO())
