"""The HTTP/1.1 front end of ``sociable track serve``: httptools on uvloop, no framework.

Why not uvicorn: a redirect is a few microseconds of work, and a general ASGI server spends
several times that per request (scope dicts, a task, message dicts). Here a cached redirect is
answered inline from the parser's callback (:meth:`TrackApp.quick_redirect`); every other
request (conversions, pixel, script, 404s, uncached codes, backpressure) is handed to the same
ASGI app uvicorn would run, so there is one implementation of what the server does.

Limits: request line + headers 16 KiB (431), body 16 KiB (413), a request must arrive within
``request_timeout`` and an idle keep-alive connection is closed after ``keep_alive``; at most
``max_connections`` at once (503 beyond); at most ``MAX_QUEUED`` pipelined requests are read
ahead. Requests on one connection are answered in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import unquote

import httptools

from sociable.track.server import MAX_BODY, Message, TrackApp

log = logging.getLogger(__name__)

MAX_HEAD = 16 * 1024
MAX_QUEUED = 32
MAX_CONNECTIONS = 10_000
SWEEP_EVERY = 1.0
GROUP_MAX = 64  # clicks per group commit: amortises the write, bounds the wait

_LOCATION = b"HTTP/1.1 302 Found\r\ncache-control: no-store\r\ncontent-length: 0\r\nlocation: "
_CLOSE = b"connection: close\r\n"


def _status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode("latin-1")


def _plain(status: int, text: str) -> bytes:
    """A short plain-text answer that closes the connection (protocol errors, limits)."""
    body = (text + "\n").encode()
    return (
        _status_line(status)
        + b"content-type: text/plain; charset=utf-8\r\ncache-control: no-store\r\n"
        + _CLOSE
        + b"content-length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


class _TooLarge(Exception):
    def __init__(self, status: int, text: str) -> None:
        self.status, self.text = status, text


class _Request:
    __slots__ = ("body", "head", "headers", "keep_alive", "method", "quick", "url", "version")

    def __init__(
        self,
        method: str,
        url: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        keep_alive: bool,
        version: str,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive
        self.version = version
        self.head = method == "HEAD"
        self.quick = method in ("GET", "HEAD")


class _Connection(asyncio.Protocol):
    """One client connection: parse, answer in order, enforce the limits."""

    def __init__(self, server: TrackServer) -> None:
        self.server = server
        self.app = server.app
        self.loop = server.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer = ""
        self.sock = ("", 0)
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.head_bytes = 0
        self.in_head = False  # between a request's first byte and the end of its headers
        self.head_read = 0  # bytes read while the head was incomplete (a lower bound)
        self.begun = 0  # requests begun on this connection
        self.queue: deque[_Request] = deque()
        self.busy = False
        self.closing = False
        self.deadline = 0.0
        self.in_request = False
        self.read_paused = False
        self.write_paused = False
        self.staged = 0  # redirects waiting for the group commit
        self.failure: bytes | None = None  # an error answer owed after those in hand

    # -- connection events -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if peer else ""
        sock = transport.get_extra_info("sockname")
        self.sock = (str(sock[0]), int(sock[1])) if sock else ("", 0)
        if len(self.server.connections) >= self.server.max_connections:
            transport.write(_plain(503, "too many connections"))
            transport.close()
            self.closing = True
            return
        self.server.connections.add(self)
        self.deadline = self.loop.time() + self.server.keep_alive

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        begun = self.begun
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, "upgrades are not supported")
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            if isinstance(cause, _TooLarge):
                self._fail(cause.status, cause.text)
            else:  # pragma: no cover - our callbacks raise nothing else
                log.exception("track connection callback failed")
                self._fail(500, "internal error")
        except httptools.HttpParserError as exc:
            self._fail(400, f"malformed request: {exc}"[:200])
        else:
            # The parser buffers a header line until it ends, and only then calls on_header:
            # count whole reads spent inside one head, so an endless line hits the limit too.
            if self.in_head and self.begun == begun:
                self.head_read += len(data)
                if self.head_read > MAX_HEAD:
                    self._fail(431, "request headers too large")

    def pause_writing(self) -> None:
        """The client is not reading: stop reading its requests until it does."""
        self.write_paused = True
        self._set_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._set_reading()

    def _set_reading(self) -> None:
        want_paused = self.write_paused or len(self.queue) >= MAX_QUEUED
        if self.transport is None or want_paused == self.read_paused or self.closing:
            return
        self.read_paused = want_paused
        if want_paused:
            self.transport.pause_reading()
        else:
            self.transport.resume_reading()

    def abort_with(self, response: bytes) -> None:
        """Send this answer (it says ``connection: close``) and close."""
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()

    def _fail(self, status: int, text: str) -> None:
        """A protocol error or a limit: answer once (after the requests already complete,
        which are still owed their answers) and close."""
        if self.closing or self.transport is None:
            return
        self.closing = True
        if not self.busy and not self.staged:
            self.abort_with(_plain(status, text))
        else:  # the answers in hand go first; whoever sends the last one sends this
            self.failure = _plain(status, text)

    # -- parser callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.body = bytearray()
        self.head_bytes = 0
        self.in_head = True
        self.head_read = 0
        self.begun += 1
        self.in_request = True
        self.deadline = self.loop.time() + self.server.request_timeout

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.head_bytes += len(url)
        if self.head_bytes > MAX_HEAD:
            raise _TooLarge(414, "request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_bytes += len(name) + len(value) + 4
        if self.head_bytes > MAX_HEAD:
            raise _TooLarge(431, "request headers too large")
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.in_head = False
        if self.parser.get_method() == b"POST":
            for name, value in self.headers:
                if name == b"expect" and value.lower() == b"100-continue":
                    idle = not self.busy and not self.queue and not self.staged
                    if self.transport is not None and idle:  # else it would jump the queue
                        self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    break

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > MAX_BODY:
            raise _TooLarge(413, f"body over {MAX_BODY} bytes")

    def on_message_complete(self) -> None:
        self.in_request = False
        if self.closing:  # a request pipelined after "Connection: close" or an error
            return
        self.deadline = self.loop.time() + self.server.keep_alive
        parser = self.parser
        method = parser.get_method()
        version = parser.get_http_version()
        # HTTP/1.0 keep-alive would need a header echoed back; closing is simpler and valid.
        keep_alive = parser.should_keep_alive() and version != "1.0"
        if not self.busy and not self.queue and method in (b"GET", b"HEAD"):
            quick = self._quick(self.url, method == b"HEAD", self.headers)
            if quick is not None:  # the common case: answered in this loop iteration
                if not keep_alive:
                    self.closing = True
                self.server.stage(self, quick, keep_alive)
                return
        self.queue.append(
            _Request(
                method.decode("ascii", "replace"),
                self.url,
                self.headers,
                bytes(self.body),
                keep_alive,
                version,
            )
        )
        self._set_reading()
        if not self.busy:
            self.busy = True
            self.loop.create_task(self._drain())

    # -- answering -------------------------------------------------------------------------

    def _quick(
        self, url: bytes, head: bool, headers: list[tuple[bytes, bytes]]
    ) -> tuple[bytes, bytes] | None:
        """A cached redirect: (log record, full response); None when the ASGI app must answer."""
        path = url.partition(b"?")[0]
        if b"%" in path:
            return None
        found = self.app.quick_redirect(path.decode("latin-1"), head, headers, self.peer)
        if found is None:
            return None
        line, location = found
        return line, _LOCATION + location + b"\r\n\r\n"

    def _write(self, response: bytes, keep_alive: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if keep_alive and not self.server.stopping:
            transport.write(response)
            return
        end = response.index(b"\r\n") + 2
        transport.write(response[:end] + _CLOSE + response[end:])
        transport.close()
        self.closing = True

    async def _drain(self) -> None:
        try:
            while self.queue and not (self.transport is None or self.transport.is_closing()):
                request = self.queue.popleft()
                quick = None
                if request.quick:
                    quick = self._quick(request.url, request.head, request.headers)
                if quick is not None:
                    line, response = quick
                    try:
                        self.app.log.append(line)
                    except Exception:  # as in TrackServer._commit: no click answered unlogged
                        log.exception("click log write failed")
                        self.abort_with(_plain(503, "try again"))
                        break
                    self._write(response, request.keep_alive)
                else:
                    self._write(await self._via_asgi(request), request.keep_alive)
                self._set_reading()
        finally:
            self.busy = False
            if self.failure is not None and not self.staged:
                self.abort_with(self.failure)

    async def _via_asgi(self, request: _Request) -> bytes:
        raw_path, _, query = request.url.partition(b"?")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.version,
            "method": request.method,
            "scheme": "http",
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": request.headers,
            "client": (self.peer, 0),
            "server": self.sock,
        }
        sent = False
        status = 500
        head: list[bytes] = []
        body = bytearray()

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": request.body, "more_body": False}
            await asyncio.Event().wait()  # no disconnect notice: the app never waits for one
            return {"type": "http.disconnect"}  # pragma: no cover

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                head.extend(k + b": " + v + b"\r\n" for k, v in message.get("headers", ()))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, send)
        if request.head:
            body.clear()
        return _status_line(status) + b"".join(head) + b"\r\n" + bytes(body)


class TrackServer:
    """Listen, accept, sweep timed-out connections; ``stop()`` ends ``serve()`` gracefully."""

    def __init__(
        self,
        app: TrackApp,
        *,
        keep_alive: float = 30.0,
        request_timeout: float = 10.0,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.app = app
        self.keep_alive = keep_alive
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self.connections: set[_Connection] = set()
        self.stopping = False
        self.port = 0
        self._lines: list[bytes] = []
        self._scheduled = False
        self._replies: list[tuple[_Connection, bytes, bool]] = []
        self._stop: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop

    async def serve(
        self, host: str, port: int, *, ready: Callable[[TrackServer], None] | None = None
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await self.loop.create_server(
            lambda: _Connection(self), host, port, backlog=4096, reuse_address=True
        )
        self.port = int(server.sockets[0].getsockname()[1])
        sweeper = self.loop.create_task(self._sweep())
        if ready is not None:
            ready(self)
        try:
            await self._stop.wait()
        finally:
            self.stopping = True
            server.close()
            sweeper.cancel()
            await self._finish()
            await server.wait_closed()

    def stage(self, conn: _Connection, quick: tuple[bytes, bytes], keep_alive: bool) -> None:
        """Queue a redirect for :meth:`_commit`, which runs once this loop iteration's reads
        are parsed (or at GROUP_MAX clicks, which bounds the wait): one log write for all of
        their clicks (group commit), then the answers."""
        self._lines.append(quick[0])
        self._replies.append((conn, quick[1], keep_alive))
        conn.staged += 1
        if len(self._lines) >= GROUP_MAX:
            self._commit()
        elif not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._commit_soon)

    def _commit_soon(self) -> None:
        self._scheduled = False
        if self._lines:
            self._commit()

    def _commit(self) -> None:
        lines, replies = self._lines, self._replies
        self._lines, self._replies = [], []
        try:
            self.app.log.append(b"".join(lines))
        except Exception:  # a full disk: no click may be answered unlogged
            log.exception("click log write failed")
            for conn, _, _ in replies:
                conn.staged = 0
                conn.abort_with(_plain(503, "try again"))
            return
        for conn, response, keep_alive in replies:
            conn.staged -= 1
            conn._write(response, keep_alive)
            if conn.failure is not None and not conn.staged and not conn.busy:
                conn.abort_with(conn.failure)

    def stop(self) -> None:
        """Stop accepting, finish the requests in hand, close every connection."""
        if self._stop is not None:
            self._stop.set()

    async def _finish(self, grace: float = 10.0) -> None:
        deadline = self.loop.time() + grace
        while self.loop.time() < deadline:
            for conn in list(self.connections):
                if not conn.busy and not conn.in_request and conn.transport is not None:
                    conn.transport.close()
            if not self.connections:
                return
            await asyncio.sleep(0.02)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()

    async def _sweep(self) -> None:
        """Close connections past their deadline (slow or silent clients)."""
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            now = self.loop.time()
            for conn in list(self.connections):
                if conn.deadline < now and not conn.busy and conn.transport is not None:
                    if conn.in_request:
                        conn._fail(408, "request timed out")
                    else:
                        conn.transport.close()


def run(app: TrackApp, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM (``sociable track serve``)."""
    import uvloop

    server = TrackServer(app)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, server.stop)
        await server.serve(host, port)

    uvloop.run(main())
