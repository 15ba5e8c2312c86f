"""Copy the click log into the database in batches, exactly once.

Each batch inserts its rows and moves the segment's offset in one transaction. Inserts ignore
duplicates (``click_id`` and ``(workspace_id, order_id)`` are unique), so even replaying a
segment whose offset row was lost is harmless. A torn last line (no newline yet) waits for the
next round.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sociable.store.db import Database
from sociable.store.models.track import Click, Conversion, TrackLogOffset
from sociable.track.clicklog import ClickLog
from sociable.track.enrich import agent, referrer_host

log = logging.getLogger(__name__)

READ_CHUNK = 4 * 1024 * 1024


def _insert(db: Database, model: Any) -> Any:
    return (postgresql if db.dialect == "postgresql" else sqlite).insert(model)


def click_row(rec: dict[str, Any]) -> dict[str, Any]:
    ua = str(rec.get("ua") or "")
    who = agent(ua)
    return {
        "click_id": str(rec["id"])[:32],
        "link_id": int(rec["l"]),
        "code": str(rec["c"])[:64],
        "at": datetime.fromtimestamp(float(rec["at"]), UTC),
        "referrer_host": referrer_host(rec.get("r")),
        "ua_family": who.family,
        "device": who.device,
        "country": rec.get("co"),
        "visitor": str(rec["v"])[:32],
        # A HEAD request is a preview or a checker, never a person following a link.
        "is_bot": who.is_bot or bool(rec.get("h")),
    }


def conversion_row(rec: dict[str, Any]) -> dict[str, Any]:
    try:
        value = Decimal(str(rec.get("val") or "0"))
    except InvalidOperation:
        value = Decimal(0)
    return {
        "workspace_id": int(rec["w"]),
        "order_id": str(rec["o"])[:128],
        "value": value,
        "currency": rec.get("cur"),
        "click_ids": [str(c)[:32] for c in rec.get("ids") or []][:20],
        "source": str(rec.get("s") or "pixel")[:16],
        "at": datetime.fromtimestamp(float(rec["at"]), UTC),
    }


def write_records(db: Database, session: Session, records: list[dict[str, Any]]) -> None:
    clicks, conversions = [], []
    for rec in records:
        try:
            if rec.get("t") == "k":
                clicks.append(click_row(rec))
            elif rec.get("t") == "v":
                conversions.append(conversion_row(rec))
        except (KeyError, TypeError, ValueError):
            log.warning("skipping a malformed click-log record: %.200r", rec)
    if clicks:
        session.execute(
            _insert(db, Click).on_conflict_do_nothing(index_elements=["click_id"]), clicks
        )
    for row in conversions:  # few; one at a time so a duplicate order id is skipped alone
        session.execute(
            _insert(db, Conversion)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["workspace_id", "order_id"])
        )


class Flusher:
    """Runs in a thread beside the server; ``flush_once`` is also called directly on stop."""

    def __init__(
        self,
        db: Database,
        clicklog: ClickLog,
        *,
        interval: float = 0.5,
        batch_size: int = 2000,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.log = clicklog
        self.interval = interval
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.flushed = 0  # bytes of this process's appends already in the database
        self._offsets: dict[str, int] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="sociable-track-flusher", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush_once()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.flush_once()
            except Exception:  # keep going: the log still has everything
                log.exception("click flush failed; will retry")
                self._stop.wait(min(5.0, self.interval * 4))
            self._wake.wait(self.interval)
            self._wake.clear()

    def _offset(self, name: str) -> int:
        if name not in self._offsets:
            with self.db.session() as session:
                row = session.get(TrackLogOffset, name)
                self._offsets[name] = row.offset if row else 0
        return self._offsets[name]

    def flush_once(self) -> int:
        """Copy every complete record not yet copied; returns how many records were copied."""
        with self._mutex:
            total = 0
            for path in self.log.segments():
                total += self._flush_segment(path)
            return total

    def _flush_segment(self, path: Path) -> int:
        name = path.name
        copied = 0
        while True:
            offset = self._offset(name)
            current = self.log.is_current(path)
            try:
                with path.open("rb") as fh:
                    fh.seek(offset)
                    chunk = fh.read(READ_CHUNK)
            except FileNotFoundError:
                return copied
            end = chunk.rfind(b"\n")
            if end < 0:
                if not current and not chunk:
                    self._retire(path)
                    return copied
                if not current and len(chunk) < READ_CHUNK:
                    # A torn tail left by a crash: nothing will ever complete it.
                    log.warning("dropping %d torn bytes at the end of %s", len(chunk), name)
                    self._retire(path)
                return copied
            consumed = 0
            batch: list[dict[str, Any]] = []
            for line in chunk[: end + 1].split(b"\n")[:-1]:
                consumed += len(line) + 1
                try:
                    rec = json.loads(line)
                except ValueError:
                    log.warning("skipping a torn click-log line in %s", name)
                    rec = None
                if isinstance(rec, dict):
                    batch.append(rec)
                if len(batch) >= self.batch_size:
                    break
            new_offset = offset + consumed
            with self.db.session() as session:
                write_records(self.db, session, batch)
                row = session.get(TrackLogOffset, name)
                if row is None:
                    session.add(TrackLogOffset(segment=name, offset=new_offset))
                else:
                    row.offset = new_offset
            self._offsets[name] = new_offset
            copied += len(batch)
            if name not in self.log.found:
                self.flushed += consumed
            if self.on_progress is not None:
                self.on_progress()
            at_end = len(chunk) < READ_CHUNK and consumed == end + 1
            if at_end and current:
                return copied

    def _retire(self, path: Path) -> None:
        """A finished segment: forget its offset row, then delete the file (crash-safe order)."""
        with self.db.session() as session:
            session.execute(delete(TrackLogOffset).where(TrackLogOffset.segment == path.name))
        self._offsets.pop(path.name, None)
        path.unlink(missing_ok=True)
