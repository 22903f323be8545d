"""The answer cache: expiry, sharing across connections and threads, nothing but real answers."""

from __future__ import annotations

import sqlite3
import threading

from bot.net.cache import Cache


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_lives_for_its_ttl(tmp_path):
    clock = Clock()
    cache = Cache(str(tmp_path / "db.sqlite3"), clock=clock)
    cache.put("arxiv", "1512.03385", {"meta": {"title": "Deep Residual Learning"}}, ttl=60)
    assert cache.get("arxiv", "1512.03385") == {"meta": {"title": "Deep Residual Learning"}}
    assert cache.get("crossref", "1512.03385") is None  # kinds do not mix
    clock.now += 61
    assert cache.get("arxiv", "1512.03385") is None
    assert cache.purge() == 1


def test_nothing_is_stored_without_a_value_or_a_lifetime(tmp_path):
    with Cache.open(str(tmp_path / "db.sqlite3")) as cache:
        cache.put("link", "a", None, ttl=60)
        cache.put("link", "b", {"outcome": "ok"}, ttl=0)
        assert cache.get("link", "a") is None and cache.get("link", "b") is None


def test_processes_share_one_wal_database_with_prefixed_tables(tmp_path):
    path = str(tmp_path / "paperbot.sqlite3")
    writer, reader = Cache(path), Cache(path)  # as two processes would open it
    writer.put("citations", "k", {"meta": None}, ttl=60)
    assert reader.get("citations", "k") == {"meta": None}
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables and all(t.startswith("cache_") for t in tables)


def test_threads_can_share_one_cache(tmp_path):
    cache = Cache(str(tmp_path / "db.sqlite3"))

    def work(n: int) -> None:
        for i in range(50):
            cache.put("link", f"{n}-{i}", {"n": i}, ttl=60)
            assert cache.get("link", f"{n}-{i}") == {"n": i}

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("link", "7-49") == {"n": 49}
