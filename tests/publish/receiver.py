"""A loopback webhook receiver that records every request and misbehaves on purpose.

It de-duplicates nothing: every request is logged with its Idempotency-Key, whether its
signature verified, and what the receiver did (``ok``, ``fail`` = HTTP 500, ``limit`` =
HTTP 429 with Retry-After, ``hang`` = took the request, then answered after the client gave
up). ``applied`` is what a real receiver would have acted on: ``ok`` and ``hang``.
Used by the webhook tests, the exactly-once test and benchmarks/publish_exactly_once.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sociable.publish.connectors.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

Fault = Callable[[str, int], str]  # (key, how many times seen before) -> ok|fail|limit|hang


def no_faults(_key: str, _seen: int) -> str:
    return "ok"


def percent_faults(percent: float, *, modes: tuple[str, ...] = ("fail", "hang")) -> Fault:
    """A fixed ``percent`` of keys (by hash) misbehave on their first request only."""

    def fault(key: str, seen: int) -> str:
        digest = hashlib.sha256(key.encode()).digest()
        if seen == 0 and int.from_bytes(digest[:4], "big") % 10000 < percent * 100:
            return modes[digest[4] % len(modes)]
        return "ok"

    return fault


@dataclass
class Hit:
    key: str
    mode: str
    signed: bool
    at: float
    body: dict[str, Any]


@dataclass
class Receiver:
    secret: str = "s3cret"
    fault: Fault = no_faults
    hang_seconds: float = 3.0
    hits: list[Hit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seen: Counter[str] = field(default_factory=Counter)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def applied(self) -> Counter[str]:
        """Requests per key that the receiver acted on (what must never exceed one)."""
        with self._lock:
            return Counter(h.key for h in self.hits if h.mode in ("ok", "hang"))

    def raw(self) -> Counter[str]:
        with self._lock:
            return Counter(h.key for h in self.hits)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        key = handler.headers.get("Idempotency-Key", "")
        signed = verify(
            self.secret,
            body,
            handler.headers.get(TIMESTAMP_HEADER, ""),
            handler.headers.get(SIGNATURE_HEADER, ""),
        )
        with self._lock:
            seen = self._seen[key]
            self._seen[key] += 1
            mode = self.fault(key, seen) if signed else "unsigned"
            try:
                data = json.loads(body)
            except ValueError:
                data = {}
            self.hits.append(Hit(key, mode, signed, time.time(), data))
        if mode == "hang":
            time.sleep(self.hang_seconds)
        status, extra = {
            "ok": (200, {}),
            "hang": (200, {}),
            "fail": (500, {}),
            "limit": (429, {"Retry-After": "1"}),
            "unsigned": (401, {}),
        }[mode]
        reply = json.dumps({"id": f"r-{key}", "url": f"https://example.test/{key}"}).encode()
        try:
            handler.send_response(status)
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(reply)))
            handler.end_headers()
            handler.wfile.write(reply)
        except OSError:
            pass  # the client gave up (hang): that is the point

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 512  # the default backlog of 5 drops bursts of connections

            def handle_error(self, request: Any, client_address: Any) -> None:
                return  # a SIGKILLed worker resets its connections: expected here

        server = Server(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
