"""The network phase of a review: gather the facts the network rules need, within a time budget.

Only what the PR touched is checked: the links it adds or changes, the titles behind the arXiv,
DOI and NIPS links of the entries it touched, and the citation counts of the papers it puts into
the top 100. Everything runs concurrently; what the budget cuts short is named in
``Facts.incomplete`` and left out of the facts, so the rules report it as unverified and the
review is still posted. Answers are cached, so a re-run on an unchanged PR asks nobody anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.config import Config
from bot.engine.model import Diff, Facts, PaperList
from bot.net.answers import Answers
from bot.net.cache import Cache
from bot.net.guard import PUBLIC_ONLY, Reach
from bot.net.lookups import lookups_for
from bot.net.retry import SYSTEM_CLOCK, Clock
from bot.net.scholar.http import Http, new_client
from bot.store.gates import Gates, LocalGates

GRACE_SECONDS = 0.25


def gather(
    base: PaperList,
    head: PaperList,
    diff: Diff,
    config: Config,
    cache: Cache | None = None,
    clock: Clock = SYSTEM_CLOCK,
    *,
    reach: Reach = PUBLIC_ONLY,
    gates: Gates | None = None,
    fresh: bool = False,
) -> Facts:
    """Facts for the network rules, within ``config.net.budget_seconds``; never raises.

    ``clock`` measures the budget and paces the retries (tests pass one that never sleeps).
    ``reach`` replaces DNS and trusts networks for every request of the run (tests); ``gates``
    space the scholarly APIs' requests (the database's, shared by every process; without them,
    this call's own). ``base`` is
    accepted for symmetry with the engine: the diff already says what changed.
    """
    del base
    deadline = clock.monotonic() + config.net.budget_seconds
    run = Answers(lookups_for(head, diff, config.criteria), config, cache)
    if not config.net.enabled:
        run.incomplete.append("network checks are switched off (PAPERBOT_NET_ENABLED)")
        return run.facts()
    try:
        if not fresh:  # a maintainer's recheck asks every service again (the answers are kept)
            run.from_cache()
    except Exception as exc:  # a broken cache must not break the review
        run.cache = None
        run.incomplete.append(f"cache unavailable ({exc.__class__.__name__})")
    try:
        _run_sync(lambda: _gather(run, deadline, clock, reach, gates or LocalGates()))
    except Exception as exc:  # a bug here must cost the review its network facts, not its life
        run.incomplete.append(f"network phase failed ({exc.__class__.__name__}: {exc})")
    return run.facts()


def _run_sync(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    with ThreadPoolExecutor(1) as pool:  # called from async code: use a loop of our own
        pool.submit(lambda: asyncio.run(make())).result()


async def _noting_failure(work: Awaitable[None], what: str, run: Answers) -> None:
    """A lookup that crashes costs the review that lookup's facts, and says so."""
    try:
        await work
    except Exception as exc:
        run.incomplete.append(f"{what}: failed ({exc.__class__.__name__}: {exc})")


async def _gather(run: Answers, deadline: float, clock: Clock, reach: Reach, gates: Gates) -> None:
    jobs: dict[str, asyncio.Task[None]] = {}
    if run.lookups.link_urls:
        work = run.check_links(deadline, reach, clock)
        jobs["links"] = asyncio.create_task(_noting_failure(work, "links", run))
    lookups = {
        "arXiv": (run.todo_arxiv, run.fetch_arxiv),
        "doi.org": (run.todo_registered, run.fetch_registered),
        "Crossref": (run.todo_crossref, run.fetch_crossref),
        "citations": (run.todo_papers, run.fetch_papers),
    }
    wanted = {name: fetch for name, (todo, fetch) in lookups.items() if todo()}
    if not wanted:
        await _wait(jobs, run, deadline, clock)
        return
    async with new_client(run.net, reach) as client:
        http = Http(client, run.net, deadline, clock, gates)
        for name, fetch in wanted.items():
            jobs[name] = asyncio.create_task(_noting_failure(fetch(http), name, run))
        await _wait(jobs, run, deadline, clock)


async def _wait(
    jobs: dict[str, asyncio.Task[None]], run: Answers, deadline: float, clock: Clock
) -> None:
    """Every job watches the deadline itself; a short grace lets it say what it could not do."""
    if not jobs:
        return
    left = max(0.0, deadline - clock.monotonic())
    await asyncio.wait(jobs.values(), timeout=left + GRACE_SECONDS)
    late = [name for name, job in jobs.items() if not job.done()]
    for name in late:
        jobs[name].cancel()
    await asyncio.gather(*(jobs[name] for name in late), return_exceptions=True)
    unchecked = {
        "links": lambda: len(run.lookups.link_urls) - len(run.links),
        "arXiv": lambda: len(run.todo_arxiv()),
        "doi.org": lambda: len(run.todo_registered()),
        "Crossref": lambda: len(run.todo_crossref()),
        "citations": lambda: len(run.todo_papers()),
    }
    out_of_time = clock.monotonic() >= deadline
    for name in jobs:
        cut = name in late or (out_of_time and name != "links")  # links count their own
        if cut and (count := unchecked[name]()):
            run.incomplete.append(f"{name}: {count} not checked within the time budget")
