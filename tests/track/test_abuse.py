"""One client hammering the server with good and bad requests: no 5xx, right counts."""

from __future__ import annotations

import random
import threading

import httpx
import pytest

from sociable.store.db import Database
from sociable.track.links import create_link
from sociable.track.server import LIMITER_MAX, NotFoundLimiter
from tests.track.conftest import LiveServer

HOSTILE_HEADERS = [
    {"referer": "javascript:alert(document.cookie)"},
    {"referer": "https://" + "a" * 5000},
    {"user-agent": "x" * 8000},
    {"user-agent": "Mozilla/5.0 \u00ff\u00fe".encode("latin-1"), "referer": "http://[::1"},
    {"cf-ipcountry": "'; DROP TABLE track_click; --"},
    {"x-forwarded-for": "999.999.999.999, <script>"},
    {},
]
BAD_PATHS = ["/" + "z" * 500, "/%ff%fe", "/.env", "/wp-login.php", "/a/b/c", "/c0de!", "/%0d%0aX:1"]


@pytest.mark.slow
def test_flood_from_one_client(make_server, workspace_id: int) -> None:  # type: ignore[no-untyped-def]
    live: LiveServer = make_server(not_found_per_minute=50, client_ip_header="X-Forwarded-For")
    with live.db.session() as session:
        code = create_link(
            session, "https://shop.example.com/", workspace_id=workspace_id, network="x"
        ).code
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        mine = []
        with live.client() as client:
            for i in range(250):
                headers = rnd.choice(HOSTILE_HEADERS)
                path = f"/{code}" if i % 2 == 0 else rnd.choice([*BAD_PATHS, f"/guess{i}"])
                mine.append(client.get(path, headers=headers).status_code)
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 2000
    assert not [s for s in statuses if s >= 500]
    assert set(statuses) <= {302, 404, 429}
    assert statuses.count(302) == 1000  # every good request redirected, none rate-limited
    assert live.clicks() == 1000  # and counted once each, bad ones not at all
    with live.client() as client:
        assert client.get("/healthz").status_code == 200


def test_backpressure_waits_for_the_flusher(make_server, workspace_id: int) -> None:  # type: ignore[no-untyped-def]
    live: LiveServer = make_server(max_backlog_bytes=2000, flush_interval=3600)
    with live.db.session() as session:
        code = create_link(session, "https://e.com/", workspace_id=workspace_id).code
    with live.client() as client:
        got = [client.get(f"/{code}").status_code for _ in range(150)]
    assert got == [302] * 150
    # The flusher never sleeps its hour: the backlog woke it, so most clicks are already in.
    assert live.app.flusher.pending <= 4000
    assert live.clicks() == 150


def test_limiter_memory_is_bounded() -> None:
    limiter = NotFoundLimiter(per_minute=3)
    for i in range(LIMITER_MAX + 500):
        limiter.hit(f"client{i}".encode(), 1)
    assert len(limiter._counts) <= LIMITER_MAX
    for _ in range(3):
        limiter.hit(b"me", 2)
    assert limiter.blocked(b"me", 2) and not limiter.blocked(b"me", 3)


def test_random_bytes_in_path_never_5xx(live: LiveServer, db: Database) -> None:
    rnd = random.Random(7)
    with live.client() as client:
        for _ in range(200):
            raw = "".join(
                rnd.choice("abcXYZ019-_.%/~!$&'()*+,;=:@") for _ in range(rnd.randint(1, 90))
            )
            try:
                r = client.get("/" + raw)
            except httpx.InvalidURL:
                continue
            assert r.status_code in (404, 405, 429), raw
            assert "location" not in r.headers
