"""A real PostgreSQL server for the tests and benchmarks, started and stopped by them.

The server runs from the Debian package's binaries (``/usr/lib/postgresql/*/bin`` or ``pg_ctl``
on the PATH) in a temporary directory, on a free loopback port, with trust authentication and
without fsync (a test's data need not survive a power cut). PostgreSQL refuses to run as root, so
as root it runs as the ``postgres`` user (``runuser``).

``.ci/run`` sets ``PAPERBOT_REQUIRE_POSTGRES=1``: there a missing server is a failure, not a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

REQUIRED = os.environ.get("PAPERBOT_REQUIRE_POSTGRES") == "1"


def bindir() -> Path | None:
    """Where PostgreSQL's server programs are, or None."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        found = bindir()
        if found is None:
            raise RuntimeError("PostgreSQL's server programs (pg_ctl, initdb) are not installed")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="paperbot-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync", "--no-instructions")  # fmt: skip
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "log"), "-w", "-t", "60", "start")  # fmt: skip

    def halt(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data for ``start``: ``fast`` ends every session at once
        and keeps what was committed; ``immediate`` is a crash (and without fsync, loses the
        last commits)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "stop")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self.halt("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
