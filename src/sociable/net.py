"""The one HTTP client factory: timeouts, size caps, an SSRF guard, a user agent.

Every outgoing request (crawler, image checks, connectors, webhooks) goes through a client
made here. By default the guard refuses hosts that resolve to private, loopback, link-local,
multicast or reserved addresses; ``allow_private=True`` lifts it (tests, intranet audits).

The guard runs in the connection layer: a name is resolved once, every address it answers is
checked, and the socket is opened to a checked address (the Host header, TLS SNI and the
certificate check stay on the name). Checking the name and then letting the client resolve it
again would let a DNS-rebinding name answer a public address to the check and 127.0.0.1 to the
connect. Every new connection, so every redirect hop to a new origin, goes through it.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import httpcore
import httpx

from sociable import __version__
from sociable.errors import SociableError

USER_AGENT = f"SociableBot/{__version__} (+https://sociable.dev/bot)"


class FetchError(SociableError):
    """A request we refused or could not complete; ``str()`` says why."""


class BlockedAddress(FetchError):
    """The host resolves to an address the policy does not allow."""


class TooLarge(FetchError):
    """The body is larger than the policy allows."""


DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


@dataclass(frozen=True)
class NetPolicy:
    allow_private: bool = False
    # How the user allows private hosts where this policy is used (a flag, a setting),
    # named in the refusal; config.private_hosts_hint builds it from the real settings.
    allow_private_hint: str = ""
    timeout: float = 10.0
    connect_timeout: float = 5.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address; the server half is public by design
    return None


def _global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def is_public(address: str) -> bool:
    """Whether ``address`` is one the guard lets a fetch connect to.

    An IPv6 address that embeds an IPv4 one is public only if that IPv4 address is: an
    IPv4-mapped address is the IPv4 address; NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo
    must also be public themselves. IPv4-compatible addresses (``::a.b.c.d``, deprecated by
    RFC 4291 and never a real destination) are refused outright.
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _global(ip.ipv4_mapped)
        if ip in _IPV4_COMPATIBLE:
            return False
        embedded = embedded_ipv4(ip)
        if embedded is not None and not _global(embedded):
            return False
    return _global(ip)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` in the resolver's order of preference, without repeats."""
    literal = _literal(host)
    if literal:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def allowed_addresses(host: str, port: int, policy: NetPolicy) -> list[str]:
    """Resolve ``host`` once; its addresses, or BlockedAddress if the policy refuses any."""
    addresses = resolve(host, port)
    if not policy.allow_private:
        for address in addresses:
            if not is_public(address):
                hint = policy.allow_private_hint
                raise BlockedAddress(
                    f"refused {host} ({address}): private, loopback or reserved address"
                    + (f" (to allow such hosts: {hint})" if hint else "")
                )
    return addresses


def check_host(host: str, port: int, policy: NetPolicy) -> None:
    """Raise BlockedAddress unless every address of ``host`` is allowed by ``policy``.

    For early, friendly errors only: the clients below check again at connect time.
    """
    if not policy.allow_private:
        allowed_addresses(host, port, policy)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects to an address checked by the policy, never to a name resolved again."""

    def __init__(self, policy: NetPolicy, inner: httpcore.NetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        last: httpcore.ConnectError | None = None
        for address in allowed_addresses(host, port, self.policy):
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None  # resolve() answers at least one address or raises
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise FetchError("refused a Unix socket: only http and https over TCP are fetched")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class AsyncPinnedBackend(httpcore.AsyncNetworkBackend):
    """The asynchronous :class:`PinnedBackend` (resolution runs in a worker thread)."""

    def __init__(
        self, policy: NetPolicy, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await anyio.to_thread.run_sync(allowed_addresses, host, port, self.policy)
        last: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError("refused a Unix socket: only http and https over TCP are fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _check_request(request: httpx.Request) -> None:
    if request.url.scheme not in ("http", "https"):
        raise FetchError(f"refused {request.url}: only http and https are fetched")


def _pool_options(
    limits: httpx.Limits, verify: ssl.SSLContext | bool, http2: bool, retries: int
) -> dict[str, Any]:
    """What httpx's own transports pass their connection pool, for our sync and async pools."""
    return {
        "ssl_context": httpx.create_ssl_context(verify=verify),
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
        "http2": http2,
        "retries": retries,
    }


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose sockets go to checked addresses."""

    def __init__(
        self,
        policy: NetPolicy,
        *,
        limits: httpx.Limits = DEFAULT_LIMITS,
        verify: ssl.SSLContext | bool = True,
        http2: bool = False,
        retries: int = 0,
    ) -> None:
        self.policy = policy
        self._pool = httpcore.ConnectionPool(
            network_backend=PinnedBackend(policy),
            **_pool_options(limits, verify, http2, retries),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _check_request(request)
        return super().handle_request(request)


class AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    """The asynchronous :class:`GuardedTransport`."""

    def __init__(
        self,
        policy: NetPolicy,
        *,
        limits: httpx.Limits = DEFAULT_LIMITS,
        verify: ssl.SSLContext | bool = True,
        http2: bool = False,
        retries: int = 0,
    ) -> None:
        self.policy = policy
        self._pool = httpcore.AsyncConnectionPool(
            network_backend=AsyncPinnedBackend(policy),
            **_pool_options(limits, verify, http2, retries),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _check_request(request)
        return await super().handle_async_request(request)


def _client_kwargs(policy: NetPolicy, kwargs: dict[str, Any]) -> dict[str, Any]:
    headers = {"User-Agent": policy.user_agent, **kwargs.pop("headers", {})}
    return {
        "timeout": httpx.Timeout(policy.timeout, connect=policy.connect_timeout),
        "follow_redirects": kwargs.pop("follow_redirects", True),
        "max_redirects": policy.max_redirects,
        "headers": headers,
        **kwargs,
    }


def client(policy: NetPolicy | None = None, **kwargs: Any) -> httpx.Client:
    """A synchronous client bound to ``policy``."""
    policy = policy or NetPolicy()
    transport = kwargs.pop("transport", None) or GuardedTransport(
        policy, limits=kwargs.pop("limits", DEFAULT_LIMITS)
    )
    return httpx.Client(transport=transport, **_client_kwargs(policy, kwargs))


def async_client(policy: NetPolicy | None = None, **kwargs: Any) -> httpx.AsyncClient:
    """An asyncio client bound to ``policy``."""
    policy = policy or NetPolicy()
    transport = kwargs.pop("transport", None) or AsyncGuardedTransport(
        policy, limits=kwargs.pop("limits", DEFAULT_LIMITS)
    )
    return httpx.AsyncClient(transport=transport, **_client_kwargs(policy, kwargs))


def _declared_too_large(response: httpx.Response, max_bytes: int) -> None:
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"{response.url}: {int(length)} bytes, over the {max_bytes}-byte limit")


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body of a streamed response, or TooLarge past ``max_bytes``."""
    _declared_too_large(response, max_bytes)
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(f"{response.url}: body over the {max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def read_capped_sync(response: httpx.Response, max_bytes: int) -> bytes:
    """Like :func:`read_capped`, for the synchronous client."""
    _declared_too_large(response, max_bytes)
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(f"{response.url}: body over the {max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
