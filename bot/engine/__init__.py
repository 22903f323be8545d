"""The pure review: model, parse, diff, identity, titles, rules, verdict and render.

Text and criteria in, a Review out. Nothing here touches the network, a database, the environment
or the clock (import-linter keeps it so), so every part is tested without a server.
"""

from bot.engine.verdict import prepare, review, review_parsed

__all__ = ["prepare", "review", "review_parsed"]
