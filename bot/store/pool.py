"""A process's PostgreSQL connections, for short transactions.

psycopg_pool reconnects in the background with a backoff that grows to minutes, so after an outage
the bot kept failing for a minute or two after the server was back. Here a connection is opened
when a caller needs one: the first request after the server returns gets through, and while it is
down each request fails at once with the server's reason instead of waiting for a pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bot.errors import StoreError


class Pool:
    """At most ``size`` connections; an idle one is reused once a round trip shows it alive, a
    broken one is dropped, and a caller finding all ``size`` in use waits up to ``wait`` seconds.
    ``connect`` opens an autocommit connection (transactions are explicit blocks)."""

    def __init__(self, connect: Callable[[], Any], size: int, wait: float) -> None:
        self._connect = connect
        self._size = size
        self._wait = wait
        self._idle: list[Any] = []
        self._open = 0  # connections handed out or idle
        self._closed = False
        self._cond = threading.Condition()

    @contextmanager
    def connection(self) -> Iterator[Any]:
        conn = self._take()
        try:
            yield conn
        finally:
            self._give(conn)

    def _take(self) -> Any:
        deadline = time.monotonic() + self._wait
        with self._cond:
            while not self._idle and self._open >= self._size:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise StoreError(f"all {self._size} connections busy for {self._wait:g} s")
                self._cond.wait(left)
            idle = self._idle.pop() if self._idle else None
            if idle is None:
                self._open += 1
        if idle is not None:
            try:
                idle.execute("")  # alive? (a server restart leaves it broken)
                return idle
            except Exception:
                idle.close()  # its slot is reused for a new connection below
        try:
            return self._connect()
        except BaseException:
            self._release()
            raise

    def _give(self, conn: Any) -> None:
        if conn.closed or conn.broken or self._closed:
            conn.close()
            self._release()
            return
        with self._cond:
            self._idle.append(conn)
            self._cond.notify()

    def _release(self) -> None:
        with self._cond:
            self._open -= 1
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()
