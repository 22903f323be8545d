import pytest

from bot.config import Criteria, load, parse_criteria
from bot.errors import ConfigError


def test_a_repository_overrides_its_criteria_in_toml():
    criteria = parse_criteria(
        """
        [list]
        top_cap = 120
        window = [2013, 2018]
        path = "papers.md"
        [thresholds]
        2018 = 10
        [rules]
        disabled = ["format"]
        [review]
        event = "request_changes"
        """
    )
    assert criteria.top_cap == 120 and criteria.window == (2013, 2018)
    assert criteria.list_path == "papers.md"
    assert criteria.threshold(2018, False) == 10 and criteria.threshold(2018, True) == 20
    assert criteria.disabled_rules == {"format"}
    assert criteria.review_event == "REQUEST_CHANGES"


def test_an_empty_file_keeps_the_defaults():
    assert parse_criteria("") == Criteria()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[list]\ntop_cap = 'many'", "list.top_cap"),
        ("[list]\ntop_cap = 0", "list.top_cap"),
        ("[list]\nwindow = [2016, 2012]", "list.window"),
        ("[list]\nwindow = [true, true]", "list.window"),
        ("[list]\ncolour = 'red'", "list.colour"),
        ("[thresholds]\nsoon = 3", "thresholds.soon"),
        ("[thresholds]\n2016 = -1", "thresholds.2016"),
        ("[rules]\ndisabled = ['no-such-rule']", "rules.disabled"),
        ("[review]\nevent = 'MERGE'", "review.event"),
        ("[extras]\na = 1", "[extras]"),
        ("[list\n", "not valid TOML"),
    ],
)
def test_an_invalid_config_names_the_key(text, key):
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        parse_criteria(text)


def test_environment_builds_the_service_settings():
    config = load(
        {
            "GITHUB_WEBHOOK_SECRET": "s3cret",
            "PAPERBOT_DB": "/tmp/x.sqlite3",
            "PAPERBOT_NET_BUDGET_SECONDS": "12.5",
            "PAPERBOT_NET_ALLOW_PRIVATE": "true",
        }
    )
    assert config.service.webhook_secret == "s3cret"
    assert config.service.db_path == "/tmp/x.sqlite3"
    assert config.net.budget_seconds == 12.5 and config.net.allow_private is True


def test_a_malformed_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="PAPERBOT_NET_BUDGET_SECONDS"):
        load({"PAPERBOT_NET_BUDGET_SECONDS": "soon"})
