"""From two list texts and a configuration to a Review: the one path the CLI and the bot's job take.

The engine judges; when the network checks are on, the network phase first gathers the facts the
network rules read (links, titles behind links, citation counts), with its answers cached in the
service database.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import Config
from bot.engine.model import Acceptance, Facts, Review
from bot.engine.verdict import prepare, review_parsed


def review(
    base_text: str,
    head_text: str,
    config: Config,
    accepted: Mapping[str, Acceptance] | None = None,
    fresh: bool = False,
) -> Review:
    """The engine's review with the network facts, unless the network checks are switched off;
    ``accepted`` rules do not count, ``fresh`` takes no answer from the cache."""
    base, head, diff = prepare(base_text, head_text, config.criteria)
    facts: Facts | None = None
    if config.net.enabled:
        # Imported here: an offline review (``paperbot review --offline``) does not load the
        # web stack, a fifth of a second of every such run.
        from bot.net.cache import Cache
        from bot.net.facts import gather
        from bot.store import database_for
        from bot.store.gates import SharedGates

        db = database_for(config.service)
        facts = gather(
            base, head, diff, config, cache=Cache(db), gates=SharedGates(db), fresh=fresh
        )
    return review_parsed(base, head, diff, config.criteria, facts, accepted)
