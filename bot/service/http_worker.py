"""gunicorn's threaded worker with a deadline on reading each request (``gunicorn.conf.py``).

gunicorn's gthread worker hands a connection to a thread and reads the request there, for as long
as the client takes: four clients sending a byte a second held all four threads of the old setup,
and /healthz and GitHub's deliveries stopped being answered. Here a request must arrive whole
within ``PAPERBOT_REQUEST_SECONDS`` (10 s; GitHub sends a delivery in milliseconds and itself
gives up after 10 s); past that the connection reads as closed and is dropped, and the thread is
free again. With 32 threads a worker, a crowd of slow clients cannot take every thread either.
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

DEFAULT_REQUEST_SECONDS = 10.0


class _Deadline:
    """A client socket whose reads end at a deadline: the request's, reset for each request."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.deadline = float("inf")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def recv(self, size: int, flags: int = 0) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            return b""  # reads as the client closing: gunicorn drops the connection quietly
        self._sock.settimeout(left)
        try:
            data: bytes = self._sock.recv(size, flags)
        except TimeoutError:
            return b""
        return data


class Worker(ThreadWorker):
    def handle(self, conn: Any) -> Any:
        if not isinstance(conn.sock, _Deadline):
            conn.sock = _Deadline(conn.sock)
        conn.sock.deadline = time.monotonic() + self._request_seconds()
        return super().handle(conn)

    def _request_seconds(self) -> float:
        """The app's setting (``bot.wsgi`` puts it in the Flask config), else the default."""
        config = getattr(getattr(self, "wsgi", None), "config", None) or {}
        return float(config.get("PAPERBOT_REQUEST_SECONDS", DEFAULT_REQUEST_SECONDS))
