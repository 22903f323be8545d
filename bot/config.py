"""The one configuration object: the list's criteria (repository TOML) plus the deployment (env).

This is the only module that reads ``os.environ``; everything else receives a ``Config``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from bot.engine.criteria import REVIEW_EVENTS, Criteria
from bot.errors import ConfigError

CONFIG_PATH = ".github/paperbot.toml"


@dataclass(frozen=True)
class HostLimit:
    """Politeness towards one host and its subdomains, for hosts that block bots that hurry:
    at most ``per_host`` requests in flight, and ``interval`` seconds between their starts."""

    host: str
    per_host: int
    interval: float = 0.0


# Publishers that answer a hurried bot with 403, CAPTCHAs or a ban (PAPERBOT_NET_HOST_LIMITS).
HOST_LIMITS = (
    HostLimit("doi.org", 2),
    HostLimit("dl.acm.org", 1, 1.0),
    HostLimit("ieeexplore.ieee.org", 1, 1.0),
    HostLimit("sciencedirect.com", 1, 1.0),
    HostLimit("link.springer.com", 2, 0.5),
    HostLimit("openreview.net", 2, 0.5),
)


@dataclass(frozen=True)
class NetSettings:
    """How the network phase behaves: limits, timeouts and where the scholarly APIs live."""

    enabled: bool = True
    budget_seconds: float = 25.0
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_concurrency: int = 64
    per_host: int = 8
    host_limits: tuple[HostLimit, ...] = HOST_LIMITS  # hosts that get less than per_host
    max_redirects: int = 5
    retries: int = 2
    retry_after_cap: float = 5.0
    allow_private: bool = False  # only for tests and benchmarks on loopback
    # A name that surely exists: NXDOMAIN counts as a dead link only while this one resolves.
    dns_probe_host: str = "example.com"
    user_agent: str = "paperbot/0.1 (+https://github.com/paperbot)"
    semantic_scholar_url: str = "https://api.semanticscholar.org/graph/v1"
    semantic_scholar_key: str | None = None
    openalex_url: str = "https://api.openalex.org"
    openalex_key: str | None = None
    openalex_mailto: str | None = None
    arxiv_url: str = "https://export.arxiv.org/api/query"
    crossref_url: str = "https://api.crossref.org"
    link_ttl_seconds: int = 6 * 3600
    metadata_ttl_seconds: int = 7 * 24 * 3600
    arxiv_interval_seconds: float = 3.0  # arXiv's terms: one request every 3 s
    semantic_scholar_interval_seconds: float = 1.0  # S2 keys are limited to 1 request/s
    doi_url: str = "https://doi.org"  # DOI handle API, to tell a registered DOI from a dead one
    crossref_mailto: str | None = None  # joins Crossref's polite pool


@dataclass(frozen=True)
class ServiceSettings:
    """The deployed bot: secrets, GitHub access, the database."""

    webhook_secret: str | None = None
    dry_run: bool = False
    github_token: str | None = None
    app_id: str | None = None
    private_key: str | None = None
    github_api_url: str = "https://api.github.com"
    db_path: str = "paperbot.sqlite3"
    # PostgreSQL for queue, cache and gates shared by several processes or machines (Heroku
    # Postgres sets DATABASE_URL); empty: the SQLite file db_path.
    database_url: str = ""
    # PostgreSQL connections a process opens at most (a worker listens on one more): the plan's
    # connection limit must cover every process's share.
    db_pool_size: int = 8
    max_body_bytes: int = 5 * 1024 * 1024
    job_attempts: int = 5
    lease_seconds: float = 20.0  # a running job's lease, renewed by its worker's heartbeat
    inline_worker: bool = True  # run the queue worker as a thread of the web process
    github_write_interval: float = 1.0  # seconds between writes: GitHub's secondary rate limits
    request_seconds: float = 10.0  # a request must arrive whole within this (slow clients)
    # The sweep that heals lost deliveries: every this many seconds (0: never), over these
    # repositories with a token (an App covers its installations'), comma-separated OWNER/REPO.
    reconcile_interval_seconds: float = 600.0
    repositories: str = ""
    # The link report (bot.service.report) of those same repositories, every this many seconds
    # (0: never).
    report_interval_seconds: float = 0.0
    # The account the bot posts as, when GitHub cannot be asked (GET /user refuses the token of
    # a GitHub Action; ``paperbot action`` sets github-actions[bot]). Empty: asked once.
    bot_login: str = ""
    # In a GitHub Action: try a check run (the workflow may grant `checks: write`), else a status;
    # and fail the job on a request for changes when the `fail-on-error` input says so.
    actions: bool = False
    fail_on_error: bool = False

    @property
    def repository_list(self) -> list[str]:
        return [name.strip() for name in self.repositories.split(",") if name.strip()]


@dataclass(frozen=True)
class ReportSettings:
    """The link report, from ``[report]`` of the repository's TOML: a link counts as broken only
    once it has failed ``confirm_runs`` reports in a row (a server down for a day is not news)."""

    confirm_runs: int = 3


@dataclass(frozen=True)
class Config:
    criteria: Criteria = field(default_factory=Criteria)
    net: NetSettings = field(default_factory=NetSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    report: ReportSettings = field(default_factory=ReportSettings)


def _int_map(value: Any, key: str) -> dict[int, int]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a table of year = citations")
    out: dict[int, int] = {}
    for year, count in value.items():
        try:
            y = int(year)
        except ValueError:
            raise ConfigError(f"{key}.{year}: the key must be a year") from None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ConfigError(f"{key}.{year}: expected a non-negative whole number")
        out[y] = count
    return out


def _expect(value: Any, kind: type | tuple[type, ...], key: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{key}: expected {names}, got {type(value).__name__}")
    return value


_LIST_KEYS = {
    "path": "list_path",
    "top_cap": "top_cap",
    "bold_mark": "bold_mark",
    "new_section": "new_section",
    "old_section": "old_section",
    "outside_top": "outside_top",
    "not_papers": "not_papers",
    "window": "window",
    "title_similarity": "title_similarity",
    "max_line_length": "max_line_length",
    "max_removals": "max_removals",
}


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{source}: cannot be read (nested too deeply)") from None
    except ValueError as exc:  # a number too long to read, say
        raise ConfigError(f"{source}: cannot be read ({exc})") from None


def parse_report(
    text: str, source: str = CONFIG_PATH, base: ReportSettings | None = None
) -> ReportSettings:
    """The ``[report]`` table of a repository's TOML (the rest is ``parse_criteria``'s)."""
    return _report_settings(_read_toml(text, source), source, base or ReportSettings())


def _report_settings(doc: dict[str, Any], source: str, base: ReportSettings) -> ReportSettings:
    table = _expect(doc.get("report", {}), dict, "report")
    for key, value in table.items():
        if key != "confirm_runs":
            raise ConfigError(f"{source}: unknown key report.{key}")
        if not 1 <= _expect(value, int, "report.confirm_runs") <= 100:
            raise ConfigError(f"{source}: report.confirm_runs must be between 1 and 100")
        base = replace(base, confirm_runs=value)
    return base


def parse_criteria(text: str, source: str = CONFIG_PATH, base: Criteria | None = None) -> Criteria:
    """Read a repository's TOML; every mistake names its key, so a maintainer can fix it."""
    doc = _read_toml(text, source)
    _report_settings(doc, source, ReportSettings())  # a review names a bad [report] key too
    criteria = base or Criteria()
    known = {"list", "thresholds", "bold_thresholds", "rules", "review", "report"}
    for key in doc:
        if key not in known:
            raise ConfigError(
                f"{source}: unknown table [{key}] (known: {', '.join(sorted(known))})"
            )
    changes: dict[str, Any] = {}
    for key, value in _expect(doc.get("list", {}), dict, "list").items():
        attr = _LIST_KEYS.get(key)
        if attr is None:
            raise ConfigError(f"{source}: unknown key list.{key}")
        name = f"list.{key}"
        if attr == "top_cap":
            if _expect(value, int, name) < 1:
                raise ConfigError(f"{source}: {name} must be at least 1")
        elif attr == "max_line_length":
            if not 200 <= _expect(value, int, name) <= 100_000:
                raise ConfigError(f"{source}: {name} must be between 200 and 100000")
        elif attr == "max_removals":
            if _expect(value, int, name) < 0:
                raise ConfigError(f"{source}: {name} must be 0 or more")
        elif attr == "title_similarity":
            if not 50 <= _expect(value, (int, float), name) <= 100:
                raise ConfigError(f"{source}: {name} must be between 50 and 100")
            value = float(value)
        elif attr == "window":
            _expect(value, list, name)
            years = all(isinstance(y, int) and not isinstance(y, bool) for y in value)
            if len(value) != 2 or not years or value[0] > value[1]:
                raise ConfigError(f"{source}: {name} must be [first_year, last_year]")
            value = (value[0], value[1])
        elif attr in ("outside_top", "not_papers"):
            _expect(value, list, name)
            if not all(isinstance(s, str) for s in value):
                raise ConfigError(f"{source}: {name} must be a list of strings")
            value = tuple(s.lower() for s in value)
        else:
            _expect(value, str, name)
        changes[attr] = value
    if "thresholds" in doc:
        changes["thresholds"] = _int_map(doc["thresholds"], "thresholds")
        if "bold_thresholds" not in doc:
            changes["bold_thresholds"] = {y: 2 * n for y, n in changes["thresholds"].items()}
    if "bold_thresholds" in doc:
        changes["bold_thresholds"] = _int_map(doc["bold_thresholds"], "bold_thresholds")
    rules = _expect(doc.get("rules", {}), dict, "rules")
    for key in rules:
        if key != "disabled":
            raise ConfigError(f"{source}: unknown key rules.{key}")
    if "disabled" in rules:
        disabled = _expect(rules["disabled"], list, "rules.disabled")
        # Imported here: the rules load the parser's and the matcher's libraries, which a process
        # that never reviews (``paperbot audit``) should not carry.
        from bot.engine.rules import RULE_IDS

        for rule in disabled:
            if rule not in RULE_IDS:
                raise ConfigError(
                    f"{source}: rules.disabled: unknown rule {rule!r} "
                    f"(known: {', '.join(RULE_IDS)})"
                )
        changes["disabled_rules"] = frozenset(disabled)
    review = _expect(doc.get("review", {}), dict, "review")
    for key, value in review.items():
        if key != "event":
            raise ConfigError(f"{source}: unknown key review.{key}")
        if _expect(value, str, "review.event").upper() not in REVIEW_EVENTS:
            raise ConfigError(f"{source}: review.event must be one of {', '.join(REVIEW_EVENTS)}")
        changes["review_event"] = value.upper()
    try:
        return replace(criteria, **changes)
    except TypeError as exc:  # pragma: no cover - guarded above
        raise ConfigError(f"{source}: {exc}") from None


def _env_value(raw: str, kind: type, name: str) -> Any:
    if kind is bool:
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    return raw


def parse_host_limits(raw: str, name: str = "PAPERBOT_NET_HOST_LIMITS") -> tuple[HostLimit, ...]:
    """``doi.org=2, dl.acm.org=1/1.0``: per host, requests in flight and optionally seconds
    between them; the whole table, so an empty value leaves every host at ``per_host``."""
    limits = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        host, _, value = item.partition("=")
        count, _, interval = value.partition("/")
        try:
            limit = HostLimit(host.strip().lower(), int(count), float(interval or 0))
        except ValueError:
            raise ConfigError(f"{name}: expected host=N or host=N/SECONDS, got {item!r}") from None
        if not limit.host or limit.per_host < 1 or limit.interval < 0:
            raise ConfigError(f"{name}: {item!r} needs a host, 1 or more, a pause of 0 or more")
        limits.append(limit)
    return tuple(limits)


_PARSERS = {"host_limits": parse_host_limits}


def _from_env(cls: type, prefix: str, env: Mapping[str, str], names: Mapping[str, str]) -> Any:
    values: dict[str, Any] = {}
    for f in fields(cls):
        name = names.get(f.name, prefix + f.name.upper())
        if name in env and f.name in _PARSERS:
            values[f.name] = _PARSERS[f.name](env[name], name)
        elif name in env:
            kind = {"bool": bool, "int": int, "float": float}.get(str(f.type), str)
            values[f.name] = _env_value(env[name], kind, name)
    return cls(**values)


_SERVICE_ENV = {
    "webhook_secret": "GITHUB_WEBHOOK_SECRET",
    "github_token": "GITHUB_TOKEN",
    "app_id": "GITHUB_APP_ID",
    "private_key": "GITHUB_PRIVATE_KEY",
    "github_api_url": "GITHUB_API_URL",
    "dry_run": "PAPERBOT_DRY_RUN",
    "db_path": "PAPERBOT_DB",
    "database_url": "DATABASE_URL",
}


def load(
    env: Mapping[str, str] | None = None,
    criteria_toml: str | None = None,
    criteria_source: str = "--config",
) -> Config:
    """Build the configuration once, at start-up, from the environment (and a TOML file)."""
    env = os.environ if env is None else env
    criteria, report = Criteria(), ReportSettings()
    if criteria_toml is not None:
        criteria = parse_criteria(criteria_toml, source=criteria_source)
        report = parse_report(criteria_toml, source=criteria_source)
    service = _from_env(ServiceSettings, "PAPERBOT_", env, _SERVICE_ENV)
    if service.private_key and "\\n" in service.private_key:
        service = replace(service, private_key=service.private_key.replace("\\n", "\n"))
    if service.db_pool_size < 1:
        raise ConfigError(f"PAPERBOT_DB_POOL_SIZE: expected 1 or more, got {service.db_pool_size}")
    net = _from_env(NetSettings, "PAPERBOT_NET_", env, {})
    return Config(criteria=criteria, net=net, service=service, report=report)
