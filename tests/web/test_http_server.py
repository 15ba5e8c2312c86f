"""``sociable serve``'s uvicorn: request lines and headers are capped at 16 KiB (414/431).

A real uvicorn server on loopback, configured by the same :func:`server_config` that
``sociable serve`` uses, and raw sockets that send what a browser never would.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from sociable.track.http1 import MAX_HEAD
from sociable.web.http_server import server_config

ENDLESS_BUDGET = 16 * 1024 * 1024  # the 16 MB header line


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers how many body bytes and headers the request had."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = f"{size} bytes, {len(scope['headers'])} headers".encode()
    length = str(len(body)).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]}
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = uvicorn.Server(server_config(_echo, "127.0.0.1", 0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset counts as a close)."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def _exchange(port: int, *parts: bytes) -> bytes:
    with _connect(port) as sock:
        for part in parts:
            sock.sendall(part)
        return _read_all(sock)


def _get(headers: str = "", path: str = "/") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n{headers}\r\n".encode()


def test_an_ordinary_request_is_served(port: int) -> None:
    big_but_fine = "".join(f"X-{i}: {'v' * 900}\r\n" for i in range(16))  # ~14.6 KiB
    assert len(_get(big_but_fine)) < MAX_HEAD
    response = _exchange(port, _get(big_but_fine))
    assert response.startswith(b"HTTP/1.1 200") and response.endswith(b"\r\n0 bytes, 18 headers")


def test_a_body_does_not_count_towards_the_head(port: int) -> None:
    body = b"b" * 200_000
    head = b"POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 200000\r\n\r\n"
    response = _exchange(port, head + body)
    assert response.startswith(b"HTTP/1.1 200") and b"200000 bytes" in response


def test_keep_alive_then_an_oversized_head(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        first = b""
        while not first.endswith(b"headers"):
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(_get(f"X-Big: {'v' * MAX_HEAD}\r\n"))
        assert _read_all(sock).startswith(b"HTTP/1.1 431 Request Header Fields Too Large")


def test_headers_over_the_cap_in_one_write(port: int) -> None:
    too_many = "".join(f"X-{i}: {'v' * 900}\r\n" for i in range(20))  # ~18 KiB, complete
    response = _exchange(port, _get(too_many))
    assert response.startswith(b"HTTP/1.1 431 ")
    assert response.endswith(b"request headers too large\n")


def test_a_head_arriving_slowly_is_cut_at_the_cap(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        for _ in range(MAX_HEAD // 1024):  # the last piece takes the head past the cap
            sock.sendall(b"s" * 1024)
            time.sleep(0.005)  # separate reads on the server side, not a timing assertion
        assert _read_all(sock).startswith(b"HTTP/1.1 431 ")


def test_request_line_over_the_cap(port: int) -> None:
    response = _exchange(port, _get(path="/" + "p" * (MAX_HEAD + 10)))
    assert response.startswith(b"HTTP/1.1 414 ")


def test_an_endless_header_line_is_cut_off(port: int) -> None:
    """The issue's attack: one 16 MB header line, no login. The server must stop it early."""
    sent = 0
    with _connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nX-Endless: ")
        chunk = b"e" * 65536
        try:
            while sent < ENDLESS_BUDGET:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection: what we want
        response = _read_all(sock)
    # Kernel socket buffers hold a few MB at most; a server that kept reading took it all.
    assert sent < ENDLESS_BUDGET, "the server buffered the whole 16 MB header line"
    assert response == b"" or response.startswith(b"HTTP/1.1 431 ")
