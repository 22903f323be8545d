"""The versioned schema and how a database is chosen and opened: migrations run once, an existing
SQLite queue from before versions survives the upgrade, a newer schema and an unreachable server
are clear errors, and ``DATABASE_URL`` picks PostgreSQL in either of Heroku's spellings."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from bot.config import ServiceSettings, load
from bot.errors import ConfigError, StoreError
from bot.service.queue import Queue
from bot.store import database_for, forget, open_database
from bot.store.database import PostgresDatabase, shown
from bot.store.schema import LATEST, migrate, versions

# The schema as paperbot created it before versions were kept (commit c7cafa0's queue and cache).
UNVERSIONED = """
CREATE TABLE queue_jobs (
    id INTEGER PRIMARY KEY, delivery TEXT NOT NULL UNIQUE, repo TEXT NOT NULL,
    number INTEGER NOT NULL, head_sha TEXT NOT NULL, base_sha TEXT, installation_id INTEGER,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, run_after REAL NOT NULL,
    lease TEXT, leased_until REAL, reason TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE INDEX queue_jobs_ready ON queue_jobs (state, run_after);
CREATE INDEX queue_jobs_pull ON queue_jobs (repo, number, state);
CREATE TABLE queue_meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
CREATE TABLE cache_answers (
    kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (kind, key)
);
INSERT INTO queue_jobs (delivery, repo, number, head_sha, state, run_after, created_at, updated_at)
VALUES ('d-waiting', 'octo/list', 5, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'queued', 0, 0, 0);
"""


def test_every_migration_runs_once(store_target):
    db = open_database(store_target)
    assert versions(db) == list(range(1, LATEST + 1))
    assert migrate(db) == []  # a second start changes nothing


def test_a_queue_from_before_versions_is_kept_by_the_upgrade(tmp_path):
    path = str(tmp_path / "paperbot.sqlite3")
    with sqlite3.connect(path) as old:
        old.executescript(UNVERSIONED)
    queue = Queue(path)
    job = queue.claim()
    assert job and job.delivery == "d-waiting"
    assert versions(queue.db) == list(range(1, LATEST + 1))
    forget(path)


def test_a_schema_newer_than_the_code_is_refused_clearly(store_target):
    db = open_database(store_target)
    with db.transaction() as tx:
        tx.run("INSERT INTO schema_migrations VALUES (?, 'from the future', 0)", (LATEST + 1,))
    with pytest.raises(StoreError, match=f"schema is version {LATEST + 1}, newer than"):
        migrate(db)


def test_processes_starting_together_migrate_once(postgres_server):
    url = postgres_server.new_database()
    handles = [PostgresDatabase(url, pool_size=1) for _ in range(4)]
    applied: list[list[int]] = []
    barrier = threading.Barrier(4)

    def start(db: PostgresDatabase) -> None:
        barrier.wait()
        applied.append(migrate(db))

    threads = [threading.Thread(target=start, args=(db,)) for db in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(applied, key=len) == [[], [], [], list(range(1, LATEST + 1))]
    for db in handles:
        db.close()


def test_database_url_chooses_postgresql_in_either_spelling(postgres_server):
    url = postgres_server.new_database()
    for spelling in (url, url.replace("postgresql://", "postgres://", 1)):
        settings = load({"DATABASE_URL": spelling, "PAPERBOT_DB": "ignored.sqlite3"}).service
        db = database_for(settings)
        assert db.engine == "postgres" and versions(db) == list(range(1, LATEST + 1))
        forget(spelling)


def test_without_database_url_the_sqlite_file_is_used(tmp_path):
    path = str(tmp_path / "bot.sqlite3")
    db = database_for(ServiceSettings(db_path=path))
    assert db.engine == "sqlite" and (tmp_path / "bot.sqlite3").exists()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    forget(path)


def test_an_unreachable_server_is_one_clear_line_without_the_password():
    url = "postgresql://bot:s3cret@127.0.0.1:9/paperbot"  # port 9: nothing listens
    with pytest.raises(StoreError) as caught:
        open_database(url)
    message = str(caught.value)
    assert message.startswith("cannot connect to postgresql://bot:***@127.0.0.1:9/paperbot")
    assert "s3cret" not in message and "\n" not in message
    assert shown("postgres://u:p@/db?host=/cloudsql/x") == "postgres://u:***@/db?host=/cloudsql/x"


def test_a_process_opens_no_more_connections_than_its_pool_size(postgres_server):
    """A small plan (Heroku's Essential tiers allow 20 connections) is shared by every process."""
    url = postgres_server.new_database()
    db = database_for(load({"DATABASE_URL": url, "PAPERBOT_DB_POOL_SIZE": "2"}).service)
    name = url.rsplit("/", 1)[1]

    def busy() -> None:
        with db.transaction() as tx:
            tx.one("SELECT pg_sleep(0.2)")

    threads = [threading.Thread(target=busy) for _ in range(6)]
    for t in threads:
        t.start()
    watcher = PostgresDatabase(postgres_server.url(), pool_size=1)
    peak = 0
    while any(t.is_alive() for t in threads):
        with watcher.transaction() as tx:  # the statistics views are one snapshot a transaction
            row = tx.one("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = ?", (name,))
        peak = max(peak, row[0] if row else 0)
    watcher.close()
    for t in threads:
        t.join()
    assert peak == 2
    forget(url)


def test_a_pool_size_below_one_is_refused_by_name():
    with pytest.raises(ConfigError, match="PAPERBOT_DB_POOL_SIZE"):
        load({"PAPERBOT_DB_POOL_SIZE": "0"})


def test_a_caller_finding_every_connection_busy_waits_its_turn_then_gets_a_clear_error(
    postgres_server,
):
    url = postgres_server.new_database()
    db = PostgresDatabase(url, pool_size=1, wait=0.3)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with db.transaction() as tx:
            tx.one("SELECT 1")
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    with pytest.raises(StoreError, match="all 1 connections busy"), db.transaction() as tx:
        tx.one("SELECT 1")
    threading.Timer(0.1, release.set).start()  # freed within the wait: this one gets it
    with db.transaction() as tx:
        assert tx.one("SELECT 2") == (2,)
    holder.join()
    db.close()
