"""A small SQLite cache for network answers, so a re-run on an unchanged PR asks nobody anything.

It lives in the service database (``config.service.db_path``), in one table, ``cache_answers``,
next to the job queue's ``queue_`` tables. The file is opened in WAL mode with a busy timeout, so
web, worker and CLI processes (and threads inside each) can share it.

Interface, for every module that caches (the link checker included)::

    cache.get(kind, key)              -> the stored value, or None when absent or expired
    cache.put(kind, key, value, ttl)  -> store ``value`` for ``ttl`` seconds (ttl <= 0: do nothing)

``kind`` names the family of answers (``"link"``, ``"arxiv"``, ``"crossref"``, ``"doi"``,
``"citations"``), ``key`` identifies one answer within it, and ``value`` is any JSON-serialisable
value other than None (wrap a negative answer, e.g. ``{"meta": None}``). Store only real answers:
an outcome that says "could not tell" (a timeout, a 429, a bot wall) must not be cached, or the bot
would keep repeating it. Expiry uses the injected ``clock`` (wall-clock seconds, default
``time.time``) so that tests can move time forward.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_answers (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (kind, key)
)
"""


class Cache:
    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path, timeout=10.0, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA busy_timeout = 10000")
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(_SCHEMA)

    @classmethod
    def open(cls, path: str, clock: Callable[[], float] = time.time) -> Cache:
        """``with Cache.open(config.service.db_path) as cache:`` closes it afterwards."""
        return cls(path, clock=clock)

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, kind: str, key: str) -> Any | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value, expires_at FROM cache_answers WHERE kind = ? AND key = ?",
                (kind, key),
            ).fetchone()
        if row is None or row[1] <= self.clock():
            return None
        return json.loads(row[0])

    def put(self, kind: str, key: str, value: Any, ttl: float) -> None:
        if value is None or ttl <= 0:
            return
        text = json.dumps(value, sort_keys=True)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO cache_answers (kind, key, value, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (kind, key, text, self.clock() + ttl),
            )

    def purge(self) -> int:
        """Drop expired answers; returns how many went."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM cache_answers WHERE expires_at <= ?", (self.clock(),)
            )
        return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
