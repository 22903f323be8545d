"""The SSRF guard: the bot fetches URLs strangers wrote, so it connects only to public addresses.

The guard sits where a connection is opened (an httpcore network backend), not where a URL is read:
it resolves the name itself, refuses the whole name if any of its addresses is not public, and
opens the socket to an address it has just checked. No second lookup happens that a hostile DNS
server could answer differently (DNS rebinding), every redirect hop passes through the same door,
and TLS still sees the original name (SNI and certificate check), as does the ``Host`` header.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# A resolver maps a host name to its addresses; it raises NameNotFound for a name that does not
# exist and ResolveError for anything else. Tests inject a dict-backed one.
Resolver = Callable[[str], Sequence[str]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = ipaddress.ip_address("169.254.169.254")


class NameNotFound(Exception):
    """The DNS says the name does not exist (NXDOMAIN): the link is provably dead."""


class ResolveError(Exception):
    """The name could not be resolved right now (no answer, server failure): could not tell."""


class Blocked(Exception):
    """The guard refused to connect; the message says to what and why."""


def system_resolver(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise NameNotFound(host) from None
        raise ResolveError(f"DNS lookup failed ({exc.strerror})") from None
    except UnicodeError:
        raise NameNotFound(host) from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(addr: Address) -> Address:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), or the address itself."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped:
            return addr.ipv4_mapped
        if addr in _NAT64:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if addr.sixtofour:
            return addr.sixtofour
    return addr


def address_problem(ip: str, trusted: Iterable[Network] = ()) -> str | None:
    """Why the bot must not connect to ``ip``, or None when it is a public address."""
    try:
        addr = _embedded_ipv4(ipaddress.ip_address(ip))
    except ValueError:
        return f"not an IP address: {ip!r}"
    if any(addr.version == net.version and addr in net for net in trusted):
        return None
    if addr.is_unspecified:
        return "unspecified address"
    if addr.is_loopback:
        return "loopback address"
    if addr == _METADATA:
        return "cloud metadata address"
    if addr.is_link_local:
        return "link-local address"
    if addr.is_multicast:
        return "multicast address"
    if addr.is_reserved:
        return "reserved address"
    if addr.is_private:
        return "private address"
    if not addr.is_global:
        return "non-public address"
    return None


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects in one step; remembers each name's answer for one run."""

    def __init__(
        self,
        resolver: Resolver | None = None,
        allow_private: bool = False,
        trusted: Iterable[str] = (),
        probe_host: str = "example.com",
    ) -> None:
        self._resolver = resolver or system_resolver
        self._probe_host = probe_host
        self._allow_private = allow_private
        self._trusted = tuple(ipaddress.ip_network(n, strict=False) for n in trusted)
        self._inner = httpcore.AnyIOBackend()
        self._answers: dict[str, asyncio.Future[Sequence[str]]] = {}

    async def resolve(self, host: str) -> list[str]:
        literal = _literal(host)
        if literal:
            return [literal]
        pending = self._answers.get(host)
        if pending is None:
            loop = asyncio.get_running_loop()
            pending = loop.run_in_executor(None, self._resolver, host)
            self._answers[host] = pending
        try:
            addresses = list(await asyncio.shield(pending))
        except NameNotFound:
            if host != self._probe_host and not await self._dns_answers():
                raise ResolveError(
                    "DNS is not answering (a name that exists did not resolve)"
                ) from None
            raise
        except Exception:
            if self._answers.get(host) is pending:
                del self._answers[host]  # a passing failure: let a retry ask again
            raise
        if not addresses:
            raise NameNotFound(host)
        return addresses

    async def _dns_answers(self) -> bool:
        """Whether a name that surely exists resolves: "no such name" from a resolver that says so
        of every name (no network, a broken resolver) proves nothing about the link."""
        try:
            await self.resolve(self._probe_host)
        except Exception:
            return False
        return True

    def check(self, host: str, addresses: Sequence[str]) -> None:
        if self._allow_private:
            return
        for ip in addresses:
            problem = address_problem(ip, self._trusted)
            if problem:
                named = "" if _literal(host) else f"{host} resolves to "
                raise Blocked(f"{named}{problem} {ip}")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(self.resolve(host), timeout)
        except TimeoutError:
            raise ResolveError("DNS lookup timed out") from None
        self.check(host, addresses)
        failure: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    ip, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@dataclass(frozen=True)
class Reach:
    """How a run resolves names and which networks it trusts beyond the public Internet (tests
    trust their loopback servers; a deployment may trust an intranet mirror)."""

    resolver: Resolver | None = None
    trusted: tuple[str, ...] = ()

    def transport(
        self, allow_private: bool, probe_host: str, limits: httpx.Limits
    ) -> GuardedTransport:
        backend = GuardedBackend(self.resolver, allow_private, self.trusted, probe_host)
        return GuardedTransport(backend, limits)


PUBLIC_ONLY = Reach()


@functools.cache
def _tls() -> ssl.SSLContext:
    """Loading the CA bundle takes a while; one context serves every run of the process."""
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with the guard as its network backend (httpx does not expose one)."""

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits) -> None:
        super().__init__(verify=_tls(), limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_tls(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
