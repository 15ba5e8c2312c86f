"""The click log and its flusher: exactly once, whatever the batch size, crash or replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from sociable.errors import UserError
from sociable.store.db import Database
from sociable.store.models.track import Click, ShortLink
from sociable.track.clicklog import ClickLog
from sociable.track.flusher import Flusher


def _record(i: int, link_id: int) -> bytes:
    rec = {
        "t": "k",
        "id": f"click{i:010d}",
        "l": link_id,
        "c": "code",
        "at": 1_790_000_000 + i,
        "r": "https://news.example.com/x",
        "ua": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        "co": None,
        "v": "ab" * 12,
        "h": False,
    }
    return json.dumps(rec).encode() + b"\n"


@pytest.fixture
def link_id(db: Database, workspace_id: int) -> int:
    with db.session() as session:
        link = ShortLink(
            workspace_id=workspace_id, code="code", url="https://e.com", destination="https://e.com"
        )
        session.add(link)
        session.flush()
        return link.id


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Click)) or 0


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    total=st.integers(0, 300),
    batch=st.integers(1, 120),
    segment_bytes=st.integers(200, 20_000),
    flush_points=st.lists(st.integers(0, 300), max_size=4),
    torn=st.integers(0, 40),
)
def test_exactly_once(
    db: Database, link_id: int, tmp_path_factory, total, batch, segment_bytes, flush_points, torn
) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        session.execute(Click.__table__.delete())
    directory = tmp_path_factory.mktemp("log")
    log = ClickLog(directory, segment_bytes=segment_bytes)
    log.open()
    flusher = Flusher(db, directory, batch_size=batch)
    for i in range(total):
        log.append(_record(i, link_id))
        if i in flush_points:
            flusher.flush_once()
    # A crash mid-write leaves a torn line at the end of the newest segment.
    partial = _record(total, link_id)[:torn]
    if partial:
        with open(log.current, "ab") as fh:  # type: ignore[arg-type]
            fh.write(partial)
    log.close()  # the process "dies": a new one takes over the dir and replays
    again = ClickLog(directory, segment_bytes=segment_bytes)
    again.open()
    Flusher(db, directory, batch_size=batch).flush_once()  # a fresh flusher: offsets from the db
    Flusher(db, directory, batch_size=batch).flush_once()  # and once more: nothing doubles
    assert _count(db) == total
    again.close()
    assert len(list(directory.glob("*.log"))) == 1  # finished segments were retired


def test_malformed_lines_are_skipped_not_fatal(db: Database, link_id: int, tmp_path: Path) -> None:
    log = ClickLog(tmp_path)
    log.open()
    log.append(_record(1, link_id))
    log.append(b"{not json}\n")
    log.append(b'{"t": "k", "id": "x"}\n')  # missing fields
    log.append(b"[1, 2]\n")
    log.append(_record(2, link_id))
    Flusher(db, tmp_path).flush_once()
    assert _count(db) == 2


def test_one_process_per_log_dir(tmp_path: Path) -> None:
    first = ClickLog(tmp_path)
    first.open()
    with pytest.raises(UserError, match="another track server"):
        ClickLog(tmp_path).open()
    first.close()
    ClickLog(tmp_path).open()
