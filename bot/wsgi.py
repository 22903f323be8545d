"""What gunicorn serves (``gunicorn bot.wsgi:app``): the app, configured from the environment.

Importing this module builds the app, so nothing but gunicorn (Procfile, app.yaml) imports it.
"""

from __future__ import annotations

import logging

from bot import config
from bot.webhook import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
app = create_app(config.load())
