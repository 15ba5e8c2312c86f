"""The README's PostgreSQL steps, run as written on a new database in a folder with no key.

The steps are read from the README (the block after the ``tests/cli/test_readme_postgres.py``
comment), so the test follows the README and the README cannot drift from what works. The
only changes: the placeholder server (``user@host:5432``) becomes the test server, and the
database gets a unique name.
"""

from __future__ import annotations

import re
import shlex
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from sociable.config import KEY_FILENAME
from sociable.store import migrate
from sociable.store.db import open_database
from tests.conftest import PG_URL

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- run verbatim on a new database by tests/cli/test_readme_postgres.py -->"
URL_RE = re.compile(r"postgresql\+psycopg://[^\s`]+")

pytestmark = pytest.mark.postgres


def _readme_steps() -> list[str]:
    readme = README.read_text(encoding="utf-8")
    assert MARKER in readme, "the README's PostgreSQL block lost its marker"
    block = readme.split(MARKER, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split(" #", 1)[0].strip() for line in block.splitlines() if line.strip()]


class NewDatabases:
    """CREATE DATABASE on the test server, each dropped at the end."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self) -> str:
        name = f"readme_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture
def new_databases() -> Iterator[NewDatabases]:
    databases = NewDatabases()
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _assert_migrated(url: str) -> None:
    db = open_database(url)
    try:
        assert migrate.is_current(db)
        assert {"workspace", "account", "post"} <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


def test_readme_postgres_steps_run_verbatim(  # type: ignore[no-untyped-def]
    cli, new_databases: NewDatabases, empty_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = _readme_steps()
    assert [s.split()[0] for s in steps] == ["createdb", "export", "sociable", "sociable"]
    placeholder = URL_RE.search(steps[1])
    assert placeholder is not None
    url = ""
    for step in steps:
        args = shlex.split(step)
        if args[0] == "createdb":
            # createdb's database is the one the README's URL names
            assert args[-1] == make_url(placeholder.group(0)).database
            url = new_databases.create()
        elif args[0] == "export":
            name, value = args[1].split("=", 1)
            monkeypatch.setenv(name, value.replace(placeholder.group(0), url))
        else:
            result = cli(*args[1:])
            assert result.code == 0, (step, result.err)
            assert "Traceback" not in result.err
            if args[1:] == ["db", "upgrade"]:
                # migrated with no key anywhere: none in the folder, none in the environment
                assert not (empty_folder / KEY_FILENAME).exists()
                _assert_migrated(url)
    _assert_migrated(url)
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM workspace")).scalar_one() == 1
    assert (empty_folder / KEY_FILENAME).exists()  # written by `sociable init`, not earlier


def test_readme_database_url_option_needs_no_key(  # type: ignore[no-untyped-def]
    cli, new_databases: NewDatabases, empty_folder: Path
) -> None:
    readme = README.read_text(encoding="utf-8")
    found = re.search(r"`(sociable --database-url \S+ db upgrade)`", readme)
    assert found is not None
    url = new_databases.create()
    args = shlex.split(URL_RE.sub(url, found.group(1)))
    result = cli(*args[1:])
    assert result.code == 0, result.err
    _assert_migrated(url)
    current = cli("--database-url", url, "db", "current")
    assert current.code == 0 and "up to date" in " ".join(current.out.split())
    assert not (empty_folder / KEY_FILENAME).exists()


def test_commands_that_touch_credentials_still_need_the_key(  # type: ignore[no-untyped-def]
    cli, new_databases: NewDatabases, empty_folder: Path
) -> None:
    url = new_databases.create()
    assert cli("--database-url", url, "db", "upgrade").code == 0
    result = cli("--database-url", url, "accounts", "list")
    assert result.code == 2 and "no secret key" in result.err
