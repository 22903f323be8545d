"""Gates that space one service's requests: arXiv asks for one every 3 s "from all of the machines
under your control as a whole", Semantic Scholar for 1 a second, GitHub for paced writes.

``reserve(name, interval, now)`` books the next free slot of gate ``name`` and returns how long to
wait for it. ``SharedGates`` keeps the slots in the database, so every process (SQLite: on this
machine; PostgreSQL: on every machine) passes one gate; ``LocalGates`` keeps them in this process
(a library call without a database). ``now`` is wall-clock seconds: every process must read the
same time line.
"""

from __future__ import annotations

import threading
from typing import Protocol

from bot.store.database import Database


class Gates(Protocol):
    def reserve(self, name: str, interval: float, now: float) -> float: ...


class LocalGates:
    """Gates of this process only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def reserve(self, name: str, interval: float, now: float) -> float:
        with self._lock:
            slot = max(now, self._last.get(name, float("-inf")) + interval)
            self._last[name] = slot
            return slot - now


class SharedGates:
    """Gates kept in the database: one slot at a time, whichever process asks."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def reserve(self, name: str, interval: float, now: float) -> float:
        with self.db.transaction() as tx:
            tx.lock(f"gate {name}")
            row = tx.one("SELECT last_at FROM pace_gates WHERE name = ?", (name,))
            slot = now if row is None else max(now, float(row[0]) + interval)
            tx.run(
                "INSERT INTO pace_gates (name, last_at) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET last_at = excluded.last_at",
                (name, slot),
            )
        return slot - now
