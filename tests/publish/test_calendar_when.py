"""Reading people's date-times and the calendar's week/month windows, across zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.errors import UserError
from sociable.publish.calendar import window
from sociable.publish.when import format_local, parse_when

ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
]


@settings(max_examples=200, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    instant=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: d.replace(microsecond=0)),
)
def test_what_export_writes_reads_back_to_the_same_instant(
    zone_name: str, instant: datetime
) -> None:
    tz = ZoneInfo(zone_name)
    text = format_local(instant, tz)
    assert parse_when(text, "UTC", "f") == instant
    # The same text with the zone appended must agree (the offset is checked against it).
    assert parse_when(f"{text} {zone_name}", "UTC", "f") == instant


@settings(max_examples=200, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    naive=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
)
def test_a_wall_time_is_exact_or_refused(zone_name: str, naive: datetime) -> None:
    """Never a silent shift: the instant shows the same wall time, or it is an error."""
    tz = ZoneInfo(zone_name)
    text = naive.strftime("%Y-%m-%d %H:%M")
    try:
        got = parse_when(text, zone_name, "f")
    except UserError as exc:
        assert "does not exist" in str(exc) or "happens twice" in str(exc)
        early = naive.replace(tzinfo=tz, fold=0)
        late = naive.replace(tzinfo=tz, fold=1)
        assert early.utcoffset() != late.utcoffset()
        return
    assert got.astimezone(tz).replace(tzinfo=None) == naive
    assert parse_when(f"{text}[{zone_name}]", "UTC", "f") == got


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-01T09:00Z", datetime(2030, 1, 1, 9, tzinfo=UTC)),
        ("2030-01-01 09:00+01:00", datetime(2030, 1, 1, 8, tzinfo=UTC)),
        ("2030-07-01 09:00 Europe/Paris", datetime(2030, 7, 1, 7, tzinfo=UTC)),
        ("2030-07-01T09:00[America/New_York]", datetime(2030, 7, 1, 13, tzinfo=UTC)),
        ("2030-07-01 09:00", datetime(2030, 7, 1, 9, tzinfo=UTC)),  # default zone: UTC
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    assert parse_when(text, "UTC", "f") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tomorrow", "not an ISO 8601"),
        ("2030-02-30 09:00", "not an ISO 8601"),
        ("2030-02-01", "no time of day"),
        (date(2030, 2, 1), "no time of day"),
        ("2030-07-01 09:00 Mars/Base", "Mars/Base"),
        ("2030-07-01T09:00+05:00 Europe/Paris", "not Europe/Paris's offset"),
        (42, "expected a date-time"),
    ],
)
def test_refused_forms_name_the_field(value: object, message: str) -> None:
    with pytest.raises(UserError, match=message) as info:
        parse_when(value, "UTC", "posts.csv: row 3")
    assert str(info.value).startswith("posts.csv: row 3: ")


def test_week_window_across_spring_forward_is_167_hours() -> None:
    lo, hi, days = window("week", date(2030, 3, 27), ZoneInfo("Europe/Paris"))
    assert days[0] == date(2030, 3, 25) and days[-1] == date(2030, 3, 31)
    assert hi - lo == timedelta(hours=167)
    assert lo == datetime(2030, 3, 24, 23, tzinfo=UTC)


def test_month_window() -> None:
    lo, hi, days = window("month", date(2030, 2, 14), ZoneInfo("America/New_York"))
    assert len(days) == 28 and days[0] == date(2030, 2, 1)
    assert lo == datetime(2030, 2, 1, 5, tzinfo=UTC) and hi == datetime(2030, 3, 1, 5, tzinfo=UTC)
