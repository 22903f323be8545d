"""What gunicorn serves (``gunicorn bot.wsgi:app``): the app, configured from the environment.

Importing this module builds the app, so nothing but gunicorn (Procfile, app.yaml) imports it.
"""

from __future__ import annotations

import logging

from bot import LOG_FORMAT, config
from bot.errors import PaperbotError
from bot.webhook import create_app

logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
try:
    app = create_app(config.load())
except PaperbotError as exc:  # a deployment mistake (no secret, a bad variable): say which
    raise SystemExit(f"paperbot: cannot start: {exc}") from None
