"""Exactly-once under chaos: real `sociable worker` processes, killed with SIGKILL.

Shared by tests/publish/test_exactly_once.py (small) and benchmarks/publish_exactly_once.py
(full scale). The receiver counts raw requests per Idempotency-Key and de-duplicates nothing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from sociable.store import migrate
from sociable.store.db import Database, open_database
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import (
    Post,
    Publication,
    PublicationEvent,
    PubState,
    Variant,
    WorkerHeartbeat,
)
from sociable.store.secrets import SecretBox, generate_key, use_box
from tests.publish.receiver import Receiver, percent_faults

S = PubState
OPEN = (S.SCHEDULED.value, S.CLAIMED.value, S.SENDING.value, S.FAILED_RETRYABLE.value)


@dataclass
class ChaosConfig:
    publications: int = 600
    workers: int = 4
    accounts: int = 20
    fault_percent: float = 5.0
    kill_every: float | None = 1.0  # seconds between SIGKILLs; None = no chaos
    lease_seconds: float = 3.0
    http_timeout: float = 1.0
    hang_seconds: float = 1.5
    poll: float = 0.2
    batch_size: int = 32
    concurrency: int = 8
    due_per_second: float | None = None  # None: all due at once
    settle_timeout: float = 120.0
    seed: int = 7


@dataclass
class ChaosResult:
    config: ChaosConfig
    states: Counter[str]
    applied: Counter[str]
    raw: Counter[str]
    by_key: dict[str, tuple[int, str, str | None]]  # key -> (id, state, reason)
    lags: list[float]
    started: float
    finished: float
    first_published: datetime | None
    last_published: datetime | None
    kills: int
    settled: bool
    problems: list[str] = field(default_factory=list)

    @property
    def published(self) -> int:
        return self.states.get(S.PUBLISHED.value, 0)

    @property
    def throughput(self) -> float:
        """Publications per second from the first due time to the last one published."""
        if not self.last_published or not self.published:
            return 0.0
        span = (self.last_published - self.due_start).total_seconds()
        return self.published / max(span, 1e-6)

    due_start: datetime = field(default_factory=lambda: datetime.now(UTC))


def new_schema(admin_url: str) -> tuple[str, str]:
    """A fresh PostgreSQL schema, migrated; returns (schema, url that uses it)."""
    schema = f"chaos_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = f"{admin_url}?options=-csearch_path%3D{schema}"
    db = open_database(url)
    migrate.upgrade(db)
    db.dispose()
    return schema, url


def drop_schema(admin_url: str, schema: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def seed(db: Database, receiver: Receiver, cfg: ChaosConfig, start: datetime) -> None:
    """``cfg.publications`` posts, one webhook variant each, spread over ``cfg.accounts``."""
    n = cfg.publications
    with db.session() as s:
        ws = Workspace(slug="chaos", name="Chaos", timezone="UTC")
        s.add(ws)
        s.flush()
        accounts = []
        for i in range(cfg.accounts):
            acc = Account(
                workspace_id=ws.id,
                network="webhook",
                handle=f"hook-{i}",
                credentials={"secret": receiver.secret},
                settings={"url": receiver.url},
            )
            s.add(acc)
            accounts.append(acc)
        s.flush()
        post_ids = s.scalars(
            insert(Post).returning(Post.id),
            [
                {
                    "workspace_id": ws.id,
                    "source_text": f"chaos post {i}",
                    "approval": "approved",
                    "media": [],
                    "labels": [],
                    "evergreen": False,
                    "evergreen_count": 0,
                    "created_at": start,
                    "updated_at": start,
                }
                for i in range(n)
            ],
        ).all()
        account_of = [accounts[i % len(accounts)].id for i in range(n)]
        variant_ids = s.scalars(
            insert(Variant).returning(Variant.id),
            [
                {
                    "post_id": pid,
                    "account_id": account_of[i],
                    "text": f"chaos post {i}",
                    "media": [],
                    "thread": [],
                    "created_at": start,
                    "updated_at": start,
                }
                for i, pid in enumerate(post_ids)
            ],
        ).all()
        rate = cfg.due_per_second

        def due(i: int) -> datetime:
            return start if rate is None else start + timedelta(seconds=i / rate)

        pub_ids = s.scalars(
            insert(Publication).returning(Publication.id),
            [
                {
                    "variant_id": vid,
                    "workspace_id": ws.id,
                    "account_id": account_of[i],
                    "state": S.SCHEDULED.value,
                    "due_at": due(i),
                    "next_attempt_at": due(i),
                    "idempotency_key": uuid.uuid4().hex,
                    "attempts": 0,
                    "checks": 0,
                    "created_at": start,
                    "updated_at": start,
                }
                for i, vid in enumerate(variant_ids)
            ],
        ).all()
        s.execute(
            insert(PublicationEvent),
            [{"publication_id": p, "at": start, "to_state": S.SCHEDULED.value} for p in pub_ids],
        )


class Fleet:
    """`sociable worker` processes (``python -m sociable.cli.app worker``), killed and replaced."""

    def __init__(self, url: str, key: str, cfg: ChaosConfig, workdir: str) -> None:
        self.cfg = cfg
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIABLE_")} | {
            "SOCIABLE_DATABASE_URL": url,
            "SOCIABLE_SECRET_KEY": key,
            "SOCIABLE_PUBLISH__ALLOW_PRIVATE": "true",
            "SOCIABLE_PUBLISH__LEASE_SECONDS": str(cfg.lease_seconds),
            "SOCIABLE_PUBLISH__HTTP_TIMEOUT_SECONDS": str(cfg.http_timeout),
            "SOCIABLE_PUBLISH__BATCH_SIZE": str(cfg.batch_size),
            "SOCIABLE_PUBLISH__CONCURRENCY": str(cfg.concurrency),
            "SOCIABLE_PUBLISH__BACKOFF_BASE_SECONDS": "1",
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.started = 0

    def start_one(self) -> str:
        self.started += 1
        name = f"chaos-{self.started}"
        args = ["worker", "--id", name, "--poll", str(self.cfg.poll)]
        with open(os.path.join(self.workdir, f"{name}.log"), "wb") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "sociable.cli.app", *args],
                env=self.env,
                cwd=self.workdir,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        return name

    def kill_one(self, rng: random.Random, running: set[str]) -> str | None:
        """SIGKILL a random running worker, but never the last one that is running.

        A replacement needs seconds of imports on a busy machine before it polls; killing the
        last running worker would only measure that start-up time.
        """
        victims = sorted(set(self.procs) & running)
        if len(victims) < 2:
            return None
        name = rng.choice(victims)
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return name

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


def _running(db: Database) -> set[str]:
    """Workers that have started polling (a starting Python process is not yet one)."""
    with db.session() as s:
        return set(
            s.scalars(select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.stopped_at.is_(None)))
        )


def _open_count(db: Database) -> int:
    with db.session() as s:
        busy = s.scalar(
            select(func.count()).where(
                Publication.state.in_(OPEN)
                | (
                    (Publication.state == S.UNKNOWN.value)
                    & Publication.next_attempt_at.is_not(None)
                )
            )
        )
    return int(busy or 0)


def run(admin_url: str, cfg: ChaosConfig) -> ChaosResult:
    """Seed, start the fleet, kill workers until everything settles, then check."""
    rng = random.Random(cfg.seed)
    key = generate_key().decode()
    use_box(SecretBox(key))
    receiver = Receiver(
        fault=percent_faults(cfg.fault_percent, modes=("fail", "hang", "limit")),
        hang_seconds=cfg.hang_seconds,
    ).start()
    schema, url = new_schema(admin_url)
    db = open_database(url)
    workdir = tempfile.mkdtemp(prefix="chaos-")
    fleet = Fleet(url, key, cfg, workdir)
    kills = 0
    settled = False
    try:
        # Workers first, and only then the posts: start-up (seconds of imports on a busy
        # machine) is not part of the due-to-sent lag or the throughput.
        for _ in range(cfg.workers):
            fleet.start_one()
        ready_by = time.monotonic() + 300
        while len(set(fleet.procs) & _running(db)) < cfg.workers:
            if time.monotonic() > ready_by:
                raise RuntimeError(f"workers did not start; logs in {workdir}")
            time.sleep(0.25)
        due_start = datetime.now(UTC) + timedelta(seconds=1)
        seed(db, receiver, cfg, due_start)
        started = time.monotonic()
        next_kill = time.monotonic() + (cfg.kill_every or 0)
        deadline = time.monotonic() + cfg.settle_timeout
        while time.monotonic() < deadline:
            time.sleep(0.25)
            if cfg.kill_every and time.monotonic() >= next_kill:
                if fleet.kill_one(rng, _running(db)):
                    kills += 1
                    fleet.start_one()
                next_kill += cfg.kill_every
            if datetime.now(UTC) > due_start and _open_count(db) == 0:
                settled = True
                break
        finished = time.monotonic()
        fleet.stop()
        result = collect(db, receiver, cfg, started, finished, kills, settled)
        result.due_start = due_start
        return result
    finally:
        fleet.stop()
        receiver.stop()
        db.dispose()
        drop_schema(admin_url, schema)


def collect(
    db: Database,
    receiver: Receiver,
    cfg: ChaosConfig,
    started: float,
    finished: float,
    kills: int,
    settled: bool,
) -> ChaosResult:
    with db.session() as s:
        rows = s.execute(
            select(
                Publication.id,
                Publication.idempotency_key,
                Publication.state,
                Publication.reason,
                Publication.due_at,
                Publication.published_at,
            )
        ).all()
        chains = s.execute(
            select(
                PublicationEvent.publication_id,
                PublicationEvent.from_state,
                PublicationEvent.to_state,
            ).order_by(PublicationEvent.publication_id, PublicationEvent.id)
        ).all()
    by_key = {r.idempotency_key: (r.id, r.state, r.reason) for r in rows}
    published_at = [r.published_at for r in rows if r.published_at is not None]
    result = ChaosResult(
        config=cfg,
        states=Counter(r.state for r in rows),
        applied=receiver.applied(),
        raw=receiver.raw(),
        by_key=by_key,
        lags=[
            (r.published_at - r.due_at).total_seconds()
            for r in rows
            if r.state == S.PUBLISHED.value and r.published_at is not None
        ],
        started=started,
        finished=finished,
        first_published=min(published_at) if published_at else None,
        last_published=max(published_at) if published_at else None,
        kills=kills,
        settled=settled,
    )
    result.problems = verify(result, chains)
    return result


def verify(result: ChaosResult, chains: Sequence[Any]) -> list[str]:
    """Every reason the run was not exactly once (empty when it was)."""
    problems = []
    if not result.settled:
        problems.append(f"did not settle: {dict(result.states)}")
    for key, count in result.applied.items():
        if count > 1:
            problems.append(f"DUPLICATE: key {key} applied {count} times")
        if key not in result.by_key:
            problems.append(f"request with a key we never issued: {key}")
    for key, (pub_id, state, reason) in result.by_key.items():
        applied = result.applied.get(key, 0)
        if state == S.PUBLISHED.value and applied != 1:
            problems.append(f"publication {pub_id} published but received {applied} times")
        elif state in (S.FAILED.value, S.UNKNOWN.value, S.MISSED.value):
            if not reason:
                problems.append(f"publication {pub_id} is {state} without a reason")
            if state == S.FAILED.value and applied:
                problems.append(f"publication {pub_id} failed but the receiver acted on it")
        elif state != S.PUBLISHED.value:
            problems.append(f"LOST: publication {pub_id} left in {state}")
    last: dict[int, str] = {}
    for pub_id, from_state, to_state in chains:
        if last.get(pub_id) != from_state:
            problems.append(f"publication {pub_id}: event chain broken at {from_state}")
        last[pub_id] = to_state
    for key, (pub_id, state, _reason) in result.by_key.items():
        if last.get(pub_id) != state:
            problems.append(f"publication {pub_id}: last event {last.get(pub_id)} != {state}")
    return problems[:50]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]
