"""The pure review: model, criteria, parse, diff, identity, titles, rules, verdict and render.

Text and criteria in, a Review out (``verdict.review``). Nothing here touches the network, a
database, the environment or the clock (import-linter keeps it so), so every part is tested without
a server. Nothing is imported here, so that a process that needs only the model or the criteria
(``paperbot audit``) does not load the parser and the rules.
"""
