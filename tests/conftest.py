"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, a CLI runner.

PostgreSQL isolation: each test gets its own schema in the ``test`` database (set through
``search_path``), dropped afterwards, so tests never see each other's rows and parallel runs
do not collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import sociable.store.models  # noqa: F401  - every table on Base.metadata
from sociable.cli.app import main
from sociable.store.base import Base
from sociable.store.db import Database, open_database
from sociable.store.secrets import SecretBox, generate_key, use_box
from tests import outside_data

PG_URL = os.environ.get("SOCIABLE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Settings of the test run itself, kept while every other SOCIABLE_* variable is cleared.
TEST_SETTINGS = {"SOCIABLE_TEST_PG_URL", outside_data.ENV}

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("SOCIABLE_") and key not in TEST_SETTINGS:
            monkeypatch.delenv(key)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest in tests: same code path, a fraction of the CPU."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from sociable import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture(scope="session")
def shared_data() -> Callable[[str], Path]:
    """``shared_data("datasets/x")``: a folder of outside data, or skip (fail under CI).

    The one way a test reaches third-party suites and datasets; see tests/outside_data.py.
    """
    return outside_data.require


@pytest.fixture
def secret_box() -> SecretBox:
    box = SecretBox(generate_key())
    use_box(box)
    return box


def _pg_schema_url(schema: str) -> str:
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str, secret_box: SecretBox) -> Iterator[Database]:
    """A database with every table created (the drift test proves this equals migrations)."""
    database = open_database(database_url)
    Base.metadata.create_all(database.engine)
    try:
        yield database
    finally:
        database.dispose()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``sociable ARGS...`` in-process and return its exit code and output."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
