"""API requests per second under mixed read/write load, beside a trivial FastAPI app.

Run:  .venv/bin/python benchmarks/api_mixed_load.py [--duration 10] [--clients 16]
                                                   [--backends sqlite,postgresql]

What it does, all on loopback, in one run (issue #11 part 1):
1. per backend, a fresh workspace (`sociable init`, SQLite file or a fresh PostgreSQL schema),
   an owner and an API token, and a real `sociable serve` process (publisher thread on);
2. half the clients read (GET /api/v1/posts and /api/v1/links in turn), half create short
   links (POST /api/v1/links), all with the same token, as fast as they get answers, for
   ``--duration`` seconds; a probe fetches /healthz every 50 ms meanwhile;
3. the anchor: the same load against a trivial FastAPI app on uvicorn (one process, a GET
   answering a fixed list and a POST answering 201 with its body; no database), so the
   ratio says what our database work and middleware cost on this machine right now.
Prints requests/s, the status counts (any 5xx is a failure), p50/p99 latency and the
/healthz p50/p99 during the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ANCHOR = """
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
ROWS = [{"id": i, "code": f"c{i}", "url": f"https://shop.example/{i}"} for i in range(20)]


class LinkIn(BaseModel):
    url: str
    campaign: str | None = None
    network: str | None = None


@app.get("/api/v1/posts")
@app.get("/api/v1/links")
def rows() -> list[dict[str, object]]:
    return ROWS


@app.post("/api/v1/links", status_code=201)
def create(body: LinkIn) -> dict[str, object]:
    return {"id": 1, "code": "c1", **body.model_dump()}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stdout.read().decode() if proc.stdout else ''}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Result:
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def load(url: str, token: str, clients: int, duration: float) -> Result:
    result = Result()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients + 1)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=30, limits=limits
    ) as client:
        end = time.perf_counter() + duration

        async def reader(n: int) -> None:
            i = n
            while time.perf_counter() < end:
                path = "/api/v1/posts" if i % 2 else "/api/v1/links"
                await one(client.get(path))
                i += 1

        async def writer(n: int) -> None:
            i = 0
            while time.perf_counter() < end:
                body = {"url": f"https://shop.example/{n}/{i}", "campaign": "b", "network": "x"}
                await one(client.post("/api/v1/links", json=body))
                i += 1

        async def one(request: object) -> None:
            start = time.perf_counter()
            try:
                response = await request  # type: ignore[misc]
                result.statuses[response.status_code] += 1
                result.latencies.append(time.perf_counter() - start)
            except httpx.HTTPError as exc:
                result.errors[type(exc).__name__] += 1

        async def probe() -> None:
            async with httpx.AsyncClient(base_url=url, timeout=30) as c:
                while time.perf_counter() < end:
                    start = time.perf_counter()
                    try:
                        await c.get("/healthz")
                    except httpx.HTTPError as exc:  # counted as 30 s
                        result.errors[f"healthz {type(exc).__name__}"] += 1
                    result.health.append(time.perf_counter() - start)
                    await asyncio.sleep(0.05)

        began = time.perf_counter()
        tasks = [reader(n) for n in range(clients // 2)]
        tasks += [writer(n) for n in range(clients - clients // 2)]
        await asyncio.gather(*tasks, probe())
        result.seconds = time.perf_counter() - began
    return result


def setup_sociable(folder: Path, backend: str) -> tuple[list[str], str, str | None]:
    """(CLI options, token, PostgreSQL schema to drop) for a fresh workspace."""
    from sociable.store.db import open_database
    from sociable.store.models import Membership
    from sociable.store.secrets import SecretBox, load_key, use_box
    from sociable.web.api.tokens import issue_token

    schema = None
    if backend == "postgresql":
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{folder / 'shop' / 'sociable.db'}"
    sociable = str(Path(sys.executable).parent / "sociable")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIABLE_")}
    options = ["--database-url", url]
    run = {"check": True, "cwd": folder, "env": env, "stdout": subprocess.DEVNULL}
    subprocess.run([sociable, *options, "init", "shop"], **run)  # type: ignore[call-overload]
    options = ["--config", str(folder / "shop" / "sociable.toml"), *options]
    subprocess.run(
        [sociable, *options, "users", "add", "owner@shop.example", "--role", "owner"],
        **{**run, "env": {**env, "SOCIABLE_PASSWORD": "benchmark password"}},
    )
    use_box(SecretBox(load_key(None, folder / "shop" / ".sociable.key")))
    db = open_database(url)
    with db.session() as s:
        member = s.scalars(select(Membership)).one()
        token = issue_token(s, member.user_id, member.workspace_id, "bench").token
    db.dispose()
    return options, token, schema


def drop_schema(schema: str | None) -> None:
    if schema is None:
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def report(name: str, r: Result) -> float:
    rate = r.answered / r.seconds if r.seconds else 0.0
    fivexx = sum(n for s, n in r.statuses.items() if s >= 500)
    print(
        f"{name:<22} {rate:8.1f} req/s  answered {r.answered:>6}  "
        f"statuses {dict(sorted(r.statuses.items()))}  5xx {fivexx}  "
        f"errors {dict(r.errors) or 0}  p50 {pct(r.latencies, 0.5) * 1000:.1f} ms  "
        f"p99 {pct(r.latencies, 0.99) * 1000:.1f} ms  "
        f"/healthz p50 {pct(r.health, 0.5) * 1000:.1f} ms p99 {pct(r.health, 0.99) * 1000:.1f} ms "
        f"(n={len(r.health)})",
        flush=True,
    )
    return rate


def run_anchor(clients: int, duration: float) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-anchor-") as tmp:
        (Path(tmp) / "anchor_app.py").write_text(ANCHOR)
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "anchor_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_up(url, proc)
            result = asyncio.run(load(url, "anchor", clients, duration))
        finally:
            stop(proc)
    return report("anchor: bare FastAPI", result)


def run_sociable(backend: str, clients: int, duration: float) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        options, token, schema = setup_sociable(Path(tmp), backend)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIABLE_")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "sociable.cli.app", *options, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_up(url, proc)
            result = asyncio.run(load(url, token, clients, duration))
        finally:
            stop(proc)
            drop_schema(schema)
    return report(f"sociable ({backend})", result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"{args.clients} clients (half reading, half creating links), {args.duration:g} s each")
    with open("/proc/loadavg") as f:
        print(f"load average before: {f.read().split()[0]}")
    anchor = run_anchor(args.clients, args.duration)
    for backend in args.backends.split(","):
        ours = run_sociable(backend, args.clients, args.duration)
        print(f"  ratio sociable ({backend}) / anchor: {ours / anchor:.3f}" if anchor else "")


if __name__ == "__main__":
    main()
