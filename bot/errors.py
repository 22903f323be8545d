"""The errors paperbot reports to people, in one tree. Each branch maps once to a CLI exit code
(and an input error to the webhook's HTTP status); the CLI and the webhook turn them into one
clear line, never a traceback.

    PaperbotError
    ├── InputError            exit 2, HTTP 400: what the user gave cannot be read
    │   ├── ConfigError       a setting or a .github/paperbot.toml key is wrong (names the key)
    │   ├── NotAListError     the file is not a markdown paper list
    │   └── SignatureError    HTTP 401: a webhook delivery not signed with our secret
    ├── GitHubError           GitHub did not do what the review needed
    │   ├── GitHubUnavailable exit 3: 5xx, timeouts, rate limits; the queue tries again later
    │   └── GitHubRefused     exit 4: 401, 403, 404, 422; trying again will not help
    └── StoreError            exit 3: the database cannot be reached or is newer than the code

Network trouble during the link and citation checks is not an error: the network phase turns it
into unverified facts (a warning in the review), and nothing of it leaves ``bot.net``.
"""

from __future__ import annotations


class PaperbotError(Exception):
    """Base of every error paperbot reports instead of crashing."""

    exit_code = 2


class InputError(PaperbotError):
    """A file, git revision, payload or setting the user gave cannot be used as it is."""

    http_status = 400


class ConfigError(InputError):
    """A configuration value is missing, of the wrong type, or out of range."""


class NotAListError(InputError):
    """The file is not a markdown paper list the bot can read."""


class SignatureError(InputError):
    """A webhook delivery is not signed with our secret."""

    http_status = 401


class GitHubError(PaperbotError):
    """GitHub did not answer as the review needed."""

    exit_code = 3


class GitHubUnavailable(GitHubError):
    """GitHub cannot answer now; ``retry_after`` is how long it asked us to wait, if it did."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class GitHubRefused(GitHubError):
    """GitHub answered no for good (missing repo, bad credentials, missing permission)."""

    exit_code = 4

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


class StoreError(PaperbotError):
    """The queue's database cannot be used: unreachable, or its schema is newer than this code."""

    exit_code = 3
