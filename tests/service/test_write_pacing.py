"""GitHub's secondary limits count an account's writes, whichever process makes them: every
write of the bot passes one gate kept in the database (``PAPERBOT_GITHUB_WRITE_INTERVAL``)."""

from __future__ import annotations

import threading

from bot.config import Config
from bot.service.github import GitHub
from bot.store import open_database
from bot.store.database import SQLiteDatabase
from bot.store.gates import SharedGates
from tests.history import pr_texts
from tests.service.conftest import BASE, REPO, with_service
from tests.service.fake_github import FakeGitHub

INTERVAL = 0.1


def test_writes_from_two_workers_are_spaced_by_the_shared_gate(
    config: Config, fake_github: FakeGitHub
) -> None:
    heads = [f"{n}" * 40 for n in range(1, 7)]
    for number, head in enumerate(heads, 1):
        fake_github.add_pull(number, BASE, head, *pr_texts(74))
    service = with_service(config, github_write_interval=INTERVAL).service
    open_database(service.db_path)  # the schema

    def worker(mine: list[str]) -> None:
        # A handle of its own on the database, as another process would have.
        github = GitHub(service, REPO, gates=SharedGates(SQLiteDatabase(service.db_path)))
        for head in mine:
            github.report(head, "success", "paperbot: fine", "", [])

    threads = [threading.Thread(target=worker, args=(heads[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = sorted(call.at for call in fake_github.calls("POST", "/statuses/"))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 6 and min(gaps) >= INTERVAL * 0.7  # a slot each, give or take a thread
    assert times[-1] - times[0] >= 5 * INTERVAL * 0.95


def test_with_no_interval_writes_are_not_held(config: Config, fake_github: FakeGitHub) -> None:
    fake_github.add_pull(1, BASE, "1" * 40, *pr_texts(74))
    github = GitHub(config.service, REPO)  # the tests' config: interval 0
    github.report("1" * 40, "success", "paperbot: fine", "", [])
    assert len(fake_github.calls("POST", "/statuses/")) == 1
