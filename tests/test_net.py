"""The HTTP client factory: SSRF guard on every hop, size caps, user agent."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociable import net


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/big":
            body = b"x" * 50_000
        elif self.path == "/redirect-private":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/secret")
            self.end_headers()
            return
        else:
            body = self.headers.get("User-Agent", "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.5",
        "172.16.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not net.is_public(address)


def test_public_addresses() -> None:
    assert net.is_public("93.184.216.34") and net.is_public("2606:4700::1111")


def test_loopback_refused_by_default(server: str) -> None:
    with net.client() as c, pytest.raises(net.BlockedAddress, match="private, loopback"):
        c.get(server)


def test_localhost_name_refused(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    with net.client() as c, pytest.raises(net.BlockedAddress):
        c.get(f"http://localhost:{port}/")


def test_allowed_when_told_and_sends_our_user_agent(server: str) -> None:
    with net.client(net.NetPolicy(allow_private=True)) as c:
        assert c.get(server).text.startswith("SociableBot/")


def test_redirect_hop_is_checked(server: str) -> None:
    # Allowed to reach loopback, but a hop to 10.0.0.1 must still be guarded when not allowed:
    policy = net.NetPolicy(allow_private=False)
    transport = net.GuardedTransport(policy)
    # Simulate "the first hop was fine" by checking the second hop directly.
    with pytest.raises(net.BlockedAddress):
        transport.handle_request(httpx.Request("GET", "http://10.0.0.1/secret"))


def test_non_http_schemes_refused() -> None:
    with net.client() as c, pytest.raises(net.FetchError, match="only http"):
        c.get("file:///etc/passwd")


def test_size_cap(server: str) -> None:
    async def fetch() -> bytes:
        policy = net.NetPolicy(allow_private=True)
        async with net.async_client(policy) as c, c.stream("GET", f"{server}/big") as resp:
            return await net.read_capped(resp, 10_000)

    with pytest.raises(net.TooLarge, match="10000-byte limit"):
        asyncio.run(fetch())
    with net.client(net.NetPolicy(allow_private=True)) as c, c.stream("GET", f"{server}/big") as r:
        assert len(net.read_capped_sync(r, 60_000)) == 50_000


def test_async_guard(server: str) -> None:
    async def fetch() -> None:
        async with net.async_client() as c:
            await c.get(server)

    with pytest.raises(net.BlockedAddress):
        asyncio.run(fetch())


# The classifier for IPv6 forms that carry an IPv4 address.

_v4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
_private_v4 = _v4.filter(lambda ip: not net.is_public(str(ip)))
_public_v4 = _v4.filter(lambda ip: net.is_public(str(ip)))


def _mapped(v4: ipaddress.IPv4Address) -> str:
    return str(ipaddress.IPv6Address(0xFFFF_0000_0000 | int(v4)))


def _compatible(v4: ipaddress.IPv4Address) -> str:
    return str(ipaddress.IPv6Address(int(v4)))


def _nat64(v4: ipaddress.IPv4Address) -> str:
    return str(ipaddress.IPv6Address((0x0064_FF9B << 96) | int(v4)))


def _sixtofour(v4: ipaddress.IPv4Address, rest: int = 0) -> str:
    return str(ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80) | rest))


def _teredo(v4: ipaddress.IPv4Address, server: int = 0x4136_E378) -> str:
    # 2001:0000:<server v4>:<flags>:<port ^ ffff>:<client v4 ^ ffffffff>
    return str(ipaddress.IPv6Address((0x2001_0000 << 96) | (server << 64) | (int(v4) ^ 0xFFFFFFFF)))


_FORMS = [_mapped, _compatible, _nat64, _sixtofour, _teredo]


@pytest.mark.parametrize(
    "address",
    [
        "::7f00:1",
        "::a00:1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
        "2002:c0a8:1::1",
    ],
)
def test_ipv6_forms_of_private_ipv4_refused(address: str) -> None:
    assert not net.is_public(address)


@given(v4=_private_v4, form=st.sampled_from(_FORMS))
def test_no_form_of_a_private_ipv4_is_public(v4: ipaddress.IPv4Address, form: Any) -> None:
    assert not net.is_public(form(v4))


@given(v4=_v4)
def test_embedded_ipv4_is_recovered(v4: ipaddress.IPv4Address) -> None:
    for form in _FORMS:
        ip = ipaddress.IPv6Address(form(v4))
        if int(v4) > 1 or form is not _compatible:  # ::, ::1 are what they are
            assert net.embedded_ipv4(ip) == v4


@given(v4=_public_v4)
def test_mapped_and_nat64_follow_the_ipv4_address(v4: ipaddress.IPv4Address) -> None:
    assert net.is_public(_mapped(v4)) and net.is_public(_nat64(v4))
    assert net.is_public(_sixtofour(v4, rest=1))
    assert not net.is_public(_compatible(v4))  # deprecated form: never a real destination


@given(st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address))
def test_every_ipv6_address_classifies(ip: ipaddress.IPv6Address) -> None:
    public = net.is_public(str(ip))
    embedded = net.embedded_ipv4(ip)
    if public and embedded is not None:
        assert net.is_public(str(embedded))
    if public:
        assert ip.is_global
