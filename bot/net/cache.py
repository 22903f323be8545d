"""A small cache of network answers, so a re-run on an unchanged PR asks nobody anything.

It lives in the service database (``bot.store``: the SQLite file, or PostgreSQL when
``DATABASE_URL`` is set, shared by every process), in one table, ``cache_answers``, next to the
job queue's tables.

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
import time
from collections.abc import Callable
from typing import Any

from bot.store import open_database
from bot.store.database import Database


class Cache:
    def __init__(self, target: str | Database, clock: Callable[[], float] = time.time) -> None:
        self.db = open_database(target) if isinstance(target, str) else target
        self.clock = clock

    @classmethod
    def open(cls, target: str | Database, clock: Callable[[], float] = time.time) -> Cache:
        """``with Cache.open(target) as cache:``; the database stays open for the process."""
        return cls(target, clock=clock)

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, kind: str, key: str) -> Any | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT value, expires_at FROM cache_answers WHERE kind = ? AND key = ?",
                (kind, key),
            )
        if row is None or row[1] <= self.clock():
            return None
        return json.loads(row[0])

    def put(self, kind: str, key: str, value: Any, ttl: float) -> None:
        if value is None or ttl <= 0:
            return
        text = json.dumps(value, sort_keys=True)
        with self.db.transaction() as tx:
            tx.run(
                "INSERT INTO cache_answers (kind, key, value, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, "
                "expires_at = excluded.expires_at",
                (kind, key, text, self.clock() + ttl),
            )

    def purge(self) -> int:
        """Drop expired answers; returns how many went."""
        with self.db.transaction() as tx:
            return tx.run("DELETE FROM cache_answers WHERE expires_at <= ?", (self.clock(),))

    def close(self) -> None:
        """Nothing to close: the database is the process's, shared with the queue."""
