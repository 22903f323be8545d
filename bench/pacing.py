"""Benchmark: arXiv's and Semantic Scholar's gates across 3 processes, counted at a fake service.

Three processes start together and each asks, through the real clients (``arxiv_titles`` and
``semantic_scholar``, one paper per call so that each call is one request), arXiv 4 times and
Semantic Scholar 10 times, both at once. A loopback server playing both services records the
wall-clock time of every request it receives. Gates: kept in PostgreSQL, in one SQLite file, and,
for comparison, each process's own (the pacing before issue 10).

Printed per service: requests, the smallest and median gap between two requests, the most
requests in any window one interval long (the services' rules allow 1), and the rate.

Run: python bench/pacing.py [--arxiv 4] [--s2 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import NetSettings  # noqa: E402
from bot.net.scholar.arxiv import arxiv_titles  # noqa: E402
from bot.net.scholar.http import Http, new_client  # noqa: E402
from bot.net.scholar.match import PaperQuery  # noqa: E402
from bot.net.scholar.semantic_scholar import semantic_scholar  # noqa: E402
from bot.store import open_database  # noqa: E402
from bot.store.gates import Gates, LocalGates, SharedGates  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

PROCESSES = 3
EMPTY_FEED = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>'


class Service(ThreadingHTTPServer):
    """arXiv's export API under /arxiv, Semantic Scholar's batch endpoint under /s2."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, float]] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Service

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self, body: str, kind: str) -> None:
        self.server.seen.append((self.path.split("/")[1].split("?")[0], time.time()))
        raw = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self.answer(EMPTY_FEED, "application/atom+xml")

    def do_POST(self) -> None:
        asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["ids"]
        papers = [
            {"paperId": f"p{i}", "externalIds": {"ArXiv": a.removeprefix("ARXIV:")},
             "title": "A paper", "year": 2016, "citationCount": 1}
            for i, a in enumerate(asked)
        ]  # fmt: skip
        self.answer(json.dumps(papers), "application/json")


def ask(target: str, url: str, start_at: float, arxiv: int, s2: int) -> None:
    """One process: wait for the common start, then ask both services at once."""
    gates: Gates = LocalGates() if target == "local" else SharedGates(open_database(target))
    net = NetSettings(
        allow_private=True, arxiv_url=f"{url}/arxiv", semantic_scholar_url=f"{url}/s2"
    )

    async def main() -> None:
        async with new_client(net) as client:
            http = Http(client, net, time.monotonic() + 600, gates=gates)

            async def arxiv_calls() -> None:
                for i in range(arxiv):
                    await arxiv_titles(http, [f"1512.{i:05d}"])

            async def s2_calls() -> None:
                for i in range(s2):
                    query = PaperQuery(f"k{i}", "A paper", 2016, arxiv=f"1603.{i:05d}")
                    await semantic_scholar(http, [query], 0.9)

            await asyncio.gather(arxiv_calls(), s2_calls())

    time.sleep(max(0.0, start_at - time.time()))
    asyncio.run(main())


def most_in_window(times: list[float], window: float) -> int:
    """The most requests in any half-open window ``window`` seconds long (ms rounding forgiven)."""
    most = 0
    for i, first in enumerate(times):
        most = max(most, sum(1 for t in times[i:] if t - first < window - 0.001))
    return most


def measure(target: str, arxiv: int, s2: int) -> dict[str, list[float]]:
    service = Service()
    threading.Thread(target=service.serve_forever, daemon=True).start()
    spawn = multiprocessing.get_context("spawn")
    start_at = time.time() + 3  # every process imported and ready
    processes = [
        spawn.Process(target=ask, args=(target, service.url, start_at, arxiv, s2))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"a process failed ({process.exitcode})"
    service.shutdown()
    return {name: sorted(t for kind, t in service.seen if kind == name) for name in ("arxiv", "s2")}


def report(label: str, seen: dict[str, list[float]]) -> None:
    for name, interval in (("arxiv", 3.0), ("s2", 1.0)):
        times = seen[name]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        span = times[-1] - times[0]
        print(
            f"{label:<24} {name:<6} {len(times):>3} requests in {span:5.1f} s: gap min "
            f"{min(gaps):.3f} s, median {statistics.median(gaps):.3f} s; most in {interval:.0f} s: "
            f"{most_in_window(times, interval)}; rate {(len(times) - 1) / span:.2f}/s "
            f"(allowed {1 / interval:.2f}/s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arxiv", type=int, default=4)
    parser.add_argument("--s2", type=int, default=10)
    args = parser.parse_args()
    print(f"{PROCESSES} processes, each: arXiv x{args.arxiv}, Semantic Scholar x{args.s2}")
    server = PostgresServer()
    try:
        report("PostgreSQL gates", measure(server.new_database(), args.arxiv, args.s2))
    finally:
        server.stop()
    with tempfile.TemporaryDirectory() as work:
        db = str(Path(work) / "paperbot.sqlite3")
        open_database(db)
        report("SQLite gates", measure(db, args.arxiv, args.s2))
    report("per-process (before)", measure("local", args.arxiv, args.s2))


if __name__ == "__main__":
    main()
