"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sociable.errors import DatabaseError

SUPPORTED = ("sqlite", "postgresql")


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs; check the dialect."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"not a database URL: {url!r} (try sqlite:///sociable.db or "
            "postgresql+psycopg://user@host/db)"
        ) from None
    backend = parsed.get_backend_name()
    default_pg_driver = backend == "postgresql" and parsed.get_driver_name() in ("", "psycopg2")
    if backend == "postgres" or default_pg_driver:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED:
        raise DatabaseError(
            f"unsupported database {backend!r} in {url!r}: use sqlite or postgresql"
        )
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    try:
        engine = create_engine(url, **kwargs)
    except NoSuchModuleError as exc:
        raise DatabaseError(f"no driver for {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@dataclass
class Database:
    """An engine plus a session factory; the one handle domain code receives."""

    engine: Engine

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def check(self) -> None:
        """Connect once, turning a bad URL or a down server into a clear DatabaseError."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseError(f"cannot open database {self.url}: {reason}") from None

    def dispose(self) -> None:
        self.engine.dispose()


def dialect_insert(dialect: str, target: Any) -> Any:
    """``INSERT`` for ``target`` with this dialect's ``ON CONFLICT`` (PostgreSQL or SQLite)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(target)


def open_database(url: str, *, check: bool = True, **kwargs: Any) -> Database:
    db = Database(make_engine(url, **kwargs))
    if check:
        db.check()
    return db
