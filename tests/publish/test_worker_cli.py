"""`sociable worker --once` and `sociable status` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sociable.store.db import open_database
from sociable.store.models import Workspace
from sociable.store.secrets import SecretBox, use_box
from tests.publish import factories as f
from tests.publish.receiver import Receiver


@pytest.fixture
def env(cli, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert cli("--database-url", database_url, "init", "w", "--name", "Acme").code == 0
    config = tmp_path / "w" / "sociable.toml"
    config.write_text(
        config.read_text()
        + "\n[publish]\nallow_private = true\nhttp_timeout_seconds = 1\nlease_seconds = 5\n"
    )
    use_box(SecretBox((tmp_path / "w" / ".sociable.key").read_bytes().strip()))

    def run(*args: str):  # type: ignore[no-untyped-def]
        return cli("--database-url", database_url, "--config", str(config), *args)

    return run, open_database(database_url)


def test_worker_once_sends_what_is_due_and_status_reports_it(env, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    run, db = env
    now = datetime.now(UTC)
    with db.session() as s:
        from sqlalchemy import select

        ws = s.scalars(select(Workspace)).one()
        acc = f.account(
            s, ws, credentials={"secret": receiver.secret}, settings={"url": receiver.url}
        )
        f.publication(s, ws, acc, now - timedelta(seconds=30))
        f.publication(s, ws, acc, now + timedelta(hours=2))
    result = run("worker", "--once", "--id", "cli-worker")
    assert result.code == 0, result.err
    assert "claimed 1 (1 published)" in result.err
    assert len(receiver.hits) == 1

    status = run("status", "--format", "json")
    assert status.code == 0, status.err
    report = json.loads(status.out)
    assert report["counts"]["published"] == 1 and report["counts"]["scheduled"] == 1
    assert report["lag_sample"] == 1 and 25 <= report["lag_seconds_p50"] <= 120
    [worker] = report["workers"]
    assert worker["worker_id"] == "cli-worker" and worker["stopped"] is True
    assert report["stuck"] == [] and report["healthy"] is True
    text = run("status")
    assert "cli-worker" in text.out and "published 1" in text.out
    assert run("status", "--check").code == 0
    db.dispose()


def test_status_check_fails_when_a_due_post_has_no_worker(env) -> None:  # type: ignore[no-untyped-def]
    run, db = env
    with db.session() as s:
        from sqlalchemy import select

        ws = s.scalars(select(Workspace)).one()
        acc = f.account(s, ws, credentials={})
        pub_id = f.publication(s, ws, acc, datetime.now(UTC) - timedelta(minutes=10)).id
    result = run("status", "--check")
    assert result.code == 1
    assert "due but not sent" in result.out and str(pub_id) in result.out
    assert "NOT healthy" in result.out
    report = json.loads(run("status", "--format", "json").out)
    assert report["due_not_sent"] == 1 and report["stuck"][0]["publication_id"] == pub_id
    db.dispose()


def test_worker_on_an_old_database_says_to_upgrade(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkey_key = tmp_path / ".sociable.key"
    monkey_key.write_bytes(b"")
    from sociable.store.secrets import generate_key

    monkey_key.write_bytes(generate_key())
    (tmp_path / "sociable.toml").write_text("")
    result = cli(
        "--database-url", url, "--config", str(tmp_path / "sociable.toml"), "worker", "--once"
    )
    assert result.code == 2 and "sociable db upgrade" in result.err


def test_a_refused_private_target_names_the_setting_that_lifts_it(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """The worker has no --allow-private: its refusal names [publish] allow_private and its
    variable, and setting that variable (as the message says) really lets the post through."""
    monkeypatch.chdir(tmp_path)
    assert cli("--database-url", database_url, "init", "w").code == 0
    config = tmp_path / "w" / "sociable.toml"
    config.write_text(config.read_text() + "\n[publish]\nhttp_timeout_seconds = 1\n")
    use_box(SecretBox((tmp_path / "w" / ".sociable.key").read_bytes().strip()))
    db = open_database(database_url)
    with db.session() as s:
        from sqlalchemy import select

        ws = s.scalars(select(Workspace)).one()
        acc = f.account(
            s, ws, credentials={"secret": receiver.secret}, settings={"url": receiver.url}
        )
        refused_id = f.publication(s, ws, acc, datetime.now(UTC) - timedelta(seconds=5)).id
    args = ("--database-url", database_url, "--config", str(config), "worker", "--once")
    assert cli(*args).code == 0
    with db.session() as s:
        from sociable.store.models.publish import Publication

        reason = s.get(Publication, refused_id).reason or ""  # type: ignore[union-attr]
    assert "127.0.0.1" in reason and receiver.hits == []
    assert "[publish] allow_private = true" in reason
    assert "SOCIABLE_PUBLISH__ALLOW_PRIVATE=true" in reason
    assert "--allow-private" not in reason

    monkeypatch.setenv("SOCIABLE_PUBLISH__ALLOW_PRIVATE", "true")
    with db.session() as s:
        ws = s.scalars(select(Workspace)).one()
        acc = s.get(type(acc), acc.id)
        f.publication(s, ws, acc, datetime.now(UTC) - timedelta(seconds=5))
    result = cli(*args)
    assert result.code == 0 and "1 published" in result.err, result.err
    assert len(receiver.hits) == 1
    db.dispose()
