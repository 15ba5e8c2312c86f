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
from sociable.store.models.track import Click, Conversion, ShortLink
from sociable.track.clicklog import ClickLog
from sociable.track.conversions import ConversionIn
from sociable.track.flusher import Flusher


def _record(i: int, link_id: int) -> bytes:
    """A click as the server logs it (flusher.CLICK_RECORD)."""
    rec = [
        "k",
        f"click{i:010d}",
        link_id,
        "code",
        1_790_000_000 + i,
        "https://news.example.com/x",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        None,
        "ab" * 12,
        False,
    ]
    return json.dumps(rec).encode() + b"\n"


def _legacy_record(i: int, link_id: int) -> bytes:
    """A click in the log's first format: logs written by an older server still count."""
    rec = {
        "t": "k",
        "id": f"old{i:010d}",
        "l": link_id,
        "c": "code",
        "at": 1_790_000_000 + i,
        "r": "https://news.example.com/x",
        "ua": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
        "co": "DE",
        "v": "cd" * 12,
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
    log.append(b'["k", "x"]\n')  # too short
    log.append(b'["k", "y", "not a link id", "code", 1, null, "", null, "v", false]\n')
    log.append(b"[1, 2]\n")
    log.append(b'"a string"\n')
    log.append(_record(2, link_id))
    Flusher(db, tmp_path).flush_once()
    assert _count(db) == 2


def test_clicks_in_the_old_object_format_are_still_copied(
    db: Database, link_id: int, tmp_path: Path
) -> None:
    log = ClickLog(tmp_path)
    log.open()
    log.append(_record(1, link_id))
    log.append(_legacy_record(2, link_id))
    Flusher(db, tmp_path).flush_once()
    with db.session() as session:
        rows = {c.click_id: c for c in session.scalars(select(Click))}
    assert set(rows) == {"click0000000001", "old0000000002"}
    old = rows["old0000000002"]
    assert (old.device, old.country, old.visitor, old.is_bot) == ("mobile", "DE", "cd" * 12, False)
    assert old.referrer_host == "news.example.com" and old.link_id == link_id


def test_one_process_per_log_dir(tmp_path: Path) -> None:
    first = ClickLog(tmp_path)
    first.open()
    with pytest.raises(UserError, match="another track server"):
        ClickLog(tmp_path).open()
    first.close()
    ClickLog(tmp_path).open()


def test_clicks_on_a_link_deleted_meanwhile_do_not_stall_the_rest(
    db: Database, link_id: int, workspace_id: int, tmp_path: Path
) -> None:
    with db.session() as session:
        doomed = ShortLink(
            workspace_id=workspace_id, code="gone", url="https://e.com", destination="https://e.com"
        )
        session.add(doomed)
        session.flush()
        doomed_id = doomed.id
    log = ClickLog(tmp_path)
    log.open()
    log.append(_record(1, link_id))
    log.append(_record(2, doomed_id))
    log.append(_record(3, link_id))
    with db.session() as session:
        session.delete(session.get(ShortLink, doomed_id))
    flusher = Flusher(db, tmp_path)
    assert flusher.flush_once() == 3
    assert _count(db) == 2
    log.append(_record(4, link_id))  # and the clicks after it keep flowing
    flusher.flush_once()
    assert _count(db) == 3 and flusher.pending == 0


def _conversion(order: str, amount: int, currency: str, source: str, at: int) -> bytes:
    rec = ConversionIn(order, amount, currency, []).record(workspace_id=1, source=source, at=at)
    return json.dumps(rec).encode() + b"\n"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sources=st.lists(st.sampled_from(["pixel", "postback"]), min_size=1, max_size=6),
    batch=st.integers(1, 6),
)
def test_a_verified_conversion_wins_in_any_order_and_batching(
    db: Database, workspace_id: int, tmp_path_factory, sources, batch
) -> None:  # type: ignore[no-untyped-def]
    """Whatever order pixels and postbacks for one order reach the log, and however they are
    cut into batches: the first postback's figures are kept, else the first pixel's."""
    assert workspace_id == 1
    with db.session() as session:
        session.execute(Conversion.__table__.delete())
    directory = tmp_path_factory.mktemp("log")
    log = ClickLog(directory)
    log.open()
    for i, source in enumerate(sources):
        log.append(
            _conversion("ORDER-1", 100 + i, "EUR" if i % 2 else "JPY", source, 1_790_000_000 + i)
        )
    Flusher(db, directory, batch_size=batch).flush_once()
    with db.session() as session:
        [conv] = session.scalars(select(Conversion)).all()
    first = sources.index("postback") if "postback" in sources else 0
    assert (conv.source, conv.amount_minor) == (sources[first], 100 + first)
    assert conv.currency == ("EUR" if first % 2 else "JPY")
    assert conv.replaced_pixel == ("postback" in sources and sources[0] == "pixel")


def test_conversions_logged_before_minor_units_still_read(
    db: Database, workspace_id: int, tmp_path: Path
) -> None:
    log = ClickLog(tmp_path)
    log.open()
    old = {"t": "v", "w": workspace_id, "ids": [], "s": "pixel", "at": 1_790_000_000}
    log.append(json.dumps({**old, "o": "A", "val": "49.9000", "cur": "EUR"}).encode() + b"\n")
    log.append(json.dumps({**old, "o": "B", "val": "10.5000", "cur": None}).encode() + b"\n")
    log.append(json.dumps({**old, "o": "C", "val": "1", "cur": "XYZ"}).encode() + b"\n")  # skipped
    Flusher(db, tmp_path, currency="JPY").flush_once()
    with db.session() as session:
        got = {
            c.order_id: (c.amount_minor, c.currency) for c in session.scalars(select(Conversion))
        }
    assert got == {"A": (4990, "EUR"), "B": (11, "JPY")}  # no currency: the configured one
