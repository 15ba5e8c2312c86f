"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
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


# How long a SQLite writer waits for the one write lock before "database is locked".
BUSY_TIMEOUT_MS = 30_000
# The execution option that marks a writer session's connections (see Database.session).
WRITER = "sociable_writer"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's pysqlite recipe: the driver emits no BEGIN of its own; _sqlite_begin does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """Writers take SQLite's write lock when their transaction starts (``BEGIN IMMEDIATE``),
    so concurrent writers queue on the busy timeout instead of failing: a deferred
    transaction that read first and writes later gets "database is locked" at once when
    another writer committed in between. Readers (and plain Core connections) start a
    deferred ``BEGIN``; in WAL mode a reader reads a snapshot and never waits for a writer."""
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITER) else "BEGIN")


def _create_private(url: str) -> None:
    """Create a SQLite database file with mode 0600 before SQLite does (with the umask's
    0644); its -wal and -shm files copy the main file's mode."""
    parsed = make_url(url)
    name = parsed.database or ""
    if not name or name == ":memory:" or name.startswith("file:") or parsed.query.get("uri"):
        return
    path = Path(name)
    if path.exists() or not path.parent.is_dir():
        return  # an existing file keeps its mode; a missing folder is SQLite's error to give
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    try:
        engine = create_engine(url, **kwargs)
    except NoSuchModuleError as exc:
        raise DatabaseError(f"no driver for {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _create_private(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


@dataclass
class Database:
    """An engine plus a session factory; the one handle domain code receives."""

    engine: Engine

    def __post_init__(self) -> None:
        writer = self.engine.execution_options(**{WRITER: True})
        self._sessions = sessionmaker(writer, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error.

        On SQLite it is a writer: it holds the write lock from its first statement to its
        end, so keep it short, and never open a second one inside it in the same thread
        (that one would wait for this one): use ``session.begin_nested()`` instead.
        """
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading: on SQLite it never waits for (nor blocks) a writer.

        It may still write on PostgreSQL; on SQLite a write in it can fail with "database
        is locked" when another writer got in first, so write in :meth:`session`.
        """
        with self._read_sessions() as session, session.begin():
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
