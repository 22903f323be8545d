"""``paperbot audit FILE``: every link of a whole list checked, then reported (the third job, after
collect and check), with a progress bar on a terminal."""

from __future__ import annotations

import json
import sys
import time
from os import PathLike
from typing import TextIO

from bot.config import Config
from bot.errors import InputError
from bot.net.links.check import check_links
from bot.net.links.collect import extract_links


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


def audit(
    path: str | PathLike[str],
    config: Config,
    out: TextIO,
    fmt: str = "text",
    err: TextIO | None = None,
) -> int:
    """``paperbot audit FILE``: check every link of a whole list; 1 if any is broken, else 0.

    ``fmt`` is ``text`` (problems, one per line, then a summary) or ``jsonl`` (one object per
    distinct URL: ``url``, ``status`` ok|broken|unverified|skipped, ``detail``, ``line``, ``code``,
    ``permanent_redirect_to``). A progress bar goes to ``err`` (default stderr) on a terminal only.
    """
    if fmt not in ("text", "jsonl"):
        raise InputError(f"unknown format {fmt!r} (use text or jsonl)")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    first_line: dict[str, int] = {}
    for url, line in extract_links(text):
        first_line.setdefault(url, line)
    err = sys.stderr if err is None else err
    bar = _ProgressBar(err) if err.isatty() and first_line else None
    results = check_links(first_line, config.net, progress=bar)
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
    if fmt == "text":
        summary = ", ".join(
            f"{counts.get(k, 0)} {k}" for k in ("ok", "broken", "unverified", "skipped")
        )
        out.write(f"{len(first_line)} links: {summary}\n")
    out.flush()
    return 1 if counts.get("broken") else 0
