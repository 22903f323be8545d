"""Errors a user can cause and fix, each turned into one clear message by the CLI and webhook."""


class PaperbotError(Exception):
    """Base of every error that is the input's fault, not the bot's."""

    exit_code = 2
    http_status = 400


class ConfigError(PaperbotError):
    """A configuration value is missing, of the wrong type, or out of range."""


class NotAListError(PaperbotError):
    """The file is not a markdown paper list the bot can read."""


class InputError(PaperbotError):
    """A file or git revision the user named cannot be read."""


class SignatureError(PaperbotError):
    """A webhook delivery is not signed with our secret."""

    http_status = 401
