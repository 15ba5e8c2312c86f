"""Small pieces the Analytics page and its exports share: the period, CSV text, the heatmap.

No figure is computed here: rows come from :mod:`sociable.analytics.reports`; this module
picks the period, writes rows as CSV and lays a weekday x hour report out as a grid.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sociable.errors import UserError

PRESETS = (7, 28, 90)
DEFAULT_DAYS = 28
MAX_DAYS = 3660
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Period:
    """Days ``start``..``end``, both included, in the workspace's time zone."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (what changes compare with)."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def choose_period(start: date | None, end: date | None, today: date) -> Period:
    """The period asked for; by default the last :data:`DEFAULT_DAYS` days up to today."""
    last = end or today
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise UserError(f"from {first.isoformat()} is after to {last.isoformat()}")
    if (last - first).days >= MAX_DAYS:
        raise UserError(f"a period is at most {MAX_DAYS} days long")
    return Period(first, last)


def preset(days: int, today: date) -> Period:
    return Period(today - timedelta(days=days - 1), today)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(dict(value), sort_keys=True, default=str)
    return str(value)


def columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key of the rows, in the order they first appear."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def csv_text(rows: Sequence[Mapping[str, Any]], header: Sequence[str] | None = None) -> str:
    """Rows as CSV: one column per key (missing = empty), lists joined by ``;``, floats
    written in full (``repr``), so the file holds the same numbers as the report."""
    names = list(header) if header is not None else columns(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in names])
    return out.getvalue()


@dataclass
class Cell:
    weekday: int  # 0 = Monday
    hour: int
    value: float | None
    posts: int
    shade: float = 0.0  # 0..1 of the largest value on the grid

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00"


@dataclass
class Heatmap:
    """Weekday x hour cells; ``measure`` says what a cell's value is, ``source`` where it
    comes from, ``notes`` anything the reader must know (thin data, a base)."""

    measure: str
    source: str
    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def filled(self) -> list[Cell]:
        return [c for c in self.cells if c.value is not None]

    @property
    def best(self) -> Cell | None:
        filled = self.filled
        return max(filled, key=lambda c: (c.value or 0, c.posts)) if filled else None

    def at(self, weekday: int, hour: int) -> Cell | None:
        for cell in self.cells:
            if cell.weekday == weekday and cell.hour == hour:
                return cell
        return None


def weekday_index(value: Any) -> int:
    """A report's weekday (0-6 from Monday, ISO 1-7, or an English name) as 0 = Monday."""
    if isinstance(value, str):
        word = value.strip()[:3].title()
        if word in WEEKDAYS:
            return WEEKDAYS.index(word)
        value = int(word)
    number = int(value)
    if 0 <= number <= 6:
        return number
    if number == 7:
        return 6  # ISO Sunday
    raise ValueError(f"not a weekday: {value!r}")


def heatmap(
    rows: Iterable[Mapping[str, Any]],
    *,
    value: str,
    measure: str,
    source: str,
    posts: str = "posts",
    notes: Sequence[str] = (),
) -> Heatmap:
    """Lay rows with ``weekday``, ``hour`` and ``value`` out on the grid (a slot with no
    row, or a row whose value is None, stays empty: it is not a zero)."""
    grid = Heatmap(measure=measure, source=source, notes=list(notes))
    for row in rows:
        if row.get("weekday") is None or row.get("hour") is None:
            continue
        raw = row.get(value)
        grid.cells.append(
            Cell(
                weekday=weekday_index(row["weekday"]),
                hour=int(row["hour"]),
                value=None if raw is None else float(raw),
                posts=int(row.get(posts) or 0),
            )
        )
    top = max((c.value for c in grid.filled if c.value is not None), default=0.0)
    for cell in grid.filled:
        cell.shade = (cell.value or 0.0) / top if top > 0 else 0.0
    return grid
