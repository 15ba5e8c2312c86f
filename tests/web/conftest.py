"""A real uvicorn server on a loopback port over a fresh database, with three users."""

from __future__ import annotations

import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from sociable.store.db import Database
from sociable.store.models import Role, Workspace
from sociable.store.secrets import SecretBox
from sociable.web.api.tokens import issue_token
from sociable.web.app import create_app
from sociable.workspaces import add_member

PASSWORD = "correct horse battery"


@dataclass
class WebApp:
    base: str
    db: Database
    workspace_id: int
    other_workspace_id: int
    users: dict[str, int]
    tokens: dict[str, str]
    app: FastAPI
    media_dir: Path | None = None

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, follow_redirects=False, timeout=10)

    def as_token(self, role: str) -> httpx.Client:
        c = self.client()
        c.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return c

    def login(self, email: str, password: str = PASSWORD) -> httpx.Client:
        c = self.client()
        csrf = csrf_from(c.get("/login").text)
        r = c.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        c.headers["X-CSRF-Token"] = csrf_from(c.get("/").text)
        return c


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_web(
    db: Database, *, secure_cookies: bool | None = None, **uvicorn_options: Any
) -> Iterator[WebApp]:
    """Seed a workspace with an owner, an editor and a viewer, and serve it on loopback.

    ``uvicorn_options`` go to uvicorn's Config (e.g. the proxy options ``sociable serve`` passes).
    """
    with db.session() as s:
        ws = Workspace(slug="acme", name="Acme", timezone="Europe/Paris")
        other = Workspace(slug="other", name="Other brand")
        s.add_all([ws, other])
        s.flush()
        users, tokens = {}, {}
        for role in Role:
            user = add_member(s, ws, f"{role.value}@acme.example", PASSWORD, role)
            users[role.value] = user.id
            tokens[role.value] = issue_token(s, user.id, ws.id, "test").token
        add_member(s, other, "owner@acme.example", PASSWORD, Role.VIEWER)
        ws_id, other_id = ws.id, other.id
    media_dir = Path(tempfile.mkdtemp(prefix="sociable-media-"))
    app = create_app(db, b"k" * 44, media_dir=media_dir, secure_cookies=secure_cookies)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", **uvicorn_options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield WebApp(f"http://127.0.0.1:{port}", db, ws_id, other_id, users, tokens, app, media_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def web(db: Database, secret_box: SecretBox) -> Iterator[WebApp]:
    yield from start_web(db)
