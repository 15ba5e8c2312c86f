"""DNS rebinding: the guard checks the address the client actually connects to.

A resolver stub answers ``rebind.test`` with a "public" address first and 127.0.0.1 on every
later lookup, the classic rebinding pattern. The "public" address is 127.0.0.2, which these
tests (and only these) let :func:`sociable.net.is_public` accept, so no packet leaves this
machine: 127.0.0.2 serves the public page, 127.0.0.1 on the same port the secret one. A client
that checks the name and then resolves it again reaches the secret page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sociable import net
from sociable.audit.crawl import CrawlOptions, crawl_pages
from sociable.config import Settings
from sociable.web import linkpreview

NAME = "rebind.test"
STAND_IN_PUBLIC = "127.0.0.2"
PUBLIC_PAGE = b'<html><head><meta property="og:title" content="Public page"></head></html>'
SECRET_PAGE = b'<html><head><meta property="og:title" content="Loopback secret"></head></html>'


def _handler(body: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Host-Seen", self.headers.get("Host", ""))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@dataclass
class Rebinder:
    """The resolver stub: the first lookup of NAME answers ``first``, later ones 127.0.0.1."""

    first: list[str]
    lookups: list[str] = field(default_factory=list)

    def answers(self) -> list[str]:
        self.lookups.append(NAME)
        return self.first if len(self.lookups) == 1 else ["127.0.0.1"]


def _serve(host: str, port: int, body: bytes, tls: ssl.SSLContext | None) -> ThreadingHTTPServer:
    srv = ThreadingHTTPServer((host, port), _handler(body))
    if tls is not None:
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture
def rebinder(monkeypatch: pytest.MonkeyPatch) -> Rebinder:
    stub = Rebinder(first=[STAND_IN_PUBLIC])
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if (host.decode() if isinstance(host, bytes) else host) != NAME:  # anyio sends bytes
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))
            for address in stub.answers()
        ]

    real_is_public = net.is_public
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(net, "is_public", lambda a: a == STAND_IN_PUBLIC or real_is_public(a))
    return stub


def _servers(tls: ssl.SSLContext | None = None) -> Iterator[int]:
    secret = _serve("127.0.0.1", 0, SECRET_PAGE, tls)
    port = secret.server_address[1]
    public = _serve(STAND_IN_PUBLIC, port, PUBLIC_PAGE, tls)
    yield port
    public.shutdown()
    secret.shutdown()


@pytest.fixture
def port() -> Iterator[int]:
    yield from _servers()


def test_sync_client_connects_to_the_checked_address(rebinder: Rebinder, port: int) -> None:
    with net.client() as http:
        response = http.get(f"http://{NAME}:{port}/")
    assert response.content == PUBLIC_PAGE
    assert response.headers["X-Host-Seen"] == f"{NAME}:{port}"  # Host stays the name
    assert rebinder.lookups == [NAME]  # resolved once


def test_async_client_connects_to_the_checked_address(rebinder: Rebinder, port: int) -> None:
    async def fetch() -> httpx.Response:
        async with net.async_client() as http:
            return await http.get(f"http://{NAME}:{port}/")

    response = asyncio.run(fetch())
    assert response.content == PUBLIC_PAGE
    assert response.headers["X-Host-Seen"] == f"{NAME}:{port}"
    assert rebinder.lookups == [NAME]


def test_a_new_connection_is_checked_again(rebinder: Rebinder, port: int) -> None:
    with net.client() as http:
        assert http.get(f"http://{NAME}:{port}/").content == PUBLIC_PAGE
    with net.client() as http, pytest.raises(net.BlockedAddress, match=r"127\.0\.0\.1"):
        http.get(f"http://{NAME}:{port}/")


def test_any_refused_answer_refuses_the_name(rebinder: Rebinder, port: int) -> None:
    rebinder.first = [STAND_IN_PUBLIC, "127.0.0.1"]
    with net.client() as http, pytest.raises(net.BlockedAddress):
        http.get(f"http://{NAME}:{port}/")


def test_composer_link_cards(rebinder: Rebinder, port: int) -> None:
    result = linkpreview.link_cards(f"http://{NAME}:{port}/cards", Settings())
    assert "Public page" in str(result["cards"])
    assert "Loopback secret" not in str(result)


def test_crawler(rebinder: Rebinder, port: int) -> None:
    # The test servers speak HTTP/1.0, so robots.txt and the page are two connections: the
    # first gets the public answer, the second the rebound one, which the guard refuses.
    options = CrawlOptions(max_pages=1, use_sitemap=False, follow_links=False)

    async def pages() -> list[tuple[bytes, str | None]]:
        url = f"http://{NAME}:{port}/"
        return [(page.body, page.error) async for page in crawl_pages(url, options)]

    [(body, error)] = asyncio.run(pages())
    assert body != SECRET_PAGE
    assert error is not None and f"refused {NAME} (127.0.0.1)" in error
    assert len(rebinder.lookups) == 2


# TLS: the socket goes to the pinned address, SNI and certificate checks stay on the name.


def _cert(tmp: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``name`` and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


@pytest.mark.parametrize("cert_name, ok", [(NAME, True), ("other.test", False)])
def test_tls_verifies_the_name_not_the_address(
    rebinder: Rebinder, tmp_path: Path, cert_name: str, ok: bool
) -> None:
    server_tls, client_tls = _cert(tmp_path, cert_name)
    for port in _servers(server_tls):
        transport = net.GuardedTransport(net.NetPolicy(), verify=client_tls)
        with httpx.Client(transport=transport) as http:
            if ok:
                assert http.get(f"https://{NAME}:{port}/").content == PUBLIC_PAGE
            else:
                with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
                    http.get(f"https://{NAME}:{port}/")


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
def test_a_proxy_from_the_environment_does_not_bypass_the_guard(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx mounts its own proxy transport for HTTP_PROXY & co., which skips our pinned one."""
    monkeypatch.setenv(variable, "http://127.0.0.1:9")  # a proxy that would fetch anything
    for fetch in (
        lambda: net.client().get("http://127.0.0.1:1/"),
        lambda: asyncio.run(_async_get("http://127.0.0.1:1/")),
    ):
        with pytest.raises(net.BlockedAddress):
            fetch()


async def _async_get(url: str) -> httpx.Response:
    async with net.async_client() as c:
        return await c.get(url)
