"""Reports over the store: one set of Ibis expressions, run on DuckDB or Spark.

:func:`run_report` reads the workspace's data for a date range (in the workspace's time zone,
both ends included), loads it into the engine and runs one kind of report, grouped by zero or
more dimensions. Each kind lives in its own module (``report_<kind>.py``); this one parses the
request and holds the :class:`Report` they fill.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from sociable.analytics import data
from sociable.analytics.engine import check_engine, connect
from sociable.analytics.frame import BASES, WEEKDAYS, Loaded, prepare
from sociable.analytics.stats import MIN_POSTS
from sociable.clock import zone
from sociable.errors import UserError
from sociable.store.db import Database
from sociable.store.models import Workspace

KINDS = ("engagement", "cadence", "growth", "funnel", "top")
DIMENSIONS = (
    "network",
    "account",
    "content_type",
    "label",
    "campaign",
    "hashtag",
    "segment",
    "weekday",
    "hour",
)
DEFAULT_DAYS = 28


class ReportError(UserError):
    """A report asked for something that does not exist (kind, dimension, date, base)."""


@dataclass
class Report:
    kind: str
    by: list[str]
    start: date
    end: date
    timezone: str
    engine: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    base: str | None = None  # the base forced with --base (None: each network's own)

    def to_json(self) -> dict[str, Any]:
        return {
            "report": self.kind,
            "by": list(self.by),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "timezone": self.timezone,
            "engine": self.engine,
            "base": self.base,
            "rows": [{k: _plain(v) for k, v in row.items()} for row in self.rows],
            "notes": list(self.notes),
            "comparisons": [{k: _plain(v) for k, v in c.items()} for c in self.comparisons],
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def columns(self) -> list[str]:
        """Every key of every row, in first-seen order."""
        seen: dict[str, None] = {}
        for row in self.rows:
            for key in row:
                seen.setdefault(key, None)
        return list(seen)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = self.columns()
        writer.writerow(columns)
        for row in self.rows:
            writer.writerow([cell(row.get(c)) for c in columns])
        return out.getvalue()


def cell(value: Any) -> str:
    """A value as one text cell: None empty, a mapping as ``k=v; ...``, a list joined."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Request:
    """What a report module needs: the loaded tables and the request's options."""

    db_tables: data.Tables
    loaded: Loaded
    backend: Any
    by: list[str]
    start: date
    end: date
    timezone: str
    base: str | None = None
    limit: int = 5
    measure: str | None = None
    min_posts: int = MIN_POSTS
    notes: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def fetch(self, expr: Any) -> list[dict[str, Any]]:
        """The rows of ``expr``, timestamps as aware UTC datetimes, weekdays by name."""
        rows = self.backend.to_pyarrow(expr).to_pylist()
        for row in rows:
            for key, value in row.items():
                if isinstance(value, datetime) and value.tzinfo is None:
                    row[key] = value.replace(tzinfo=UTC)  # Spark answers in its UTC session
        return rows


def parse_by(by: Sequence[str] | str | None) -> list[str]:
    """``"network,label"`` or ``["network", "label"]`` as a list of known dimensions."""
    if by is None:
        return []
    items = by.split(",") if isinstance(by, str) else [p for b in by for p in b.split(",")]
    out: list[str] = []
    for item in items:
        dim = item.strip().lower().replace("-", "_")
        if not dim:
            continue
        if dim not in DIMENSIONS:
            raise ReportError(f"unknown dimension {item!r}: choose {', '.join(DIMENSIONS)}")
        if dim in out:
            raise ReportError(f"dimension {dim!r} is given twice")
        out.append(dim)
    return out


def check_kind(kind: str) -> str:
    value = kind.strip().lower()
    if value not in KINDS:
        raise ReportError(f"unknown report {kind!r}: choose {', '.join(KINDS)}")
    return value


def check_base(base: str | None) -> str | None:
    if base is None:
        return None
    value = base.strip().lower()
    if value not in BASES:
        raise ReportError(f"unknown rate base {base!r}: choose {', '.join(BASES)}")
    return value


def parse_date(value: str | date | None, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ReportError(f"{value!r} is not a date (YYYY-MM-DD)", where=where) from None


def date_range(
    start: date | None, end: date | None, timezone: str, today: date | None = None
) -> tuple[date, date, datetime, datetime]:
    """The inclusive local date range and its UTC bounds ``[start 00:00, end + 1 00:00)``."""
    tz = zone(timezone)
    if end is None:
        end = today or datetime.now(tz).date()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ReportError(f"the range starts ({start}) after it ends ({end})", where="--from")
    lo = datetime.combine(start, datetime.min.time(), tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    return start, end, lo, hi


def workspace_timezone(db: Database, workspace_id: int) -> str:
    with db.read_session() as s:
        tz = s.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id))
    if tz is None:
        raise ReportError(f"no workspace with id {workspace_id}")
    return tz


def run_report(
    db: Database,
    workspace_id: int,
    kind: str,
    *,
    by: Sequence[str] = (),
    start: date | None = None,
    end: date | None = None,
    timezone: str | None = None,
    engine: str | None = None,
    base: str | None = None,
    limit: int = 5,
    measure: str | None = None,
    min_posts: int = MIN_POSTS,
    today: date | None = None,
) -> Report:
    """Run report ``kind`` over the workspace's data from ``start`` to ``end`` (local dates,
    both included; default the last 28 days ending today), grouped ``by`` dimensions."""
    kind = check_kind(kind)
    dims = parse_by(by)
    forced = check_base(base)
    engine_name = check_engine(engine or "duckdb")
    if limit < 1:
        raise ReportError(f"{limit} is not a positive number", where="--limit")
    tz = timezone or workspace_timezone(db, workspace_id)
    zone(tz)
    first, last, lo, hi = date_range(start, end, tz, today)
    runner = _runner(kind)
    tables = data.load_tables(db, workspace_id, start=lo, end=hi)
    backend = connect(engine_name)
    request = Request(
        db_tables=tables,
        loaded=prepare(backend, tables, tz),
        backend=backend,
        by=dims,
        start=first,
        end=last,
        timezone=tz,
        base=forced,
        limit=limit,
        measure=measure,
        min_posts=min_posts,
    )
    report = Report(kind, dims, first, last, tz, engine_name, base=forced)
    report.rows, report.comparisons = runner(request)
    for row in report.rows:
        if "weekday" in row and isinstance(row["weekday"], int):
            row["weekday"] = WEEKDAYS[row["weekday"]]
    list_dims = [d for d in dims if d in ("label", "hashtag")]
    if list_dims:
        request.notes.append(
            f"a post with several {' or '.join(d + 's' for d in list_dims)} counts in each of "
            f"their groups, so groups add up to more than the posts; posts with none are the "
            f"group with no {' / '.join(list_dims)}"
        )
    if {"weekday", "hour"} & set(dims):
        request.notes.append(f"weekday and hour are local to {tz}")
    if tables.unmapped:
        names = ", ".join(f"{k} ({v})" for k, v in sorted(tables.unmapped.items()))
        request.notes.append(f"readings no report uses were left out: {names}")
    report.notes = request.notes
    return report


def _runner(kind: str) -> Callable[[Request], tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """The ``run`` of module ``report_<kind>``."""
    import importlib

    try:
        module = importlib.import_module(f"sociable.analytics.report_{kind}")
    except ModuleNotFoundError:
        raise ReportError(f"the {kind} report is not available yet") from None
    runner: Callable[[Request], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = module.run
    return runner


def sort_rows(rows: list[dict[str, Any]], by: Sequence[str]) -> list[dict[str, Any]]:
    """Rows ordered by their dimension values, the group with no value last."""

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple((row[d] is None, row[d] if row[d] is not None else 0) for d in by)

    return sorted(rows, key=key)
