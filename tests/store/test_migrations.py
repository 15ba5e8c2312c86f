"""Migrations apply on both databases, round-trip, and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

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
