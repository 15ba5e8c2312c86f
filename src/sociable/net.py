"""The one HTTP client factory: timeouts, size caps, an SSRF guard, a user agent.

Every outgoing request (crawler, image checks, connectors, webhooks) goes through a client
made here. By default the guard refuses hosts that resolve to private, loopback, link-local,
multicast or reserved addresses; ``allow_private=True`` lifts it (tests, intranet audits).
The guard runs in the transport, so it also applies to every redirect hop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

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


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[str]:
    literal = _literal(host)
    if literal:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}") from exc
    return sorted({str(info[4][0]) for info in infos})


def check_host(host: str, port: int, policy: NetPolicy) -> None:
    """Raise BlockedAddress unless every address of ``host`` is allowed by ``policy``."""
    if policy.allow_private:
        return
    for address in resolve(host, port):
        if not is_public(address):
            hint = policy.allow_private_hint
            raise BlockedAddress(
                f"refused {host} ({address}): private, loopback or reserved address"
                + (f" (to allow such hosts: {hint})" if hint else "")
            )


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _check_request(request: httpx.Request, policy: NetPolicy) -> None:
    if request.url.scheme not in ("http", "https"):
        raise FetchError(f"refused {request.url}: only http and https are fetched")


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: NetPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _check_request(request, self.policy)
        check_host(request.url.host, _port(request.url), self.policy)
        return super().handle_request(request)


class AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: NetPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _check_request(request, self.policy)
        if not self.policy.allow_private:
            await asyncio.to_thread(check_host, request.url.host, _port(request.url), self.policy)
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
    transport = kwargs.pop("transport", None) or GuardedTransport(policy)
    return httpx.Client(transport=transport, **_client_kwargs(policy, kwargs))


def async_client(policy: NetPolicy | None = None, **kwargs: Any) -> httpx.AsyncClient:
    """An asyncio client bound to ``policy``."""
    policy = policy or NetPolicy()
    transport = kwargs.pop("transport", None) or AsyncGuardedTransport(
        policy, limits=kwargs.pop("limits", httpx.Limits(max_connections=100))
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
