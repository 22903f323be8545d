"""Fixtures every suite may use: a real PostgreSQL server (one per test process, started and
stopped by the tests) and ``store_target``, which runs a test once on SQLite and once on
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import forget
from tests.postgres import REQUIRED, PostgresServer, bindir


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if bindir() is None:
        message = "PostgreSQL is not installed (Debian: apt-get install postgresql-15)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a test's queue, cache and gates live: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        target = str(tmp_path / "paperbot.sqlite3")
    else:
        target = request.getfixturevalue("postgres_server").new_database()
    yield target
    forget(target)
