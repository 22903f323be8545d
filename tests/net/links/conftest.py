"""Loopback web sites for the link checker: real HTTP servers whose every path plays one behaviour.

A test adds routes (``site.route("/gone", status(410))``), checks ``site.url("/gone")``, and reads
what the server saw: the requests in order and when, the TCP connections, the peak of requests in
flight, the body bytes sent.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.config import NetSettings
from bot.net.guard import NameNotFound

# Short timeouts and pauses keep the suite fast; the behaviour is the production one.
FAST = NetSettings(
    connect_timeout=0.5,
    read_timeout=0.5,
    retries=2,
    retry_after_cap=0.2,
    allow_private=True,
)
GUARDED = replace(FAST, allow_private=False)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def setup(self) -> None:
        super().setup()
        with self.site._lock:
            self.site.connections += 1
            self.site.open_connections += 1
            self.site.peak_open = max(self.site.peak_open, self.site.open_connections)

    def finish(self) -> None:
        super().finish()
        with self.site._lock:
            self.site.open_connections -= 1

    def do_HEAD(self) -> None:
        self.site.serve(self)

    def do_GET(self) -> None:
        self.site.serve(self)

    def answer(self, code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


Route = Callable[[Handler], None]


class Site:
    def __init__(self, host: str) -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []
        self.started: list[float] = []  # time.monotonic() of each request, in order
        self.connections = 0  # TCP connections accepted
        self.open_connections = 0
        self.peak_open = 0  # TCP connections open at once
        self.inflight = 0
        self.peak = 0
        self.body_bytes = 0
        self.stop = threading.Event()  # lets handlers that wait on purpose go at teardown
        self._lock = threading.Lock()
        handler = type("SiteHandler", (Handler,), {"site": self})
        self.server = ThreadingHTTPServer((host, 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def route(self, path: str, behaviour: Route) -> str:
        self.routes[path] = behaviour
        return self.url(path)

    def seen(self, path: str) -> list[str]:
        """Methods of the requests made for ``path``, in order."""
        return [method for method, p in self.requests if p == path]

    def serve(self, handler: Handler) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append((handler.command, path))
            self.started.append(time.monotonic())
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)
        try:
            self.routes.get(path, status(404))(handler)
        finally:
            with self._lock:
                self.inflight -= 1

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


# --- behaviours -------------------------------------------------------------------------------


def status(code: int, headers: dict[str, str] | None = None) -> Route:
    def play(h: Handler) -> None:
        h.answer(code, headers, b"<html>%d</html>" % code)

    return play


def head_refused(code: int) -> Route:
    """HEAD answers ``code``; GET answers 200, like many publishers."""

    def play(h: Handler) -> None:
        h.answer(code if h.command == "HEAD" else 200, body=b"<html>paper</html>")

    return play


def redirect(location: str, code: int = 302) -> Route:
    return status(code, {"Location": location})


def sequence(*routes: Route) -> Route:
    """The n-th request gets the n-th behaviour; the last one repeats."""
    calls = iter(routes)
    last = [routes[-1]]

    def play(h: Handler) -> None:
        last[0] = next(calls, last[0])
        last[0](h)

    return play


def slow(site: Site, seconds: float) -> Route:
    def play(h: Handler) -> None:
        site.stop.wait(seconds)
        h.answer(200)

    return play


def delayed(seconds: float) -> Route:
    def play(h: Handler) -> None:
        time.sleep(seconds)
        h.answer(200)

    return play


def huge_body(site: Site, size: int = 50 * 1024 * 1024) -> Route:
    """A 50 MB PDF, sent as fast as the client takes it; counts what actually left."""
    chunk = b"%PDF" + b"0" * (64 * 1024 - 4)

    def play(h: Handler) -> None:
        if h.command == "HEAD":
            h.answer(405)
            return
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.flush()
        sent = 0
        try:
            while sent < size:
                h.wfile.write(chunk)
                sent += len(chunk)
                with site._lock:
                    site.body_bytes += len(chunk)
        except OSError:
            h.close_connection = True

    return play


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site("127.0.0.1")
    yield s
    s.close()


@pytest.fixture
def public_site() -> Iterator[Site]:
    """A server on 127.0.0.2, which tests declare trusted: it plays a public web host."""
    s = Site("127.0.0.2")
    yield s
    s.close()


def resolver_for(names: dict[str, list[str]]) -> Callable[[str], list[str]]:
    """DNS as a table; any other name does not exist (NXDOMAIN)."""

    def resolve(host: str) -> list[str]:
        if host not in names:
            raise NameNotFound(host)
        return names[host]

    return resolve


def closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tls_site(tmp_path) -> Iterator[tuple[Site, list[str]]]:
    """An HTTPS server with a self-signed certificate for paper.test; records the SNI it gets."""
    pytest.importorskip("cryptography")  # installed with PyGithub
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paper.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("paper.test")]), False)
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "cert.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    context.sni_callback = lambda sock, server_name, ctx: names.append(server_name)
    s = Site("127.0.0.1")
    s.server.socket = context.wrap_socket(s.server.socket, server_side=True)
    yield s, names
    s.close()
