"""One storage layer, two engines: what differs between SQLite and PostgreSQL is all here.

Callers write SQL once, with ``?`` placeholders and SQL both engines speak (``ON CONFLICT``,
``RETURNING``, ``DOUBLE PRECISION``), inside ``with db.transaction() as tx:``. What differs:

- **Transactions.** SQLite: a fresh connection per transaction, ``BEGIN IMMEDIATE``, so writers
  take turns (one machine, WAL, a busy timeout). PostgreSQL: a per-process connection pool, read
  committed; rows are claimed with ``FOR UPDATE SKIP LOCKED`` (``tx.skip_locked``) and a turn
  that must be exclusive takes an advisory lock (``tx.try_lock`` / ``tx.lock``).
- **Waking idle workers.** ``tx.notify(channel)`` and ``db.wait(channel, timeout)``: PostgreSQL's
  ``NOTIFY``/``LISTEN`` reach every process and machine at commit; on SQLite only the threads of
  this process are woken, and other processes find the work when they next look.
- **Clock.** Both use the callers' wall clock (``time.time``), so leases and gates compare across
  processes (and, with PostgreSQL, across machines with synchronised clocks).

``bot.store.open_database(target)`` opens one of them by its target.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from bot.errors import StoreError
from bot.store.pool import Pool

Engine = Literal["sqlite", "postgres"]
JOBS = "paperbot_jobs"  # the channel a queued job is announced on
POOL_SIZE = 8  # connections per process (PostgreSQL): threads beyond this wait their turn
# ... for this long at most: a webhook must still answer before GitHub gives up on it (10 s).
CONNECTION_WAIT_SECONDS = 5.0
CONNECT_SECONDS = 5  # libpq's connect_timeout: a server that does not answer is given up on
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def is_postgres(target: str) -> bool:
    return target.startswith(("postgres://", "postgresql://"))


def shown(target: str) -> str:
    """The target without its password, for logs and errors."""
    return _PASSWORD.sub(r"\1***@", target)


class Tx:
    """One transaction on either engine."""

    def __init__(self, cursor: Any, engine: Engine) -> None:
        self._cursor = cursor
        self.engine = engine
        self.notified: set[str] = set()
        # Appended to a SELECT that claims rows: other claimers pass over locked rows at once.
        self.skip_locked = " FOR UPDATE SKIP LOCKED" if engine == "postgres" else ""

    def _execute(self, sql: str, params: Sequence[Any]) -> Any:
        if self.engine == "postgres":
            if "%" in sql:
                raise ValueError("SQL for both engines must not hold '%'")
            sql = sql.replace("?", "%s")
        self._cursor.execute(sql, tuple(params))
        return self._cursor

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._execute(sql, params).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self._execute(sql, params).fetchone()
        return None if row is None else tuple(row)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; how many rows it changed."""
        return int(self._execute(sql, params).rowcount)

    def lock(self, name: str) -> None:
        """Wait for the exclusive turn named ``name`` until this transaction ends (SQLite's write
        transaction is exclusive already)."""
        if self.engine == "postgres":
            self._execute("SELECT pg_advisory_xact_lock(hashtext(?))", (name,))

    def try_lock(self, name: str) -> bool:
        """Take the turn named ``name`` for this transaction if no one holds it."""
        if self.engine == "sqlite":
            return True
        row = self.one("SELECT pg_try_advisory_xact_lock(hashtext(?))", (name,))
        return bool(row and row[0])

    def notify(self, channel: str) -> None:
        """Wake the workers waiting on ``channel`` when this transaction commits."""
        if self.engine == "postgres":
            self._execute("SELECT pg_notify(?, '')", (channel,))
        self.notified.add(channel)


class Database:
    """An open database: transactions, and a way for an idle worker to wait for work."""

    engine: Engine
    target: str

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._events_lock = threading.Lock()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        """One transaction; ``write=False`` for one that only reads (on SQLite it then does not
        take the write lock)."""
        raise NotImplementedError
        yield  # pragma: no cover

    def _event(self, channel: str) -> threading.Event:
        with self._events_lock:
            return self._events.setdefault(channel, threading.Event())

    def _announce(self, tx: Tx) -> None:
        for channel in tx.notified:
            self._event(channel).set()

    def wake(self, channel: str) -> None:
        """Wake this process's threads waiting on ``channel``."""
        self._event(channel).set()

    def wait(self, channel: str, timeout: float) -> bool:
        """Sleep until work is announced on ``channel`` or ``timeout`` passes; True if woken."""
        event = self._event(channel)
        woken = event.wait(max(0.0, timeout))
        event.clear()
        return woken

    def close(self) -> None:
        pass


class SQLiteDatabase(Database):
    engine: Engine = "sqlite"

    def __init__(self, path: str) -> None:
        super().__init__()
        self.target = path
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.Lock()
        if path == ":memory:":  # one connection, or every transaction would see a new database
            self._memory = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        else:
            with self._connection() as db:
                db.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._memory is not None:
            with self._memory_lock:
                yield self._memory
            return
        try:
            db = sqlite3.connect(self.target, timeout=10.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite file {self.target}: {exc}") from None
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL: survives a process crash
            yield db
        finally:
            db.close()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            tx = Tx(db.cursor(), "sqlite")
            try:
                yield tx
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        self._announce(tx)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()


class PostgresDatabase(Database):
    engine: Engine = "postgres"

    def __init__(
        self, url: str, pool_size: int = POOL_SIZE, wait: float = CONNECTION_WAIT_SECONDS
    ) -> None:
        super().__init__()
        import psycopg  # imported here: only a deployment with DATABASE_URL needs it

        self._psycopg = psycopg
        self.target = url
        try:  # one plain attempt first: its error says why (refused, auth, no such database)
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {shown(url)}: {_reason(exc)}") from None
        self._pool = Pool(
            lambda: psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_SECONDS),
            pool_size,
            wait,
        )
        self._listener: Any = None
        self._listening: set[str] = set()
        self._listener_lock = threading.Lock()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        try:
            with (
                self._pool.connection() as conn,
                conn.transaction(),
                conn.cursor() as cursor,
            ):
                tx = Tx(cursor, "postgres")
                yield tx
        except self._psycopg.OperationalError as exc:
            raise StoreError(f"the database {shown(self.target)}: {_reason(exc)}") from None
        self._announce(tx)

    def wake(self, channel: str) -> None:
        """Its own process's waiter listens on the server: tell it there, from a thread of its
        own (this may run in a signal handler, which must not wait for the pool's locks)."""
        super().wake(channel)

        def notify() -> None:
            try:
                with self.transaction() as tx:
                    tx.notify(channel)
            except StoreError:
                pass  # the waiter looks again within its idle interval anyway

        threading.Thread(target=notify, name="paperbot-wake", daemon=True).start()

    def wait(self, channel: str, timeout: float) -> bool:
        """LISTEN on a connection of its own; a local announcement wakes it too."""
        if self._event(channel).is_set():
            return super().wait(channel, 0)
        with self._listener_lock:
            try:
                if self._listener is None or self._listener.closed:
                    self._listener = self._psycopg.connect(
                        self.target, autocommit=True, connect_timeout=CONNECT_SECONDS
                    )
                    self._listening = set()
                if channel not in self._listening:
                    self._listener.execute(f'LISTEN "{channel}"')
                    self._listening.add(channel)
                for _ in self._listener.notifies(timeout=max(0.0, timeout), stop_after=1):
                    return True
                return False
            except self._psycopg.Error:  # the server went away: poll until it is back
                self._listener = None
        time.sleep(min(timeout, 1.0))
        return False

    def close(self) -> None:
        with self._listener_lock:
            if self._listener is not None:
                self._listener.close()
        self._pool.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
