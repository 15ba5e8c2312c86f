"""Fixtures for the tracking tests: a workspace, and a real redirect server on loopback."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import uvloop
from sqlalchemy import func, select

from sociable.config import TrackSettings
from sociable.store.db import Database
from sociable.store.models import Workspace
from sociable.store.models.track import Click
from sociable.track.http1 import TrackServer
from sociable.track.server import TrackApp


@pytest.fixture
def workspace_id(db: Database) -> int:
    with db.session() as session:
        ws = Workspace(slug="acme", name="Acme", timezone="UTC")
        session.add(ws)
        session.flush()
        return ws.id


@dataclass
class LiveServer:
    app: TrackApp
    url: str
    db: Database

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10, **kwargs)

    def flush(self) -> None:
        self.app.flusher.flush_now()

    def clicks(self) -> int:
        self.flush()
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Click)) or 0


def run_server(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, port


def run_http1(app: TrackApp, **options: Any) -> tuple[Callable[[], None], threading.Thread, int]:
    """``sociable track serve``'s own front end, as the command runs it (app started first).

    ``options`` go to :class:`TrackServer` (``keep_alive``, ``request_timeout``, ...)."""
    app.start()
    server = TrackServer(app, **options)
    loop = uvloop.new_event_loop()
    up = threading.Event()
    thread = threading.Thread(
        target=lambda: loop.run_until_complete(
            server.serve("127.0.0.1", 0, ready=lambda _: up.set())
        ),
        daemon=True,
    )
    thread.start()
    if not up.wait(10):
        raise RuntimeError("server did not start")

    def stop() -> None:
        loop.call_soon_threadsafe(server.stop)
        thread.join(timeout=10)
        app.stop()

    return stop, thread, server.port


@pytest.fixture(params=["http1", "uvicorn"])
def front(request: pytest.FixtureRequest) -> str:
    """Every server test runs against both front ends: ``track serve``'s own HTTP/1.1 server
    and the ASGI app under uvicorn (as ``sociable serve`` mounts it)."""
    return str(request.param)


@pytest.fixture
def make_server(db: Database, workspace_id: int, tmp_path: Path, front: str):  # type: ignore[no-untyped-def]
    stops: list[Callable[[], None]] = []

    def make(**overrides: Any) -> LiveServer:
        settings = TrackSettings(**{"flush_interval": 60.0, **overrides})
        app = TrackApp(db, settings, workspace_id=workspace_id, log_dir=tmp_path / "log")
        if front == "http1":
            stop, _, port = run_http1(app)
            stops.append(stop)
        else:
            server, thread, port = run_server(app)
            stops.append(lambda: (setattr(server, "should_exit", True), thread.join(timeout=10)))
        return LiveServer(app, f"http://127.0.0.1:{port}", db)

    yield make
    for stop in stops:
        stop()


@pytest.fixture
def live(make_server) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    yield make_server()
