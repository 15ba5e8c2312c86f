"""``sociable track serve``'s HTTP/1.1 front end (:mod:`sociable.track.http1`) on the wire.

Raw sockets, because what is tested is the protocol: pipelining and answer order, closing,
malformed input, size limits, slow and idle clients, the connection cap, ``100-continue``,
HEAD, the group commit failing, graceful stop. Against SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy import select as sql_select

from sociable.config import TrackSettings
from sociable.store.db import Database
from sociable.store.models.track import Click, Conversion
from sociable.track.conversions import sign
from sociable.track.http1 import MAX_HEAD
from sociable.track.links import create_link
from sociable.track.server import MAX_BODY, TrackApp
from tests.track.conftest import LiveServer, run_http1

SECRET = "s3cret"
BROWSER = "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0"
STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Wire:
    """A raw client connection that reads HTTP/1.1 responses one at a time."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"closed by the server; unparsed: {self.buf[:200]!r}")
        self.buf += chunk

    def response(self, *, head: bool = False) -> Response:
        """The next response (interim 1xx included); ``head``: it has no body."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status_line, *lines = raw.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        version, status, _ = status_line.split(" ", 2)
        assert version == "HTTP/1.1", status_line
        code = int(status)
        length = 0 if head or code < 200 else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return Response(code, headers, body)

    def closed(self) -> bool:
        """True once the server has closed this connection and sent nothing more (a
        ``TimeoutError`` if it keeps it open past the socket timeout)."""
        if self.buf:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        self.buf += chunk
        return not chunk


def request(
    path: str, *headers: str, method: str = "GET", version: str = "1.1", body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: go.example.com", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Front(LiveServer):
    """One http1 server (and its app) on loopback."""

    port: int
    thread: threading.Thread
    stop: Callable[[], None]

    def wire(self, timeout: float = 5.0) -> Wire:
        return Wire(self.port, timeout)

    def code(self) -> str:
        with self.db.session() as session:
            return create_link(
                session, "https://shop.example.com/p?x=1", workspace_id=self.app.workspace_id
            ).code

    def warm(self, code: str) -> None:
        """One redirect through the app, so the link is cached and answered inline next."""
        with self.wire() as w:
            w.send(request(f"/{code}"))
            assert w.response().status == 302


@pytest.fixture
def http1(db: Database, workspace_id: int, tmp_path: Path) -> Iterator[Callable[..., Front]]:
    """``make(keep_alive=..., request_timeout=..., max_connections=..., **track_settings)``."""
    fronts: list[Front] = []

    def make(**overrides: Any) -> Front:
        options = {
            key: overrides.pop(key)
            for key in ("keep_alive", "request_timeout", "max_connections")
            if key in overrides
        }
        track = TrackSettings(**{"flush_interval": 60.0, **overrides})
        app = TrackApp(db, track, workspace_id=workspace_id, log_dir=tmp_path / f"log{len(fronts)}")
        stop, thread, port = run_http1(app, **options)
        front = Front(app, f"http://127.0.0.1:{port}", db, port, thread, stop)
        fronts.append(front)
        return front

    yield make
    for front in fronts:
        front.stop()


def _clicks(db: Database) -> list[Click]:
    with db.session() as session:
        return list(session.scalars(sql_select(Click).order_by(Click.id)))


# -- pipelining and closing -------------------------------------------------------------------


def test_pipelined_requests_answered_in_order(http1: Callable[..., Front]) -> None:
    front = http1()
    code = front.code()
    front.warm(code)
    with front.wire() as w:
        w.send(
            request(f"/{code}")
            + request(f"/{code}")
            + request("/nosuchcode")
            + request(f"/{code}")
            + request("/healthz")
        )
        got = [w.response() for _ in range(5)]
        assert [r.status for r in got] == [302, 302, 404, 302, 200]
        assert got[4].body == b"ok\n" and got[2].body == b"no such link\n"
        ids = {r.headers["location"].rsplit("sc_cid=", 1)[1] for r in got if r.status == 302}
        assert len(ids) == 3
        w.send(request("/healthz"))  # the connection is still usable
        assert w.response().status == 200
    assert front.clicks() == 1 + 3


def test_more_pipelined_requests_than_are_read_ahead(http1: Callable[..., Front]) -> None:
    """Past MAX_QUEUED the server stops reading, then resumes: nothing lost or reordered."""
    front = http1()
    code = front.code()
    front.warm(code)
    paths = ["/healthz" if i % 3 == 0 else f"/{code}" for i in range(120)]
    with front.wire() as w:
        w.send(b"".join(request(p) for p in paths))
        statuses = [w.response().status for _ in paths]
    assert statuses == [200 if p == "/healthz" else 302 for p in paths]
    assert front.clicks() == 1 + paths.count(f"/{code}")


def test_connection_close_and_http10_close_after_the_answer(http1: Callable[..., Front]) -> None:
    front = http1()
    code = front.code()
    front.warm(code)
    cases = [
        request(f"/{code}", "Connection: close"),  # answered inline
        request("/healthz", "Connection: close"),  # answered through the ASGI app
        request(f"/{code}", version="1.0"),
        request("/healthz", "Connection: keep-alive", version="1.0"),
    ]
    for raw in cases:
        with front.wire() as w:
            # A request pipelined after the last one is never answered.
            w.send(raw + request(f"/{code}"))
            r = w.response()
            assert r.status in (200, 302), raw
            assert r.headers.get("connection") == "close", raw
            assert w.closed(), raw
    assert front.clicks() == 1 + 2


# -- malformed input and limits ---------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    [b"", b"healthz", b"code"],
    ids=["alone", "after-asgi-answer", "after-inline-answer"],
)
def test_malformed_request_400_then_closed(http1: Callable[..., Front], prefix: bytes) -> None:
    front = http1()
    code = front.code()
    front.warm(code)
    before = {b"": b"", b"healthz": request("/healthz"), b"code": request(f"/{code}")}[prefix]
    for garbage in (
        b"GARBAGE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET /healthz HTTP/9.9\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"GET /he\x00althz HTTP/1.1\r\n\r\n",
    ):
        with front.wire() as w:
            w.send(before + garbage + request("/healthz"))
            if before:  # what came before the garbage is answered first
                assert w.response().status in (200, 302)
            r = w.response()
            assert r.status == 400, garbage
            assert r.headers["connection"] == "close"
            assert w.closed()
    with front.wire() as w:
        w.send(request("/healthz"))
        assert w.response().status == 200


def test_upgrade_refused(http1: Callable[..., Front]) -> None:
    front = http1()
    with front.wire() as w:
        w.send(request("/healthz", "Connection: Upgrade", "Upgrade: websocket"))
        statuses = []
        while not w.closed():
            statuses.append(w.response().status)
    assert statuses[-1] == 400 and all(s < 500 for s in statuses)


def _limit_answer(w: Wire, data: bytes) -> Response:
    w.send(data)
    r = w.response()
    assert r.headers["connection"] == "close"
    assert w.closed()
    return r


def test_limits(http1: Callable[..., Front]) -> None:
    front = http1(postback_secret=SECRET)
    auth = f"Authorization: Bearer {SECRET}"
    with front.wire() as w:
        r = _limit_answer(w, request("/" + "a" * (MAX_HEAD + 10)))
        assert r.status == 414
    with front.wire() as w:
        headers = [f"X-Filler-{i}: {'v' * 500}" for i in range(40)]
        assert _limit_answer(w, request("/healthz", *headers)).status == 431
    with front.wire() as w:
        big = b'{"order_id": "' + b"x" * MAX_BODY + b'"}'
        assert _limit_answer(w, request("/c", auth, method="POST", body=big)).status == 413
    with front.wire() as w:
        chunked = b"4000\r\n" + b"x" * 0x4000 + b"\r\n" + b"10\r\n" + b"y" * 16 + b"\r\n0\r\n\r\n"
        head = request("/c", auth, "Transfer-Encoding: chunked", method="POST")
        assert _limit_answer(w, head + chunked).status == 413
    with front.wire() as w:  # just under the limits is fine
        w.send(request("/" + "a" * (MAX_HEAD - 100)))
        assert w.response().status == 404
        ok = json.dumps({"order_id": "A-1", "note": "x" * (MAX_BODY - 100)}).encode()
        w.send(request("/c", auth, method="POST", body=ok))
        assert w.response().status == 202


def test_endless_header_line_refused_at_the_limit(http1: Callable[..., Front]) -> None:
    """A header that never ends is refused once past the limit, not buffered for the whole
    request timeout (the parser only reports a header once its line is complete)."""
    front = http1()
    with front.wire(timeout=15) as w:
        w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        sent = 0
        while sent < 2 * 1024 * 1024:
            try:
                w.send(b"a" * 4096)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 4096
            if select.select([w.sock], [], [], 0.01)[0]:
                break
        r = w.response()
    assert r.status == 431
    assert sent < 2 * 1024 * 1024  # answered while the client was still sending


# -- slow, idle and too many clients ----------------------------------------------------------


def test_slow_client_gets_408(http1: Callable[..., Front]) -> None:
    front = http1(request_timeout=0.5, keep_alive=0.5)
    with front.wire() as w:  # half a request, then silence
        w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        r = w.response()
        assert r.status == 408 and r.headers["connection"] == "close"
        assert w.closed()
    with front.wire() as w:  # a byte at a time: trickling does not extend the deadline
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: a\r\n" * 100
        for i in range(300):  # at least 6 s of trickling, far past the timeout
            w.send(head[i : i + 1])
            if select.select([w.sock], [], [], 0.02)[0]:
                break
        assert w.response().status == 408
        assert w.closed()


def test_idle_connections_closed_after_keep_alive(http1: Callable[..., Front]) -> None:
    front = http1(request_timeout=0.5, keep_alive=0.5)
    with front.wire() as w:
        w.send(request("/healthz"))
        assert w.response().status == 200
        assert w.closed()  # no 408: no request was in progress
    with front.wire() as w:  # never sent anything
        assert w.closed()


def test_max_connections(http1: Callable[..., Front]) -> None:
    front = http1(max_connections=2)
    first, second = front.wire(), front.wire()
    try:
        for w in (first, second):  # answered, so both are surely accepted
            w.send(request("/healthz"))
            assert w.response().status == 200
        with front.wire() as third:
            r = third.response()
            assert r.status == 503 and r.headers["connection"] == "close"
            assert third.closed()
        first.sock.close()
        for _ in range(100):  # until the server has seen the close
            with front.wire() as w:
                w.send(request("/healthz"))
                if w.response().status == 200:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("no connection accepted after one was closed")
        second.send(request("/healthz"))
        assert second.response().status == 200
    finally:
        first.sock.close()
        second.sock.close()


# -- 100-continue, HEAD, percent-encoding -----------------------------------------------------


def post_head(body: bytes, *headers: str) -> bytes:
    """A ``POST /c`` head that asks for ``100 Continue`` before its body."""
    expect = ("Expect: 100-continue", f"Content-Length: {len(body)}")
    return request("/c", *headers, *expect, method="POST")


def test_expect_100_continue(http1: Callable[..., Front]) -> None:
    front = http1(postback_secret=SECRET)
    code = front.code()
    front.warm(code)
    body = json.dumps({"order_id": "A-1", "value": "10"}).encode()
    signed = f"X-Sociable-Signature: {sign(SECRET, body)}"
    with front.wire() as w:
        w.send(post_head(body, signed))
        assert w.response().status == 100
        w.send(body)
        r = w.response()
        assert r.status == 202 and json.loads(r.body)["order_id"] == "A-1"
        # Behind an unanswered request, no interim answer may jump the queue.
        other = json.dumps({"order_id": "A-2"}).encode()
        signed = f"X-Sociable-Signature: {sign(SECRET, other)}"
        w.send(request(f"/{code}") + post_head(other, signed))
        assert w.response().status == 302
        w.send(other)
        r = w.response()
        if r.status == 100:  # a late 100 is allowed, but only after the 302
            r = w.response()
        assert r.status == 202
    front.flush()
    with front.db.session() as session:
        orders = session.scalars(sql_select(Conversion.order_id).order_by(Conversion.id))
        assert list(orders) == ["A-1", "A-2"]


def test_head_inline_and_through_the_app(http1: Callable[..., Front]) -> None:
    front = http1()
    code = front.code()
    front.warm(code)
    with front.wire() as w:
        # HEAD answers carry no body, even where content-length says there would be one:
        # the GET pipelined behind each must parse cleanly.
        w.send(
            request(f"/{code}", f"User-Agent: {BROWSER}", method="HEAD")
            + request("/healthz", method="HEAD")
            + request("/healthz")
        )
        inline = w.response(head=True)
        assert inline.status == 302 and "sc_cid=" in inline.headers["location"]
        healthz = w.response(head=True)
        assert healthz.status == 200 and healthz.headers["content-length"] == "3"
        r = w.response()
        assert (r.status, r.body) == (200, b"ok\n")
    assert front.clicks() == 2
    warm_click, head_click = _clicks(front.db)
    assert head_click.is_bot and not warm_click.is_bot  # a HEAD is not a person


def test_percent_encoded_paths_go_through_the_app(http1: Callable[..., Front]) -> None:
    front = http1()
    code = front.code()
    front.warm(code)
    encoded = "".join(f"%{ord(ch):02X}" for ch in code)
    with front.wire() as w:
        w.send(request(f"/{encoded}") + request("/a%2Fb") + request("/%ff%fe") + request("/%"))
        r = w.response()
        assert r.status == 302 and r.headers["location"].startswith("https://shop.example.com/p")
        assert [w.response().status for _ in range(3)] == [404, 404, 404]
    assert front.clicks() == 2


# -- the click log failing --------------------------------------------------------------------


def test_click_log_write_failure_answers_503(
    http1: Callable[..., Front], monkeypatch: pytest.MonkeyPatch
) -> None:
    front = http1()
    code = front.code()
    front.warm(code)

    def disk_full(line: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(front.app.log, "append", disk_full)
    with front.wire() as w:  # answered inline (group commit)
        w.send(request(f"/{code}"))
        r = w.response()
        assert r.status == 503 and r.headers["connection"] == "close"
        assert w.closed()
    with front.wire() as w:  # queued behind an app answer, then answered inline
        w.send(request("/healthz") + request(f"/{code}") + request("/healthz"))
        assert w.response().status == 200
        assert w.response().status == 503
        assert w.closed()
    with front.wire() as w:  # uncached: through the app
        w.send(request(f"/{front.code()}"))
        assert w.response().status == 503
    monkeypatch.undo()
    with front.wire() as w:
        w.send(request(f"/{code}") + request(f"/{code}"))
        assert [w.response().status, w.response().status] == [302, 302]
    assert front.clicks() == 1 + 2  # only the clicks that were answered with a redirect


# -- arbitrary input ---------------------------------------------------------------------------


def _statuses(data: bytes) -> list[int]:
    return [int(m.group(1)) for m in STATUS_LINE.finditer(data)]


def _read_all(w: Wire) -> bytes:
    out = bytearray()
    while True:
        try:
            chunk = w.sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return bytes(out)


def _healthy(front: Front) -> None:
    with front.wire() as w:
        w.send(request("/healthz"))
        assert w.response().status == 200


@pytest.fixture
def fuzz_front(http1: Callable[..., Front]) -> Front:
    """One server for all of a property test's examples (they share it on purpose)."""
    front = http1(request_timeout=2.0, keep_alive=2.0)
    front.warm(front.code())
    return front


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_never_5xx(fuzz_front: Front, data: bytes) -> None:
    with fuzz_front.wire() as w:
        try:
            w.send(data)
            w.sock.shutdown(socket.SHUT_WR)  # the server closes on end of input
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = _read_all(w)
    assert not [s for s in _statuses(received) if s >= 500], received[:300]
    _healthy(fuzz_front)


_PATH_BYTE = st.integers(0x21, 0xFF).filter(lambda b: b != 0x7F)
_VALUE_BYTE = st.integers(0x01, 0xFF).filter(lambda b: b not in (0x0A, 0x0D))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "OPTIONS"]),
    path=st.lists(_PATH_BYTE, max_size=80).map(bytes),
    value=st.lists(_VALUE_BYTE, max_size=200).map(bytes),
)
def test_arbitrary_path_and_header_bytes_never_5xx(
    fuzz_front: Front, method: str, path: bytes, value: bytes
) -> None:
    raw = (
        method.encode()
        + b" /"
        + path
        + b" HTTP/1.1\r\nHost: x\r\nX-Any: "
        + value
        + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    with fuzz_front.wire() as w:
        w.send(raw)
        received = _read_all(w)
    statuses = _statuses(received)
    assert statuses and statuses[0] < 500, received[:300]
    _healthy(fuzz_front)


# -- stopping ----------------------------------------------------------------------------------


def test_graceful_stop(http1: Callable[..., Front]) -> None:
    front = http1()
    code = front.code()
    front.warm(code)
    idle, busy = front.wire(), front.wire()
    try:
        idle.send(request(f"/{code}") + request(f"/{code}"))
        assert [idle.response().status, idle.response().status] == [302, 302]
        busy.send(request(f"/{code}"))
        assert busy.response().status == 302
        front.stop()
        assert not front.thread.is_alive()  # serve() returned
        assert idle.closed() and busy.closed()
    finally:
        idle.sock.close()
        busy.sock.close()
    with pytest.raises(OSError):
        front.wire(timeout=1)
    with front.db.session() as session:  # the app's stop flushed every answered click
        assert session.scalar(sql_select(func.count()).select_from(Click)) == 1 + 3
