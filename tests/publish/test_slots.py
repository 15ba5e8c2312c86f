"""Weekly slots across DST: the documented gap and overlap rules, checked against a brute force."""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.errors import UserError
from sociable.publish.slots import (
    SlotProvider,
    WeeklySlot,
    WeeklySlots,
    next_free_slot,
    next_free_slots,
    parse_slot,
    parse_slots,
    resolve_local,
)

ZONES = [
    "UTC",
    "America/New_York",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/St_Johns",
    "Europe/London",
    "Europe/Paris",
    "Europe/Moscow",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Pacific/Apia",
    "Pacific/Chatham",
    "Africa/Casablanca",
]


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def brute_force(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Scan every minute near the wall time: the first instant showing it, else the next one."""
    naive = datetime.combine(day, at)
    near = naive.replace(tzinfo=UTC)
    offsets = [
        (near + timedelta(hours=h)).astimezone(tz).utcoffset() or timedelta()
        for h in range(-48, 49, 6)
    ]
    start = near - max(offsets) - timedelta(hours=1)
    span = max(offsets) - min(offsets) + timedelta(hours=2)
    minutes = [start + timedelta(minutes=m) for m in range(int(span.total_seconds() // 60))]
    exact = [u for u in minutes if wall(u, tz) == naive]
    if exact:
        return exact[0]
    return next(u for u in minutes if wall(u, tz) > naive)


@functools.cache
def transitions(tz: ZoneInfo, year: int) -> list[datetime]:
    """The instants in ``year`` where the zone's offset changes (hourly scan + bisection)."""
    found = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    while t < end:
        if t.astimezone(tz).utcoffset() != (t + step).astimezone(tz).utcoffset():
            lo, hi = t, t + step
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        t += step
    return found


# --- the documented examples -------------------------------------------------------------

NY = ZoneInfo("America/New_York")


def test_spring_forward_gap_fires_at_the_first_valid_instant() -> None:
    # 2026-03-08: New York clocks jump 02:00 EST -> 03:00 EDT; 02:30 does not exist.
    got = resolve_local(date(2026, 3, 8), time(2, 30), NY)
    assert got == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert wall(got, NY) == datetime(2026, 3, 8, 3, 0)


def test_fall_back_overlap_fires_once_at_the_earlier_instant() -> None:
    # 2026-11-01: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    got = resolve_local(date(2026, 11, 1), time(1, 30), NY)
    assert got == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    slots = WeeklySlots([parse_slot("sun 01:30")], "America/New_York")
    start = datetime(2026, 10, 31, tzinfo=UTC)
    week = [t for t in slots.occurrences(start) if t < start + timedelta(days=7)]
    assert week == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]


def test_local_time_holds_across_the_change() -> None:
    """09:00 Paris stays 09:00 local: 08:00Z in winter, 07:00Z in summer (no one-hour shift)."""
    slots = WeeklySlots([parse_slot("sun 09:00")], "Europe/Paris")
    got = list(_take(slots.occurrences(datetime(2026, 3, 20, tzinfo=UTC)), 3))
    assert got == [
        datetime(2026, 3, 22, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),  # the day summer time starts
        datetime(2026, 4, 5, 7, 0, tzinfo=UTC),
    ]


def test_a_skipped_day_moves_to_the_next_valid_instant() -> None:
    # Samoa skipped Friday 2011-12-30 entirely.
    apia = ZoneInfo("Pacific/Apia")
    got = resolve_local(date(2011, 12, 30), time(9, 0), apia)
    assert wall(got, apia) == datetime(2011, 12, 31, 0, 0)
    slots = WeeklySlots([parse_slot("fri 09:00"), parse_slot("sat 00:00")], "Pacific/Apia")
    got_list = list(_take(slots.occurrences(datetime(2011, 12, 28, tzinfo=UTC)), 3))
    assert got_list == sorted(set(got_list))  # the two collide once and fire once


def _take(it, n):  # type: ignore[no-untyped-def]
    for i, x in enumerate(it):
        if i >= n:
            return
        yield x


# --- properties --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    day=st.dates(min_value=date(1975, 1, 1), max_value=date(2037, 12, 31)),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_resolve_matches_brute_force(zone_name: str, day: date, at: time) -> None:
    tz = ZoneInfo(zone_name)
    assert resolve_local(day, at, tz) == brute_force(day, at, tz)


@st.composite
def around_a_transition(draw: st.DrawFn) -> tuple[ZoneInfo, date, time]:
    """A wall time inside or next to a real DST gap or overlap: where the bugs live."""
    zone_name = draw(st.sampled_from([z for z in ZONES if z not in ("UTC", "Asia/Kathmandu")]))
    tz = ZoneInfo(zone_name)
    year = draw(st.integers(1995, 2030))
    found = transitions(tz, year)
    if not found:
        found = transitions(tz, 2011)  # Apia and others: a year that has one
    t = draw(st.sampled_from(found))
    before = (t - timedelta(seconds=1)).astimezone(tz).utcoffset()
    after_ = t.astimezone(tz).utcoffset()
    assert before is not None and after_ is not None
    span = abs(after_ - before)
    base = t.replace(tzinfo=None) + min(before, after_)
    local = base + timedelta(minutes=draw(st.integers(-10, int(span.total_seconds() // 60) + 10)))
    return tz, local.date(), local.time().replace(second=0, microsecond=0)


@settings(max_examples=120, deadline=None)
@given(case=around_a_transition())
def test_gap_and_overlap_match_brute_force(case: tuple[ZoneInfo, date, time]) -> None:
    tz, day, at = case
    got = resolve_local(day, at, tz)
    assert got == brute_force(day, at, tz)
    naive = datetime.combine(day, at)
    if wall(got, tz) != naive:  # in a gap: the instant just before still showed an earlier time
        assert wall(got - timedelta(seconds=1), tz) < naive < wall(got, tz)


@settings(max_examples=60, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    start=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    slot_texts=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
        min_size=1,
        max_size=6,
    ),
)
def test_occurrences_are_one_per_slot_per_week_in_order(
    zone_name: str, start: datetime, slot_texts: list[tuple[int, int, int]]
) -> None:
    slots = sorted({WeeklySlot(d, time(h, m)) for d, h, m in slot_texts})
    provider = WeeklySlots(slots, zone_name)
    assert isinstance(provider, SlotProvider)
    tz = ZoneInfo(zone_name)
    horizon = start + timedelta(days=28)
    got = [t for t in _take(provider.occurrences(start), 200) if t <= horizon]
    assert all(a < b for a, b in itertools.pairwise(got))
    assert all(t > start for t in got)
    # The oracle: every slot on every local day in the window, resolved by brute force.
    expected = set()
    day = start.astimezone(tz).date() - timedelta(days=1)
    while day <= horizon.astimezone(tz).date() + timedelta(days=1):
        for s in slots:
            if s.weekday == day.weekday():
                t = brute_force(day, s.at, tz)
                if start < t <= horizon:
                    expected.add(t)
        day += timedelta(days=1)
    assert got == sorted(expected)


def test_next_free_slot_skips_taken_instants() -> None:
    provider = WeeklySlots(parse_slots(["mon 09:00", "wed 09:00"]), "Europe/Paris")
    after = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # a Monday
    first = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    second = datetime(2026, 6, 3, 7, 0, tzinfo=UTC)
    assert next_free_slot(provider, after) == first
    assert next_free_slot(provider, after, lambda t: t == first) == second
    assert next_free_slots(provider, after, [first], 2) == [second, first + timedelta(days=7)]


def test_no_slots_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="no free posting slot"):
        next_free_slot(WeeklySlots([], "UTC"), datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("mon 09:30", WeeklySlot(0, time(9, 30))), ("Sunday 7:05", WeeklySlot(6, time(7, 5)))],
)
def test_parse_slot(text: str, expected: WeeklySlot) -> None:
    assert parse_slot(text) == expected
    assert parse_slot(str(expected)) == expected


@pytest.mark.parametrize("text", ["", "xyz 09:00", "mon 24:00", "mon 9", "mon 09:60"])
def test_parse_slot_rejects(text: str) -> None:
    with pytest.raises(UserError):
        parse_slot(text)


def test_unknown_zone_is_a_user_error() -> None:
    with pytest.raises(UserError, match="Mars/Base"):
        WeeklySlots([], "Mars/Base")
