"""SQLite, the embedded default: several `sociable worker` processes share one file safely."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sociable.store import migrate
from sociable.store.db import open_database
from sociable.store.models.publish import Publication
from sociable.store.secrets import SecretBox, generate_key, use_box
from tests.publish import factories as f
from tests.publish.receiver import Receiver


@pytest.mark.slow
def test_three_worker_processes_on_one_sqlite_file_send_each_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    key = generate_key()
    use_box(SecretBox(key))
    url = f"sqlite:///{tmp_path / 'sociable.db'}"
    db = open_database(url)
    migrate.upgrade(db)
    due = datetime.now(UTC) - timedelta(seconds=5)
    with db.session() as s:
        ws = f.workspace(s)
        accounts = [
            f.account(
                s,
                ws,
                handle=f"hook-{i}",
                credentials={"secret": receiver.secret},
                settings={"url": receiver.url},
            )
            for i in range(3)
        ]
        for i in range(120):
            f.publication(s, ws, accounts[i % 3], due, text=f"post {i}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIABLE_")} | {
        "SOCIABLE_DATABASE_URL": url,
        "SOCIABLE_SECRET_KEY": key.decode(),
        "SOCIABLE_PUBLISH__ALLOW_PRIVATE": "true",
        "SOCIABLE_PUBLISH__BATCH_SIZE": "8",
        "SOCIABLE_PUBLISH__CONCURRENCY": "4",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "sociable.cli.app", "worker", "--once", "--id", f"w{i}"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(3)
    ]
    errors = [p.communicate(timeout=240)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    with db.session() as s:
        pubs = s.scalars(select(Publication)).all()
        assert {p.state for p in pubs} == {"published"}
        keys = {p.idempotency_key for p in pubs}
    assert receiver.applied() == dict.fromkeys(keys, 1)
    db.dispose()
