"""The HTTP client factory: SSRF guard on every hop, size caps, user agent."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

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
