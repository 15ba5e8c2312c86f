"""Migrations apply on both databases, round-trip, and match the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from sociable.store import migrate
from sociable.store.base import Base
from sociable.store.db import open_database


def test_upgrade_creates_every_model_table(database_url: str) -> None:
    db = open_database(database_url)
    migrate.upgrade(db)
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert migrate.is_current(db)
    db.dispose()


def test_autogenerate_finds_no_drift(database_url: str) -> None:
    db = open_database(database_url)
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    db.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_to_base_and_back(database_url: str) -> None:
    db = open_database(database_url)
    migrate.upgrade(db)
    migrate.downgrade(db, "base")
    assert migrate.current(db) == set()
    leftover = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert leftover == set()
    migrate.upgrade(db)
    assert migrate.is_current(db)
    db.dispose()


def test_one_step_back_with_several_heads_is_the_latest(database_url: str) -> None:
    db = open_database(database_url)
    migrate.upgrade(db)
    before = migrate.current(db)
    assert len(before) > 1  # one branch per domain
    latest = max(before)
    migrate.downgrade(db)  # "-1"
    after = migrate.current(db)
    assert latest not in after
    assert before - {latest} <= after
    migrate.upgrade(db)
    assert migrate.current(db) == before
    db.dispose()


def test_replay_records_written_before_0012_are_deleted(database_url: str) -> None:
    """They held whole answers, API tokens and webhook secrets included."""
    db = open_database(database_url)
    migrate.upgrade(db, "0006_web")
    stamp = {"t": datetime(2026, 1, 1, tzinfo=UTC)}
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (id, email, name, password_hash, is_active, "
                "created_at, updated_at) VALUES (1, 'a@b.example', '', 'x', true, :t, :t)"
            ),
            stamp,
        )
        conn.execute(
            text(
                "INSERT INTO idempotency_record (user_id, key, request_hash, status_code, "
                "response_body, created_at, updated_at) "
                "VALUES (1, 'k', 'h', 201, '{\"token\": \"soc_secret\"}', :t, :t)"
            ),
            stamp,
        )
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_record")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM user_account")).scalar() == 1
    db.dispose()
