"""A large CSV import streams: memory stays flat with the row count, rows go in batches, and
a bad row after batches were written still leaves nothing imported."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sociable.publish import importers
from sociable.store.models import Workspace
from sociable.store.models.publish import Post, Publication
from tests.publish.calendar_env import Env, make_env, write

START = datetime(2031, 1, 6, 9, 0, tzinfo=UTC)


def _rows(n: int, *, bad_at: int | None = None) -> str:
    lines = ["scheduled_at,accounts,text\n"]
    for i in range(n):
        when = (START + timedelta(minutes=15 * i)).strftime("%Y-%m-%dT%H:%MZ")
        account = "nowhere" if i == bad_at else "mastodon"
        lines.append(f"{when},{account},Post {i}\n")
    return "".join(lines)


@pytest.fixture
def env(cli, database_url: str, tmp_path: Path) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    e = make_env(cli, database_url, tmp_path)
    e.account("mastodon", "@acme@mastodon.social")
    yield e
    e.close()


class _Undo(Exception):
    """Rolls the measured import back, so each run starts from the same database."""


def _peak_bytes(env: Env, path: Path) -> int:
    """Peak Python memory of one import, in its own transaction (rolled back after)."""
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(_Undo), env.db.session() as session:
            ws = session.scalars(select(Workspace)).one()
            report = importers.import_posts(session, ws, path, now=START - timedelta(days=1))
            assert report.created and not report.problems
            raise _Undo
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_rows(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importers, "BATCH_ROWS", 100, raising=False)
    small = write(tmp_path / "small.csv", _rows(400))
    large = write(tmp_path / "large.csv", _rows(1600))
    _peak_bytes(env, small)  # warm caches (regexes, compiled SQL) so both runs pay the same
    small_peak, large_peak = _peak_bytes(env, small), _peak_bytes(env, large)
    # Holding every row (the file, the parsed rows, each planned post and its ORM objects)
    # grows about 4x here; streaming keeps one batch and a few bytes per row.
    assert large_peak < 2 * small_peak, (small_peak, large_peak)


def test_a_bad_row_after_written_batches_leaves_nothing(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importers, "BATCH_ROWS", 10)
    source = write(tmp_path / "late.csv", _rows(35, bad_at=33))
    result = env.run("import", str(source))
    assert result.code == 2, result.err
    assert "row 35, column accounts" in result.err and "nothing imported" in result.err
    assert env.counts() == (0, 0, 0, 0)

    result = env.run("import", str(source), "--skip-bad")
    assert result.code == 0, result.err
    assert "imported 34 post(s), 34 publication(s); skipped 1 bad row(s)" in result.out
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 34
        assert session.scalar(select(func.count()).select_from(Publication)) == 34


def test_rows_are_written_while_the_file_is_read(env: Env, tmp_path: Path) -> None:
    source = write(tmp_path / "many.csv", _rows(2500))
    stored_at: dict[int, int] = {}
    with env.db.session() as session:
        ws = session.scalars(select(Workspace)).one()

        def progress(rows: int) -> None:
            stored_at[rows] = session.scalar(select(func.count()).select_from(Post)) or 0

        report = importers.import_posts(
            session, ws, source, now=START - timedelta(days=1), on_progress=progress
        )
    assert report.created == 2500
    assert stored_at[1500] == importers.BATCH_ROWS  # the first batch, before the file ended
    assert max(stored_at) == 2500
