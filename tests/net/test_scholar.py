"""Reading the services' answers: arXiv's Atom feed and picking a paper from a title search."""

from __future__ import annotations

from bot.net.scholar.arxiv import parse_arxiv_feed
from bot.net.scholar.match import Candidate, PaperQuery, choose

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>ArXiv Query</title>
<entry><id>http://arxiv.org/abs/cs/0501001v1</id><published>2005-01-01T00:00:00Z</published>
<title>Some   old-style
 paper</title></entry>
<entry><id>http://arxiv.org/abs/1512.03385v1</id><published>2015-12-10T00:00:00Z</published>
<title>Deep Residual Learning for Image Recognition</title></entry></feed>"""

ERROR_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><entry>
<id>http://arxiv.org/api/errors#incorrect_id_format_for_1512.0338x</id><title>Error</title>
<summary>incorrect id format for 1512.0338x</summary></entry></feed>"""


def test_arxiv_feed_gives_titles_by_id_and_absent_ids_as_missing():
    found = parse_arxiv_feed(FEED, ["cs/0501001", "1512.03385", "1606.99999"])
    assert found["cs/0501001"].title == "Some old-style paper"
    assert (found["1512.03385"].year, found["1512.03385"].source) == (2015, "arXiv")
    assert found["1606.99999"] is None


def test_an_error_feed_or_a_non_feed_is_no_answer():
    assert parse_arxiv_feed(ERROR_FEED, ["1512.0338x"]) is None
    assert parse_arxiv_feed("<html>busy</html>", ["1512.03385"]) is None
    assert parse_arxiv_feed("not xml", ["1512.03385"]) is None


def deep_learning(year: int, cites: int) -> Candidate:
    return Candidate(f"id{year}", "Deep learning", year, cites, None)


def test_the_year_settles_a_title_shared_by_papers_years_apart():
    query = PaperQuery("k", "Deep learning", 2015)
    meta = choose(query, [deep_learning(2006, 10), deep_learning(2015, 60_000)], "S2", 92.0)
    assert meta.confident and meta.citations == 60_000


def test_two_close_papers_with_one_title_are_not_a_sure_match():
    query = PaperQuery("k", "Deep learning", 2016)
    meta = choose(query, [deep_learning(2015, 60_000), deep_learning(2016, 40_000)], "S2", 92.0)
    assert meta is not None and not meta.confident


def test_a_merely_similar_title_is_not_a_sure_match_and_a_different_one_no_match():
    query = PaperQuery("k", "Spatial transformer networks", 2015)
    near = Candidate("a", "Spatial transformer networks for tracking", 2015, 5, None)
    assert not choose(query, [near], "S2", 92.0).confident
    far = Candidate("b", "Wide residual networks", 2016, 5, None)
    assert choose(query, [far], "S2", 92.0) is None
