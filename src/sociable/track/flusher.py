"""Copy the click log into the database in batches, exactly once.

Each batch inserts its rows and moves the segment's offset in one transaction. Inserts ignore
duplicates (``click_id`` and ``(workspace_id, order_id)`` are unique), so even replaying a
segment whose offset row was lost is harmless. A torn last line (no newline yet) waits for the
next round.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sociable.money import MINOR_UNITS, to_minor
from sociable.store.db import Database, dialect_insert
from sociable.store.models.track import VERIFIED_SOURCE, Conversion, ShortLink, TrackLogOffset
from sociable.track.clicklog import list_segments
from sociable.track.enrich import agent, referrer_host
from sociable.track.flusher_child import STATE

log = logging.getLogger(__name__)
loads = json.JSONDecoder().decode  # skips json.loads' encoding sniffing per line

READ_CHUNK = 4 * 1024 * 1024


@lru_cache(maxsize=4096)
def _second_text(second: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))


def sqlite_stamp(at: float) -> str:
    """The text SQLAlchemy's UTCDateTime writes on SQLite (naive UTC with microseconds),
    with the date part made once per second rather than once per click."""
    second = int(at // 1)
    return f"{_second_text(second)}.{min(round((at - second) * 1e6), 999_999):06d}"


def click_tuple(rec: Sequence[Any], sqlite_text: bool) -> tuple[Any, ...]:
    """A click record (see :data:`CLICK_RECORD`) as a row in CLICK_COLUMNS order (hot: one
    call per click). A record of the wrong shape raises ValueError, KeyError or TypeError."""
    _, cid, link, code, at, referrer, ua, co, visitor, head = rec
    who = agent(str(ua or ""))
    at = float(at)
    return (
        str(cid)[:32],
        int(link),
        str(code)[:64],
        sqlite_stamp(at) if sqlite_text else datetime.fromtimestamp(at, UTC),
        referrer_host(referrer) if referrer else None,
        who.family,
        who.device,
        co if isinstance(co, str) and len(co) == 2 else None,
        str(visitor)[:32],
        # A HEAD request is a preview or a checker, never a person following a link.
        who.is_bot or bool(head),
    )


def legacy_click(rec: dict[str, Any]) -> list[Any]:
    """A click in the log's first format (a JSON object), in today's positional form."""
    return [
        "k",
        rec["id"],
        rec["l"],
        rec["c"],
        rec["at"],
        rec.get("r"),
        rec.get("ua"),
        rec.get("co"),
        rec["v"],
        rec.get("h"),
    ]


def conversion_row(rec: dict[str, Any], default_currency: str) -> dict[str, Any]:
    """A conversion record as a row. Records from before amounts had minor units (``val``,
    a decimal, currency optional) still read; a bad amount or code raises ValueError."""
    raw_currency = rec.get("cur") or default_currency
    if not isinstance(raw_currency, str) or raw_currency.upper() not in MINOR_UNITS:
        raise ValueError(f"unknown currency {raw_currency!r}")
    currency = raw_currency.upper()
    if "amt" in rec:
        amount = rec["amt"]
        if type(amount) is not int or amount < 0:
            raise ValueError("amount is not a whole number of minor units")
    else:
        try:
            amount = to_minor(Decimal(str(rec.get("val") or "0")), currency, exact=False)
        except InvalidOperation:
            raise ValueError("value is not a number") from None
    return {
        "workspace_id": int(rec["w"]),
        "order_id": str(rec["o"])[:128],
        "amount_minor": amount,
        "currency": currency,
        "click_ids": [str(c)[:32] for c in rec.get("ids") or []][:20],
        "source": str(rec.get("s") or "pixel")[:16],
        "at": datetime.fromtimestamp(float(rec["at"]), UTC),
    }


def conversion_upsert(dialect: str, row: dict[str, Any]) -> Any:
    """One conversion per order, and a verified one always wins.

    A pixel (unverified) is inserted only when the order is new. A signed postback is
    inserted, or replaces an unverified conversion for the same order (and marks it
    ``replaced_pixel``); an earlier verified one is kept (a retried postback changes
    nothing). One statement with ``ON CONFLICT ... DO UPDATE ... WHERE``, so the order of
    arrival, batching and concurrent flushers do not matter, on SQLite and PostgreSQL alike.
    """
    stmt = dialect_insert(dialect, Conversion).values(**row)
    keys = ["workspace_id", "order_id"]
    if row["source"] != VERIFIED_SOURCE:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={
            "amount_minor": new.amount_minor,
            "currency": new.currency,
            "click_ids": new.click_ids,
            "source": new.source,
            "at": new.at,
            "replaced_pixel": True,
        },
        where=Conversion.source != VERIFIED_SOURCE,
    )


# A click in the log: a JSON array, shorter to write and faster to read than an object.
CLICK_RECORD = (
    "k",
    "click id",
    "link id",
    "code",
    "at",
    "referer",
    "user agent",
    "country",
    "visitor",
    "head",
)
CLICK_COLUMNS = (
    "click_id",
    "link_id",
    "code",
    "at",
    "referrer_host",
    "ua_family",
    "device",
    "country",
    "visitor",
    "is_bot",
)


def _click_sql(dialect: str) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    cols = ", ".join(CLICK_COLUMNS)
    marks = ", ".join([mark] * len(CLICK_COLUMNS))
    # Built from constants only, no input.
    return f"INSERT INTO track_click ({cols}) VALUES ({marks}) ON CONFLICT (click_id) DO NOTHING"  # noqa: S608


def write_records(
    db: Database, session: Session, records: list[Any], *, default_currency: str = "USD"
) -> None:
    """Insert a batch; the hot part (clicks) goes straight to the driver's executemany."""
    dialect = db.dialect
    sqlite_text = dialect == "sqlite"
    clicks: list[tuple[Any, ...]] = []
    conversions = []
    for rec in records:
        try:
            if type(rec) is list and rec and rec[0] == "k":
                clicks.append(click_tuple(rec, sqlite_text))
            elif type(rec) is dict and rec.get("t") == "k":
                clicks.append(click_tuple(legacy_click(rec), sqlite_text))
            elif type(rec) is dict and rec.get("t") == "v":
                conversions.append(conversion_row(rec, default_currency))
            else:
                raise ValueError("not a click or a conversion")
        except (KeyError, TypeError, ValueError):
            log.warning("skipping a malformed click-log record: %.200r", rec)
    if clicks:
        clicks = _on_live_links(session, clicks)
    if clicks:
        session.connection().exec_driver_sql(_click_sql(dialect), clicks)
    for conv in conversions:  # few; one at a time, in log order (see conversion_upsert)
        session.execute(conversion_upsert(db.dialect, conv))


def _on_live_links(session: Session, clicks: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The clicks whose link still exists. A link deleted while its clicks were in the log
    would otherwise fail the whole batch on its foreign key, again every round, and stall
    every click behind it; a batch touches few links, so this is one small query."""
    wanted = {row[1] for row in clicks}
    live = set(session.scalars(select(ShortLink.id).where(ShortLink.id.in_(wanted))))
    if len(live) == len(wanted):
        return clicks
    kept = [row for row in clicks if row[1] in live]
    log.warning("dropping %d clicks on links deleted since", len(clicks) - len(kept))
    return kept


def _decode(lines: list[bytes], segment: str) -> list[Any]:
    """Records from log lines: one JSON parse for the whole batch, line by line if that fails
    (a torn or foreign line is skipped with a warning, the rest are kept)."""
    try:
        batch = json.loads(b"[" + b",".join(lines) + b"]")
        if len(batch) == len(lines) and all(type(rec) in (list, dict) for rec in batch):
            return cast(list[Any], batch)
    except ValueError:
        pass
    records = []
    for line in lines:
        try:
            rec = loads(line.decode())
        except ValueError:
            rec = None
        if type(rec) in (list, dict):
            records.append(rec)
        else:
            log.warning("skipping a torn click-log line in %s", segment)
    return records


class Flusher:
    """Copies the log in a thread of this process; ``flush_once`` also works directly."""

    def __init__(
        self,
        db: Database,
        directory: Path,
        *,
        interval: float = 0.5,
        batch_size: int = 10_000,
        on_progress: Callable[[int], None] | None = None,
        currency: str = "USD",
    ) -> None:
        """``currency``: ``[money] currency``, for log records written before every
        conversion carried its own."""
        self.db = db
        self.currency = currency
        self.directory = directory
        self.interval = interval
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.pending = 0  # log bytes not yet in the database (backpressure reads this)
        self._offsets: dict[str, int] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    # -- the FlusherHandle interface used by the server ------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="sociable-track-flusher", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def flush_now(self, timeout: float = 60) -> None:
        self.flush_once()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        self.flush_once()

    # -- work ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self.safe_round()
            self._wake.wait(self.interval)
            self._wake.clear()

    def safe_round(self) -> None:
        try:
            self.flush_once()
        except Exception:  # keep going: the log still has everything
            log.exception("click flush failed; will retry")
            self._stop.wait(min(5.0, self.interval * 4))

    def _offset(self, name: str) -> int:
        if name not in self._offsets:
            with self.db.session() as session:
                row = session.get(TrackLogOffset, name)
                self._offsets[name] = row.offset if row else 0
        return self._offsets[name]

    def _measure(self) -> None:
        pending = 0
        for path in list_segments(self.directory):
            try:
                pending += path.stat().st_size - self._offsets.get(path.name, 0)
            except FileNotFoundError:
                continue
        self.pending = max(0, pending)
        if self.on_progress is not None:
            self.on_progress(self.pending)

    def flush_once(self) -> int:
        """Copy every complete record not yet copied; returns how many records were copied."""
        with self._mutex:
            total = 0
            segments = list_segments(self.directory)
            for path in segments:
                total += self._flush_segment(path, current=path == segments[-1])
            self._measure()
            return total

    def _flush_segment(self, path: Path, *, current: bool) -> int:
        name = path.name
        copied = 0
        while True:
            offset = self._offset(name)
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
            parts = chunk[: end + 1].split(b"\n", self.batch_size)
            lines = parts[: self.batch_size] if len(parts) > self.batch_size else parts[:-1]
            consumed = sum(map(len, lines)) + len(lines)
            batch = _decode(lines, name)
            new_offset = offset + consumed
            with self.db.session() as session:
                write_records(self.db, session, batch, default_currency=self.currency)
                row = session.get(TrackLogOffset, name)
                if row is None:
                    session.add(TrackLogOffset(segment=name, offset=new_offset))
                else:
                    row.offset = new_offset
            self._offsets[name] = new_offset
            copied += len(batch)
            self._measure()
            at_end = len(chunk) < READ_CHUNK and consumed == end + 1
            if at_end and current:
                return copied

    def _retire(self, path: Path) -> None:
        """A finished segment: forget its offset row, then delete the file (crash-safe order)."""
        with self.db.session() as session:
            session.execute(delete(TrackLogOffset).where(TrackLogOffset.segment == path.name))
        self._offsets.pop(path.name, None)
        path.unlink(missing_ok=True)


class FlusherProcess:
    """The same job in a child process, so copying never takes the server's GIL.

    The child (``python -m sociable.track.flusher``) takes its own lock on the log dir (one
    flusher per dir), publishes its round count and the backlog in a 16-byte shared file,
    wakes on SIGUSR1, stops after a last flush on SIGTERM, and also when its parent has died
    (a ``kill -9`` of the server leaves nothing behind). See :mod:`sociable.track.flusher_child`.
    """

    def __init__(
        self,
        db: Database,
        directory: Path,
        *,
        interval: float = 0.5,
        batch_size: int = 10_000,
        currency: str = "USD",
    ) -> None:
        self._url = db.engine.url.render_as_string(hide_password=False)
        self.currency = currency
        self.directory = directory
        self.interval = interval
        self.batch_size = batch_size
        self._proc: subprocess.Popen[bytes] | None = None
        self._state: mmap.mmap | None = None

    def _read(self) -> tuple[int, int, int]:
        if self._state is None:
            return 0, 0, 0
        ready, rounds, pending = STATE.unpack(self._state[: STATE.size])
        return int(ready), int(rounds), int(pending)

    @property
    def pending(self) -> int:
        return self._read()[2]

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        state = self.directory / ".flusher.state"
        state.write_bytes(STATE.pack(0, 0, 0))
        with state.open("r+b") as fh:
            self._state = mmap.mmap(fh.fileno(), STATE.size)
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sociable.track.flusher_child",
                str(self.directory),
                str(self.interval),
                str(self.batch_size),
                str(os.getpid()),
            ],
            env={
                **os.environ,
                "SOCIABLE_FLUSHER_DATABASE_URL": self._url,
                "SOCIABLE_FLUSHER_CURRENCY": self.currency,
            },
            stdin=subprocess.DEVNULL,
        )

    def wake(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGUSR1)

    def flush_now(self, timeout: float = 60) -> None:
        """Wait for a full round that started after this call."""
        target = self._read()[1] + 2
        deadline = time.monotonic() + timeout
        while self._read()[1] < target and time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise RuntimeError("the click flusher process is not running")
            self.wake()
            time.sleep(0.02)

    def stop(self) -> None:
        if self._proc is not None:
            # A SIGTERM before the child installed its handler would skip the last flush.
            deadline = time.monotonic() + 60
            while not self._read()[0] and self._proc.poll() is None:
                if time.monotonic() > deadline:  # pragma: no cover
                    break
                time.sleep(0.01)
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=120)
            except subprocess.TimeoutExpired:  # pragma: no cover - a wedged database
                self._proc.kill()
            self._proc = None
        if self._state is not None:
            self._state.close()
            self._state = None
