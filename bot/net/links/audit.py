"""``paperbot audit FILE``: every link of a whole list checked, then reported (the third job, after
collect and check), with a progress bar on a terminal.

arXiv links are verified through arXiv's export API, never fetched (``arxiv``), paced by the arXiv
gate of the service database (``PAPERBOT_DB`` or ``DATABASE_URL``), so that an audit and the bot
sharing it keep to arXiv's one request every 3 s together; the export API's answers are cached
there as a review's are. Other links are checked afresh every time.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from os import PathLike
from typing import TextIO

from bot.config import Config
from bot.engine.model import LinkStatus
from bot.errors import InputError
from bot.net.guard import PUBLIC_ONLY, Reach
from bot.net.links.arxiv import ArxivLinks
from bot.net.links.check import check_links_async
from bot.net.links.collect import iter_links

READ_TURN_SECONDS = 0.005  # reading a list gives the checks a turn this often


class _ProgressBar:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} links")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


async def _distinct_links(
    text: str, first_line: dict[str, int], listed: asyncio.Event
) -> AsyncIterator[str]:
    """The list's distinct links as they are read, each with its first line in ``first_line``;
    ``listed`` is set at the end. The checks get a turn every few milliseconds: the first links
    go out while the rest of a long list is read (2,240 links take half a second to read)."""
    turn = time.monotonic()
    try:
        for url, line in iter_links(text):
            if url not in first_line:
                first_line[url] = line
                yield url
            if time.monotonic() - turn > READ_TURN_SECONDS:
                await asyncio.sleep(0)
                turn = time.monotonic()
    finally:
        listed.set()


async def _check_all(
    text: str,
    first_line: dict[str, int],
    config: Config,
    reach: Reach,
    progress: Callable[[int, int], None] | None,
) -> dict[str, LinkStatus]:
    listed = asyncio.Event()
    arxiv = ArxivLinks(config, reach, listed)
    try:
        return await check_links_async(
            _distinct_links(text, first_line, listed),
            config.net,
            resolver=reach.resolver,
            trusted=reach.trusted,
            progress=progress,
            delegate=arxiv,
        )
    finally:
        await arxiv.aclose()


def _report(
    path: str | PathLike[str],
    first_line: dict[str, int],
    results: dict[str, LinkStatus],
    fmt: str,
    out: TextIO,
) -> dict[str, int]:
    """Write one line per link (jsonl) or per problem (text); returns the count per outcome."""
    counts: dict[str, int] = {}
    for url, line in first_line.items():
        status = results[url]
        counts[status.outcome] = counts.get(status.outcome, 0) + 1
        if fmt == "jsonl":
            record = {
                "url": url,
                "status": status.outcome,
                "detail": status.detail,
                "line": line,
                "code": status.status,
                "permanent_redirect_to": status.permanent_redirect_to,
            }
            out.write(json.dumps(record) + "\n")
        elif status.outcome != "ok":
            out.write(f"{path}:{line}: {status.outcome}: {url} ({status.detail})\n")
        elif status.permanent_redirect_to:
            out.write(f"{path}:{line}: moved: {url} -> {status.permanent_redirect_to}\n")
    return counts


def audit(
    path: str | PathLike[str],
    config: Config,
    out: TextIO,
    fmt: str = "text",
    err: TextIO | None = None,
    *,
    reach: Reach = PUBLIC_ONLY,
) -> int:
    """``paperbot audit FILE``: check every link of a whole list; 1 if any is broken, else 0.

    ``fmt`` is ``text`` (problems, one per line, then a summary) or ``jsonl`` (one object per
    distinct URL: ``url``, ``status`` ok|broken|unverified|skipped, ``detail``, ``line``, ``code``,
    ``permanent_redirect_to``). A progress bar goes to ``err`` (default stderr) on a terminal only.
    ``reach`` replaces DNS and trusts networks (tests).
    """
    if fmt not in ("text", "jsonl"):
        raise InputError(f"unknown format {fmt!r} (use text or jsonl)")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    err = sys.stderr if err is None else err
    bar = _ProgressBar(err) if err.isatty() else None
    first_line: dict[str, int] = {}
    results = asyncio.run(_check_all(text, first_line, config, reach, bar))
    counts = _report(path, first_line, results, fmt, out)
    if fmt == "text":
        summary = ", ".join(
            f"{counts.get(k, 0)} {k}" for k in ("ok", "broken", "unverified", "skipped")
        )
        out.write(f"{len(first_line)} links: {summary}\n")
    out.flush()
    return 1 if counts.get("broken") else 0
