"""Benchmark: how fast the webhook acknowledges a delivery under real gunicorn on loopback.

GitHub gives a webhook 10 s to answer 2xx; the bot aims for well under a second. This starts
gunicorn as the Procfile does (``bot.wsgi:app``, gthread workers, the inline worker off so only
the acknowledgement is measured), then sends signed ``pull_request.opened`` deliveries (the real
octokit example, a new delivery id each, so each one is verified, parsed and written to the
SQLite queue) one after another and from several threads at once, and prints p50 / p95 / max.

Run: python bench/webhook_ack.py [--deliveries 500] [--concurrency 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = ROOT / "tests" / "fixtures" / "webhooks" / "pull_request.opened.json"
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not come up")


def send(port: int, count: int, body: bytes, signature: str) -> list[float]:
    """Deliveries over one keep-alive connection, as GitHub's hookshot would; seconds each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    timings = []
    for _ in range(count):
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": signature,
        }
        started = time.perf_counter()
        conn.request("POST", "/webhook", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        timings.append(time.perf_counter() - started)
        if answer.status != 202:
            raise SystemExit(f"unexpected answer {answer.status}")
    conn.close()
    return timings


def report(label: str, timings: list[float], wall: float) -> None:
    ms = sorted(t * 1000 for t in timings)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    print(
        f"{label:<28} n={len(ms):<5} p50={statistics.median(ms):6.2f} ms  p95={p95:6.2f} ms  "
        f"max={ms[-1]:7.2f} ms  throughput={len(ms) / wall:7.1f}/s"
    )


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (gunicorn's master and workers), in MB."""
    pids = [pid] + [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and (p / "stat").exists() and _parent(p) == pid
    ]
    total_kb = 0
    for one in pids:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    body = json.dumps(json.loads(PAYLOAD.read_text(encoding="utf-8"))).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "PAPERBOT_DB": str(Path(tmp) / "bench.sqlite3"),
            "PAPERBOT_INLINE_WORKER": "false",
            "PYTHONPATH": str(ROOT),
        }
        command = [
            sys.executable, "-m", "gunicorn", "bot.wsgi:app",
            "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", "4",
            "--log-level", "warning",
        ]  # fmt: skip
        server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(port)
            print(f"gunicorn {args.workers} workers x 4 threads, payload {len(body)} bytes")
            send(port, 20, body, signature)  # warm up both workers
            started = time.perf_counter()
            timings = send(port, args.deliveries, body, signature)
            report("sequential", timings, time.perf_counter() - started)

            per_thread = args.deliveries // args.concurrency
            results: list[list[float]] = []
            threads = [
                threading.Thread(
                    target=lambda: results.append(send(port, per_thread, body, signature))
                )
                for _ in range(args.concurrency)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            report(f"{args.concurrency} concurrent senders", [t for r in results for t in r], wall)
            print(f"gunicorn resident memory, master + workers: {rss_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
