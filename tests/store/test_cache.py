"""The answer cache, on both engines: expiry, sharing across handles and threads, nothing but
real answers."""

from __future__ import annotations

import threading

from bot.net.cache import Cache
from bot.store.database import SQLiteDatabase, is_postgres


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_lives_for_its_ttl(store_target):
    clock = Clock()
    cache = Cache(store_target, clock=clock)
    cache.put("arxiv", "1512.03385", {"meta": {"title": "Deep Residual Learning"}}, ttl=60)
    assert cache.get("arxiv", "1512.03385") == {"meta": {"title": "Deep Residual Learning"}}
    assert cache.get("crossref", "1512.03385") is None  # kinds do not mix
    clock.now += 61
    assert cache.get("arxiv", "1512.03385") is None
    assert cache.purge() == 1


def test_nothing_is_stored_without_a_value_or_a_lifetime(store_target):
    with Cache.open(store_target) as cache:
        cache.put("link", "a", None, ttl=60)
        cache.put("link", "b", {"outcome": "ok"}, ttl=0)
        assert cache.get("link", "a") is None and cache.get("link", "b") is None


def test_an_answer_is_replaced_not_doubled(store_target):
    cache = Cache(store_target)
    cache.put("link", "u", {"outcome": "broken"}, ttl=60)
    cache.put("link", "u", {"outcome": "ok"}, ttl=60)
    assert cache.get("link", "u") == {"outcome": "ok"}


def test_two_handles_share_one_database(store_target):
    writer = Cache(store_target)
    # A second handle of its own, as another process would open it.
    other = store_target if is_postgres(store_target) else SQLiteDatabase(store_target)
    reader = Cache(other)
    writer.put("citations", "k", {"meta": None}, ttl=60)
    assert reader.get("citations", "k") == {"meta": None}


def test_threads_can_share_one_cache(store_target):
    cache = Cache(store_target)

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
