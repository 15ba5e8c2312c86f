"""A real HTTP server on loopback for the crawler tests, and checks that it behaves.

Routes map a path to a handler result: (status, headers, body) or a callable returning one
(for slow or counting responses). Every request is recorded so tests can see what the
crawler asked for and with which headers.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

Response = tuple[int, dict[str, str], bytes]
Route = Response | Callable[["Request"], Response]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class Site:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    base: str = ""

    def html(self, path: str, body: str, status: int = 200, **headers: str) -> None:
        self.routes[path] = (
            status,
            {"content-type": "text/html; charset=utf-8", **headers},
            body.encode(),
        )

    def add(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self, method: str = "GET") -> list[str]:
        return [r.path for r in self.requests if r.method == method]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self, method: str) -> None:
            req = Request(
                method, self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
            )
            site.requests.append(req)
            route = site.routes.get(self.path)
            if route is None:
                status, headers, body = (
                    404,
                    {"content-type": "text/html"},
                    b"<html><body>not found</body></html>",
                )
            elif callable(route):
                status, headers, body = route(req)
            else:
                status, headers, body = route
            headers = dict(headers)
            if headers.pop("x-gzip", None) and "gzip" in req.headers.get("accept-encoding", ""):
                body = gzip.compress(body)
                headers["content-encoding"] = "gzip"
            rng = req.headers.get("range", "")
            if rng.startswith("bytes=0-") and status == 200 and headers.pop("x-ranges", None):
                end = min(int(rng[8:]), len(body) - 1)
                headers["content-range"] = f"bytes 0-{end}/{len(body)}"
                full = len(body)
                body = body[: end + 1]
                status = 206
                assert full >= len(body)
            self.send_response(status)
            headers.setdefault("content-length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if method != "HEAD":
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

    return Handler


@contextlib.contextmanager
def serve() -> Iterator[Site]:
    """A Site on a fresh loopback port, for as long as the block runs."""
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(name="site")
def site_fixture() -> Iterator[Site]:
    with serve() as site:
        yield site


def test_server_serves_routes_and_404(site: Site) -> None:
    site.html("/", "<html>hi</html>")
    assert httpx.get(site.url("/")).text == "<html>hi</html>"
    assert httpx.get(site.url("/nope")).status_code == 404
    assert site.paths() == ["/", "/nope"]
