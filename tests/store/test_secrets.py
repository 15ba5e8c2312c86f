"""Credentials are encrypted at rest: the raw database bytes never hold them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from sociable.errors import ConfigError
from sociable.store.db import Database
from sociable.store.models import Account, Workspace
from sociable.store.secrets import SecretBox, generate_key, use_box, write_key_file

TOKEN = "tok-PLAINTEXT-7f3a9c1e-should-never-be-on-disk"


def _add_account(db: Database) -> int:
    with db.session() as s:
        ws = Workspace(slug="w", name="W")
        s.add(ws)
        s.flush()
        acct = Account(
            workspace_id=ws.id,
            network="mastodon",
            handle="@brand@example.social",
            credentials={"access_token": TOKEN},
        )
        s.add(acct)
        s.flush()
        return acct.id


def test_credentials_round_trip(db: Database) -> None:
    acct_id = _add_account(db)
    with db.session() as s:
        acct = s.get(Account, acct_id)
        assert acct is not None
        assert acct.credentials == {"access_token": TOKEN}


def test_stored_column_is_ciphertext(db: Database) -> None:
    _add_account(db)
    with db.engine.connect() as conn:
        raw = conn.execute(text("SELECT credentials FROM account")).scalar_one()
    assert TOKEN.encode() not in bytes(raw)


def test_sqlite_file_bytes_hold_no_plaintext(tmp_path: Path, secret_box: SecretBox) -> None:
    from sociable.store.base import Base
    from sociable.store.db import open_database

    path = tmp_path / "raw.db"
    db = open_database(f"sqlite:///{path}")
    Base.metadata.create_all(db.engine)
    _add_account(db)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # not inside a transaction
    db.dispose()
    everything = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"brand@example.social" in everything  # the file is readable as such...
    assert TOKEN.encode() not in everything  # ...but the token is not in it


def test_wrong_key_is_a_clear_error(db: Database) -> None:
    acct_id = _add_account(db)
    use_box(SecretBox(generate_key()))
    with pytest.raises(ConfigError, match="cannot be decrypted"), db.session() as s:
        s.scalar(select(Account).where(Account.id == acct_id))


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    key = tmp_path / "k"
    assert write_key_file(key) is True
    first = key.read_bytes()
    assert key.stat().st_mode & 0o777 == 0o600
    assert write_key_file(key) is False
    assert key.read_bytes() == first
    SecretBox(first.strip())  # a valid Fernet key


def test_bad_key_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        SecretBox("short")
