"""Request bodies are capped before anything reads them: 413, nothing spooled, no 5xx."""

from __future__ import annotations

import io
import os
import re
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from PIL import Image
from sqlalchemy import func, select

from sociable.store.models import MediaAsset
from sociable.web.bodylimit import DEFAULT_LIMIT
from sociable.web.pages.compose import MAX_UPLOAD
from tests.web.conftest import WebApp
from tests.web.test_composer import add_accounts


def _raw(web: WebApp, head: bytes, body: bytes = b"") -> bytes:
    """Send a request head (and some body) on a raw socket; the whole answer."""
    url = urlsplit(web.base)
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=10) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_declared_length_over_the_cap_is_refused_unread(web: WebApp) -> None:
    # 300 MB announced, 10 bytes sent: the answer comes at once (nothing waits for the rest)
    answer = _raw(
        web,
        b"POST /compose HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        b"Content-Length: " + str(MAX_UPLOAD + 10 * 1024 * 1024).encode() + b"\r\n\r\n",
        b"--b\r\n0123",
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"over 201 MB" in answer
    answer = _raw(
        web,
        b"POST /api/v1/posts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(DEFAULT_LIMIT + 1).encode() + b"\r\n\r\n",
        b"{",
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_chunked_body_is_counted_as_it_arrives(web: WebApp) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(3):
            yield b"x" * (DEFAULT_LIMIT // 2)
        yield b'"}'

    with web.as_token("owner") as owner:
        r = owner.post(
            "/api/v1/posts", content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413 and "over 1 MB" in r.json()["detail"]
        assert owner.get("/api/v1/posts").status_code == 200  # and the server goes on


def test_uploads_keep_their_own_larger_cap(web: WebApp) -> None:
    ids = add_accounts(web)
    buffer = io.BytesIO()  # incompressible noise: a PNG of about 2 MB, over the default cap
    Image.frombytes("RGB", (820, 820), os.urandom(820 * 820 * 3)).save(buffer, "PNG")
    picture = buffer.getvalue()
    assert len(picture) > DEFAULT_LIMIT
    c = web.login("editor@acme.example")
    data = {"account": str(ids["x"]), "text": "Noise", "action": "upload"}
    r = c.post("/compose", data=data, files={"upload": ("noise.png", picture, "image/png")})
    assert r.status_code == 200, r.text[:300]
    assert re.search(r'name="media_id" value="(\d+)"', r.text)
    with web.db.session() as session:
        assert session.scalar(select(func.count()).select_from(MediaAsset)) == 1
