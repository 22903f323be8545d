"""What gunicorn serves (``gunicorn bot.wsgi:app``): the app with its inline worker thread.

``app`` is built from the environment the first time gunicorn asks for it; ``serve`` is the same
wiring for ``paperbot serve``. Starting the worker belongs here, at the entry point, and not in
``create_app``, so that building an app (in a test, say) starts nothing.
"""

from __future__ import annotations

import logging

from flask import Flask

from bot import LOG_FORMAT, config
from bot.errors import PaperbotError
from bot.service.queue import Queue
from bot.service.webhook import create_app
from bot.service.worker import start_thread


def serve(cfg: config.Config) -> Flask:
    """The webhook app, with the queue worker as a thread of this process unless switched off."""
    app = create_app(cfg)
    if cfg.service.inline_worker:
        queue: Queue = app.extensions["paperbot.queue"]
        app.extensions["paperbot.worker_stop"] = start_thread(cfg, queue)
    return app


def __getattr__(name: str) -> Flask:
    if name != "app":
        raise AttributeError(name)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        app = serve(config.load())
    except PaperbotError as exc:  # a deployment mistake (no secret, a bad variable): say which
        raise SystemExit(f"paperbot: cannot start: {exc}") from None
    globals()["app"] = app
    return app
