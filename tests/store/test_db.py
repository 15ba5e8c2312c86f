"""Engines: URLs, SQLite pragmas, UTC timestamps on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from sociable.errors import DatabaseError
from sociable.store.db import Database, normalise_url, open_database
from sociable.store.models import Membership, Workspace


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgres://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "not a database URL"),
        ("mysql://root@localhost/x", "unsupported database 'mysql'"),
    ],
)
def test_bad_urls_are_clear(url: str, message: str) -> None:
    with pytest.raises(DatabaseError, match=message):
        open_database(url)


def test_unreachable_server_is_clear() -> None:
    with pytest.raises(DatabaseError, match="cannot open database"):
        open_database("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Membership(workspace_id=999, user_id=999, role="owner"))


def test_role_is_checked(db: Database) -> None:
    with db.session() as s:
        ws = Workspace(slug="w", name="W")
        s.add(ws)
    with pytest.raises(IntegrityError), db.session() as s:
        from sociable.store.models import User

        u = User(email="a@b.co", password_hash="x")
        s.add(u)
        s.flush()
        s.add(Membership(workspace_id=ws.id, user_id=u.id, role="admin"))


def test_timestamps_come_back_aware_utc(db: Database) -> None:
    paris_summer = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with db.session() as s:
        ws = Workspace(slug="w", name="W", created_at=paris_summer)
        s.add(ws)
    with db.session() as s:
        again = s.get(Workspace, ws.id)
        assert again is not None
        assert again.created_at == paris_summer
        assert again.created_at.tzinfo is not None
        assert again.created_at.utcoffset() == timedelta(0)
        assert again.created_at.hour == 10


def test_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.session() as s:
        s.add(Workspace(slug="n", name="N", created_at=datetime(2026, 1, 1)))
        s.flush()
