"""Where the bot keeps what must outlive a request: the job queue, the answer cache and the pacing
gates. One storage layer with two engines: a SQLite file (the default, one machine) and
PostgreSQL (``DATABASE_URL``: several processes and machines). Everything that differs between
the two is in ``database``; the versioned schema is in ``schema``.

``open_database(target)`` takes a SQLite path or a ``postgres://`` / ``postgresql://`` URL (Cloud
SQL through its unix socket: ``postgresql://USER:PASS@/DB?host=/cloudsql/INSTANCE``), opens it
once per process and brings its schema up to date.
"""

from __future__ import annotations

import os
import threading

from bot.config import ServiceSettings
from bot.store.database import (
    POOL_SIZE,
    Database,
    PostgresDatabase,
    SQLiteDatabase,
    is_postgres,
)
from bot.store.schema import migrate

_OPEN: dict[tuple[str, int], Database] = {}
_OPEN_LOCK = threading.Lock()


def open_database(target: str, pool_size: int = POOL_SIZE) -> Database:
    """The database at ``target``, opened once per process (a forked worker opens its own) with
    its schema brought up to date; ``pool_size``: PostgreSQL connections at most."""
    key = (target, os.getpid())
    with _OPEN_LOCK:
        if key not in _OPEN:
            db: Database
            if is_postgres(target):
                db = PostgresDatabase(target, pool_size)
            else:
                db = SQLiteDatabase(target)
            try:
                migrate(db)
            except BaseException:
                db.close()
                raise
            _OPEN[key] = db
        return _OPEN[key]


def database_for(service: ServiceSettings) -> Database:
    """PostgreSQL when ``DATABASE_URL`` is set, else the SQLite file ``PAPERBOT_DB``."""
    return open_database(service.database_url or service.db_path, service.db_pool_size)


def forget(target: str) -> None:
    """Close and forget this process's handle on ``target`` (tests that drop a database)."""
    with _OPEN_LOCK:
        db = _OPEN.pop((target, os.getpid()), None)
    if db is not None:
        db.close()
