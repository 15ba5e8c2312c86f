"""Alembic environment: runs on the connection that sociable.store.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import sociable.store.models  # noqa: F401  - registers every table on Base.metadata
from sociable.store.base import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through sociable.store.migrate
    raise RuntimeError("run migrations through `sociable db upgrade`")
run(connection)
