import pytest

from bot.engine.criteria import Criteria
from bot.engine.identity import arxiv_id, doi, normalise_title, normalise_url
from bot.engine.parse import parse
from bot.errors import NotAListError
from tests.history import LATEST, readme, readme_names

CRITERIA = Criteria()


@pytest.mark.parametrize("name", readme_names())
def test_every_real_version_of_the_list_parses(name):
    paper_list = parse(readme(name), CRITERIA)
    for entry in paper_list.entries:
        assert paper_list.lines[entry.line - 1] == entry.raw


def test_latest_list_keeps_exactly_one_hundred_top_papers():
    paper_list = parse(readme(LATEST), CRITERIA)
    assert len(paper_list.top100) == 100
    sections = {e.section for e in paper_list.top100}
    assert "More Papers from 2016" in sections
    assert "Image / Video / Etc" in sections
    assert not sections & {"New papers", "Old Papers", "Appendix: More than Top 100"}


def test_entry_fields_are_read_from_a_bold_entry():
    text = (
        "## Papers\n### Convolutional Neural Network Models\n"
        "- **Deep residual learning for image recognition** (2016), K. He et al. "
        "[[pdf]](http://arxiv.org/pdf/1512.03385) :sparkles:\n"
    )
    (entry,) = parse(text, CRITERIA).entries
    assert entry.title == "Deep residual learning for image recognition"
    assert entry.year == 2016
    assert entry.authors == "K. He et al."
    assert entry.line == 3
    assert entry.bold and entry.sparkles and entry.top100
    assert entry.links[0].label == "pdf"
    assert entry.identity.arxiv == "1512.03385"


def test_title_with_parentheses_keeps_them_and_finds_the_year():
    text = (
        "### Optimization\n- Fast and accurate deep network learning by exponential linear "
        "units (ELUS) (2015), D. Clevert et al. [[pdf]](https://arxiv.org/pdf/1511.07289.pdf)\n"
    )
    (entry,) = parse(text, CRITERIA).entries
    assert entry.title.endswith("units (ELUS)")
    assert entry.year == 2015


def test_table_of_contents_people_and_comments_are_not_papers():
    text = readme("00e3a8c3311c.md")  # a version with a "Distinguished Researchers" section
    paper_list = parse(text, CRITERIA)
    assert all("researchers" not in e.section.lower() for e in paper_list.entries)
    assert all(not e.raw.lstrip("*- ").startswith("[") for e in paper_list.entries)
    latest = parse(readme(LATEST), CRITERIA)
    assert all("scholar.google" not in e.raw for e in latest.entries)  # HTML comments


def test_link_syntax_problems_are_recorded_on_the_entry():
    text = (
        "### Papers\n"
        "- A (2015), X. Y. [[pdf]]()\n"
        "- B (2015), X. Y. [[pdf]]\n"
        "- C (2015), X. Y. [[pdf]] (http://a.org/c.pdf)\n"
        "- D (2015), X. Y. [[pdf]](http://a.org/d.pdf))\n"
        "- E (2015), X. Y. [[pdf]](ftp://a.org/e.pdf)\n"
        "- F (2015), X. Y. [[pdf]](<http://a.org/f g.pdf>)\n"
    )
    problems = [[lk.problem for lk in e.links if lk.problem] for e in parse(text, CRITERIA).entries]
    assert problems == [
        ["empty URL"],
        ["label without URL"],
        ["space between ] and ("],
        ["unbalanced parentheses"],
        ["not an http(s) URL"],
        ["whitespace in URL"],
    ]


def test_a_file_with_no_headings_and_no_bullets_is_not_a_list():
    with pytest.raises(NotAListError):
        parse("just some prose\n\nand more prose\n", CRITERIA)
    with pytest.raises(NotAListError):
        parse("\x00\x01binary", CRITERIA)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://arxiv.org/pdf/1512.03385", "1512.03385"),
        ("https://arxiv.org/abs/1512.03385v3", "1512.03385"),
        ("https://arxiv.org/pdf/1603.05027v2.pdf", "1603.05027"),
        ("http://arxiv.org/pdf/1207.0580.pdf", "1207.0580"),
        ("https://arxiv.org/abs/cs/0501001", "cs/0501001"),
        ("https://arxiv.org/pdf/math.GT/0309136v1", "math.gt/0309136"),
        ("http://papers.nips.cc/paper/5423-generative-adversarial-nets.pdf", None),
    ],
)
def test_arxiv_id_from_every_url_form(url, expected):
    assert arxiv_id(url) == expected


def test_doi_and_url_normalisation():
    assert doi("https://doi.org/10.1038/nature14539") == "10.1038/nature14539"
    assert doi("http://dl.acm.org/doi/abs/10.1145/3065386?x=1") == "10.1145/3065386"
    assert normalise_url("HTTPS://www.Example.org/a/b/") == normalise_url("http://example.org/a/b")
    assert normalise_title("Deep  Residual-Learning!") == normalise_title("deep residual learning")
