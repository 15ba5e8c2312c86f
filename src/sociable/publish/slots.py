"""Weekly posting slots in an account's IANA time zone, correct across DST changes.

A slot is a weekday and a wall-clock time ("mon 09:30") in the account's zone. Turning it into
an instant follows two documented rules:

- **Spring forward (gap).** A wall time that does not exist that day (02:30 in New York on the
  second Sunday of March) fires at the *first valid instant after the gap*: the transition
  itself, 03:00 local. It never fires an hour late (03:30) and never twice.
- **Fall back (overlap).** A wall time that exists twice (01:30 on the first Sunday of November)
  fires once, at its first occurrence (``fold=0``, the earlier instant).

Everything returned is an aware UTC datetime; zones appear only here, at the edge.

Where times come from is behind :class:`SlotProvider`: :class:`WeeklySlots` is the configured
list; a provider computed from analytics ("best times to post") can replace it later without
touching the queue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sociable.clock import zone
from sociable.errors import UserError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT_RE = re.compile(r"^\s*([A-Za-z]{3})[A-Za-z]*\s+(\d{1,2}):(\d{2})\s*$")
# How far ahead a queue looks for a free slot before giving up (about two years).
MAX_WEEKS = 104


@dataclass(frozen=True, order=True)
class WeeklySlot:
    """A weekday (0 = Monday) and a wall-clock time in the account's zone."""

    weekday: int
    at: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if self.at.tzinfo is not None:
            raise ValueError("a slot's time is wall-clock time; give it without a zone")

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M}"


def parse_slot(text: str) -> WeeklySlot:
    """``"mon 09:30"`` (or ``"Monday 9:30"``) to a :class:`WeeklySlot`; UserError if not."""
    match = _SLOT_RE.match(text)
    if not match:
        raise UserError(f"not a slot: {text!r} (write e.g. 'mon 09:30')")
    day, hour, minute = match.group(1).lower(), int(match.group(2)), int(match.group(3))
    if day not in WEEKDAYS:
        raise UserError(f"not a weekday in slot {text!r}: use {', '.join(WEEKDAYS)}")
    if hour > 23 or minute > 59:
        raise UserError(f"not a time of day in slot {text!r}")
    return WeeklySlot(WEEKDAYS.index(day), time(hour, minute))


def parse_slots(texts: Iterable[str]) -> list[WeeklySlot]:
    """Several slots, sorted and de-duplicated."""
    return sorted({parse_slot(t) for t in texts})


def _offset(instant: datetime, tz: ZoneInfo) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def resolve_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``at`` on ``day`` in ``tz``, by the module's DST rules."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant  # exists (once, or twice and fold=0 is the earlier one)
    # A gap: the wall time is skipped. Both folds give candidate instants on either side of
    # the transition; find the transition (the first instant with the later offset).
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = sorted((instant, second))
    after = _offset(hi, tz)
    if _offset(lo, tz) == after:  # pragma: no cover - zoneinfo always gives both sides
        return hi
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _offset(datetime.fromtimestamp(mid, UTC), tz) == after:
            hi_s = mid
        else:
            lo_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


@runtime_checkable
class SlotProvider(Protocol):
    """Where posting times come from.

    The hook for "best times to post": an analytics module implements ``occurrences`` from
    engagement data and the queue uses it unchanged.
    """

    def occurrences(self, after: datetime) -> Iterator[datetime]:
        """Candidate UTC instants strictly after ``after``, in increasing order, no repeats."""
        ...


@dataclass(frozen=True)
class WeeklySlots:
    """The configured weekly slots of one account, in its time zone."""

    slots: Sequence[WeeklySlot]
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        zone(self.timezone)

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def occurrences(self, after: datetime) -> Iterator[datetime]:
        if after.tzinfo is None:
            raise ValueError("occurrences(after=...) needs an aware datetime")
        if not self.slots:
            return
        tz = self.tz
        by_day: dict[int, list[time]] = {}
        for slot in sorted(set(self.slots)):
            by_day.setdefault(slot.weekday, []).append(slot.at)
        # Start a day early: a gap can push a slot past midnight into the next day.
        day = after.astimezone(tz).date() - timedelta(days=1)
        last: datetime | None = None
        for _ in range((MAX_WEEKS + 1) * 7):
            for at in by_day.get(day.weekday(), ()):
                instant = resolve_local(day, at, tz)
                if instant > after and (last is None or instant > last):
                    last = instant
                    yield instant
            day += timedelta(days=1)


def hourly_slots(
    after: datetime, until: datetime, tz: ZoneInfo
) -> Iterator[tuple[datetime, WeeklySlot]]:
    """Every wall-clock hour in ``tz`` with ``after < instant <= until``, as (UTC instant,
    its weekly slot), in order. An hour a spring-forward gap skips is not there; an hour a
    fall-back repeats comes once, at its first occurrence (the module's DST rules)."""
    day = after.astimezone(tz).date() - timedelta(days=1)
    last = until.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        for hour in range(24):
            at = time(hour)
            instant = resolve_local(day, at, tz)
            if instant.astimezone(tz).hour != hour:
                continue  # in the gap: that hour does not exist that day
            if after < instant <= until:
                yield instant, WeeklySlot(day.weekday(), at)
        day += timedelta(days=1)


def next_free_slot(
    provider: SlotProvider,
    after: datetime,
    is_taken: Callable[[datetime], bool] = lambda _instant: False,
) -> datetime:
    """The first instant from ``provider`` after ``after`` that ``is_taken`` says is free."""
    for instant in provider.occurrences(after):
        if not is_taken(instant):
            return instant
    raise UserError(
        "no free posting slot in the next two years: add slots with `sociable queue slots`"
    )


def next_free_slots(
    provider: SlotProvider, after: datetime, taken: Iterable[datetime], count: int
) -> list[datetime]:
    """``count`` free instants in order; ``taken`` instants (UTC) are skipped."""
    busy = {t.astimezone(UTC) for t in taken}
    found: list[datetime] = []
    for instant in provider.occurrences(after):
        if instant not in busy:
            found.append(instant)
            if len(found) == count:
                return found
    raise UserError(
        "no free posting slot in the next two years: add slots with `sociable queue slots`"
    )
