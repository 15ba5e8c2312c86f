"""Concurrent readers and writers against a real ``sociable serve`` process, on SQLite and on
PostgreSQL: every request answered without a 5xx, ``/healthz`` and the short links quick
while the load runs, and the server still stopping on SIGTERM afterwards.

Issue #11 part 1: blocking database calls on the event loop, and ``last_used_at`` written in
every token request's own transaction, stalled the whole process (the same token used by a
reader and a writer at the same moment hung it for good on PostgreSQL; on SQLite a burst got
``database is locked``). Everything here is bounded: 8 clients x 10 requests, client
timeouts, so a stall fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from sociable.store.db import open_database
from sociable.store.models import Membership
from sociable.store.secrets import SecretBox, load_key, use_box
from sociable.web.api.tokens import issue_token
from tests.e2e.serve import start_serve

READERS = WRITERS = 4
REQUESTS = 10
CLIENT_TIMEOUT = 20.0
# The issue asks for /healthz under 100 ms during the load. It is an in-memory answer, so on
# a healthy event loop it takes about a millisecond; a loop blocked by a database call takes
# seconds. The bound is checked on the median and the 90th percentile of the probes (a
# shared 2-core test machine may deschedule the process for a moment), with a generous cap
# of one second on the slowest probe.
HEALTHZ_BOUND = 0.100
HEALTHZ_CAP = 1.0


@dataclass
class Served:
    url: str
    token: str
    proc: subprocess.Popen[bytes]


@pytest.fixture
def served(  # type: ignore[no-untyped-def]
    cli, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    """`sociable init` (the default SQLite file, or the fresh PostgreSQL schema), an owner
    with an API token, and `sociable serve` on a free loopback port."""
    monkeypatch.chdir(tmp_path)
    if database_url.startswith("sqlite"):
        url, where = f"sqlite:///{tmp_path / 'shop' / 'sociable.db'}", []
    else:
        url, where = database_url, ["--database-url", database_url]
    assert cli(*where, "init", "shop", "--name", "Load Shop").code == 0
    base = ["--config", str(tmp_path / "shop" / "sociable.toml"), *where]
    monkeypatch.setenv("SOCIABLE_PASSWORD", "load test password")
    assert cli(*base, "users", "add", "owner@shop.example", "--role", "owner").code == 0
    use_box(SecretBox(load_key(None, tmp_path / "shop" / ".sociable.key")))
    db = open_database(url)
    with db.session() as s:
        member = s.scalars(select(Membership)).one()
        token = issue_token(s, member.user_id, member.workspace_id, "load").token
    db.dispose()

    proc, address = start_serve(base, tmp_path / "serve.log", timeout=60)
    try:
        yield Served(address, token, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Tally:
    statuses: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int | None, failure: str | None = None) -> None:
        with self.lock:
            if status is not None:
                self.statuses.append(status)
            if failure is not None:
                self.failures.append(failure)


def _client(served: Served) -> httpx.Client:
    return httpx.Client(
        base_url=served.url,
        timeout=CLIENT_TIMEOUT,
        headers={"Authorization": f"Bearer {served.token}"},
    )


def _reader(served: Served, tally: Tally) -> None:
    with _client(served) as c:
        for i in range(REQUESTS):
            path = "/api/v1/posts" if i % 2 == 0 else "/api/v1/links"
            try:
                r = c.get(path)
                tally.add(r.status_code, None if r.status_code == 200 else f"GET {path}: {r.text}")
            except httpx.HTTPError as exc:
                tally.add(None, f"GET {path}: {type(exc).__name__} {exc}")


def _writer(served: Served, tally: Tally, n: int, codes: list[str]) -> None:
    with _client(served) as c:
        for i in range(REQUESTS):
            body = {"url": f"https://shop.example/p/{n}/{i}", "campaign": "load", "network": "x"}
            try:
                r = c.post("/api/v1/links", json=body)
                tally.add(r.status_code, None if r.status_code == 201 else f"POST: {r.text}")
                if r.status_code == 201:
                    codes.append(r.json()["code"])
            except httpx.HTTPError as exc:
                tally.add(None, f"POST /api/v1/links: {type(exc).__name__} {exc}")


# /healthz (no database) and a short link, every 50 ms until stdin closes; the /healthz
# times as JSON. A process of its own, so the load's client threads in the test process do
# not slow down its own measurement (they share one GIL).
PROBE = """
import json, sys, threading, time
import httpx
url, code, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
times, errors = [], []
with httpx.Client(base_url=url, timeout=timeout) as c:
    c.get("/healthz")
    print("ready", flush=True)
    while not done.is_set():
        start = time.perf_counter()
        try:
            r = c.get("/healthz")
            times.append(time.perf_counter() - start if r.status_code == 200 else timeout)
            r = c.get("/l/" + code)
            if r.status_code != 302:
                errors.append(f"/l/{code}: {r.status_code}")
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__} {exc}")
            times.append(timeout)
        done.wait(0.05)
print(json.dumps({"times": times, "errors": errors}))
"""


def _start_probe(served: Served, code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PROBE, served.url, code, str(CLIENT_TIMEOUT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_mixed_load_is_answered_and_health_stays_quick(served: Served) -> None:
    with _client(served) as c:  # a short link for the probe to follow during the load
        first = c.post("/api/v1/links", json={"url": "https://shop.example/"}, timeout=10)
        assert first.status_code == 201, first.text
    tally = Tally()
    codes: list[str] = []
    probe = _start_probe(served, first.json()["code"])
    assert probe.stdout is not None and probe.stdout.readline() == "ready\n"
    time.sleep(0.3)  # a few probes before the load, too
    clients = [threading.Thread(target=_reader, args=(served, tally)) for _ in range(READERS)]
    clients += [
        threading.Thread(target=_writer, args=(served, tally, n, codes)) for n in range(WRITERS)
    ]
    for t in clients:
        t.start()
    for t in clients:
        t.join(timeout=REQUESTS * CLIENT_TIMEOUT + 10)
    out, _ = probe.communicate("", timeout=CLIENT_TIMEOUT + 10)
    probed = json.loads(out)

    assert tally.failures == []
    assert len(tally.statuses) == (READERS + WRITERS) * REQUESTS
    assert len(set(codes)) == WRITERS * REQUESTS  # every link created, none twice

    assert probed["errors"] == []
    times = sorted(probed["times"])
    assert len(times) > 5, "the probe hardly ran"
    p90 = times[int(0.9 * (len(times) - 1))]
    assert statistics.median(times) < HEALTHZ_BOUND, times
    assert p90 < HEALTHZ_BOUND, times
    assert times[-1] < HEALTHZ_CAP, times

    served.proc.send_signal(signal.SIGTERM)  # and it still stops when asked
    served.proc.wait(timeout=30)
