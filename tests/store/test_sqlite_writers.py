"""SQLite under concurrent writers: writers queue for the one write lock instead of failing,
readers never wait for them, and the database files are private (mode 0600)."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

from sqlalchemy import select, update

from sociable.store.base import Base
from sociable.store.db import Database, open_database
from sociable.store.models import Workspace

WRITERS = 6


def _sqlite(tmp_path: Path) -> Database:
    db = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    Base.metadata.create_all(db.engine)
    with db.session() as s:
        s.add(Workspace(slug="w", name="0"))
    return db


def _count(db: Database) -> int:
    with db.read_session() as s:
        return int(s.scalars(select(Workspace.name)).one())


def test_read_then_write_transactions_queue_instead_of_failing(tmp_path: Path) -> None:
    """Each writer reads the counter, waits a moment (the others try to read meanwhile),
    then writes it plus one. Deferred transactions read snapshots that another writer makes
    stale, and fail with "database is locked" or lose updates; writers that take the lock
    at BEGIN run one after the other and every increment lands."""
    db = _sqlite(tmp_path)
    errors: list[Exception] = []

    def bump() -> None:
        try:
            with db.session() as s:
                value = int(s.scalars(select(Workspace.name)).one())
                time.sleep(0.05)
                s.execute(update(Workspace).values(name=str(value + 1)))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert _count(db) == WRITERS
    db.dispose()


def test_a_reader_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    holding, release = threading.Event(), threading.Event()

    def write() -> None:
        with db.session() as s:
            s.execute(update(Workspace).values(name="5"))
            holding.set()
            release.wait(timeout=30)

    writer = threading.Thread(target=write)
    writer.start()
    assert holding.wait(timeout=10)
    try:
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(_count(db)))
        reader.start()
        reader.join(timeout=5)  # far below the busy timeout a waiting reader would sit out
        assert seen == [0]  # the last committed value, read while the writer holds the lock
    finally:
        release.set()
        writer.join(timeout=10)
    assert _count(db) == 5
    db.dispose()


def test_database_files_are_created_private(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    for name in ("w.db", "w.db-wal", "w.db-shm"):
        path = tmp_path / name
        assert path.exists(), name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    db.dispose()
