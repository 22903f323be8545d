"""Maintainers' commands in pull request comments: ``/paperbot recheck`` and ``/paperbot accept
RULE REASON``.

A command counts only at the start of a line of a new comment, outside code blocks, quotes and
HTML comments (text a reader does not see as a command is none), and only the first one in a
comment runs. Whoever wrote it must have write, maintain or admin permission on the repository,
asked of GitHub; anyone else gets a one-line polite refusal. The bot's own comments never count.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from bot.config import Config
from bot.engine.model import Acceptance
from bot.engine.render import neutral
from bot.engine.rules import RULES
from bot.service.github import GitHub
from bot.service.job import review_pull
from bot.service.payload import CommentEvent
from bot.service.post import MAX_REASON

USAGE = "`/paperbot recheck` or `/paperbot accept RULE REASON`"
_LINE_END = re.compile(r"\r\n|\r|\n")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMAND = re.compile(r"^ {0,3}/paperbot(?:[ \t]+(?P<rest>.*))?$")


@dataclass(frozen=True)
class Command:
    name: str  # "recheck", "accept", or "unknown" (answered with the usage)
    rule: str = ""
    reason: str = ""

    def queued(self, author: str) -> str:
        """The command and its author as the queue keeps them."""
        return json.dumps({**asdict(self), "by": author})

    @classmethod
    def unqueued(cls, text: str) -> tuple[Command, str]:
        data = json.loads(text)
        command = cls(str(data["name"]), str(data.get("rule", "")), str(data.get("reason", "")))
        return command, str(data["by"])


def command_in(body: str) -> Command | None:
    """The first command of a comment, or None."""
    fence: str | None = None
    in_html_comment = False
    for line in _LINE_END.split(body):  # CommonMark's line endings only, not U+2028 and kin
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        if in_html_comment:
            in_html_comment = "-->" not in line
            continue
        if opened := _FENCE.match(line):
            fence = opened.group(1)
            continue
        if line.lstrip().startswith("<!--"):
            in_html_comment = "-->" not in line
            continue
        if line.startswith(("\t", "    ")) or line.lstrip().startswith(">"):
            continue  # indented code, a quote
        if found := _COMMAND.match(line.rstrip()):
            return _parse((found.group("rest") or "").strip())
    return None


def command_of(comment: CommentEvent) -> Command | None:
    """The command a new comment on a pull request holds, if any (who may run it is asked of
    GitHub when it runs)."""
    if comment.action != "created" or not comment.on_pull_request or comment.author_is_bot:
        return None
    return command_in(comment.body)


def _parse(rest: str) -> Command:
    word, _, args = rest.partition(" ")
    if word == "recheck" and not args.strip():
        return Command("recheck")
    if word == "accept":
        rule, _, reason = args.strip().partition(" ")
        if rule and reason.strip():
            return Command("accept", rule, " ".join(reason.split())[:MAX_REASON])
    return Command("unknown", reason=rest[:80])


def run_command(
    config: Config,
    repo: str,
    number: int,
    command: Command,
    author: str,
    installation_id: int | None = None,
) -> str:
    """Carry out one maintainer's command; what was done."""
    github = GitHub(config.service, repo, installation_id)
    if author == github.login():
        return "the bot's own comment: no command"
    if not github.may_maintain(author):
        github.reply(
            number,
            f"@{author} thanks! paperbot commands are for the repository's maintainers "
            "(write access), so this one was not run.",
        )
        return f"{command.name} by @{author}: refused (no write access)"
    if command.name == "recheck":
        return review_pull(config, repo, number, fresh=True, github=github).text
    if command.name == "accept" and command.rule in RULES:
        accepted = {
            **github.accepted(number),
            command.rule: Acceptance(command.rule, author, command.reason),
        }
        return review_pull(config, repo, number, accepted=accepted, github=github).text
    if command.name == "accept":
        github.reply(
            number,
            f"@{author} there is no rule named {neutral(command.rule)}; the rules are named in "
            "the summary comment's findings (e.g. `citations`, `duplicate`).",
        )
        return f"accept by @{author}: no rule {command.rule!r}"
    github.reply(number, f"@{author} paperbot knows {USAGE}.")
    return f"unknown command by @{author}"
