"""ICS export: RFC 5545 shape, UIDs stable per publication, DTSTART in UTC, parsed back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from sociable.publish.calendar import CalendarItem
from sociable.publish.ical import InvalidCalendar, build_ics, validate_ics
from tests.publish.calendar_env import Env, make_env, write

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def item(n: int, due: datetime, state: str = "scheduled", text: str = "Hello") -> CalendarItem:
    return CalendarItem(
        publication_id=n,
        post_id=n,
        uid_key=f"key{n:04d}",
        due_at=due,
        state=state,
        account="x:acme",
        network="x",
        text=text,
        labels=["launch"],
    )


@settings(max_examples=50, deadline=None)
@given(
    dues=st.lists(
        st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2099, 12, 31),
            timezones=st.sampled_from(
                [
                    UTC,
                    ZoneInfo("Europe/Paris"),
                    ZoneInfo("America/New_York"),
                    ZoneInfo("Asia/Kathmandu"),
                ]
            ),
        ),
        max_size=8,
    ),
    text=st.text(min_size=1, max_size=300),
)
def test_build_then_parse_back(dues: list[datetime], text: str) -> None:
    items = [item(i, d, text=text) for i, d in enumerate(dues)]
    data = build_ics(items, name="Acme", now=NOW)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded per RFC 5545 3.1
    events = validate_ics(data)
    assert [e["uid"] for e in events] == [f"key{i:04d}@sociable" for i in range(len(dues))]
    assert [e["start"] for e in events] == [d.astimezone(UTC).replace(microsecond=0) for d in dues]
    assert b"DTSTART:" in data or not dues  # a UTC value, no TZID parameter
    assert b"TZID" not in data
    cal = Calendar.from_ical(data)
    descriptions = [str(e["DESCRIPTION"]) for e in cal.walk("VEVENT")]
    # RFC 5545 TEXT: CR and CRLF become LF; control characters other than tab are dropped.
    expected = "".join(
        c
        for c in text.replace("\r\n", "\n").replace("\r", "\n")
        if c in "\t\n" or not (ord(c) < 32 or ord(c) == 127)
    )
    assert all(d.startswith(expected + "\n\naccount: ") for d in descriptions)


def test_states_map_to_status() -> None:
    due = datetime(2030, 5, 1, 9, tzinfo=UTC)
    data = build_ics(
        [item(1, due, "cancelled"), item(2, due, "published"), item(3, due, "failed")],
        name="Acme",
        now=NOW,
    )
    assert [e["status"] for e in validate_ics(data)] == ["CANCELLED", "CONFIRMED", "TENTATIVE"]


def test_validate_rejects_broken_files() -> None:
    with pytest.raises(InvalidCalendar):
        validate_ics(b"not a calendar")
    good = build_ics([item(1, NOW)], name="A", now=NOW)
    with pytest.raises(InvalidCalendar, match="UID"):
        validate_ics(good.replace(b"UID:key0001@sociable\r\n", b""))
    twice = build_ics([item(1, NOW), item(1, NOW + timedelta(hours=1))], name="A", now=NOW)
    with pytest.raises(InvalidCalendar, match="twice"):
        validate_ics(twice)


# --- through the CLI, on both databases -----------------------------------------------


@pytest.fixture
def env(cli, database_url: str, tmp_path: Path) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    e = make_env(cli, database_url, tmp_path, timezone="America/New_York")
    e.account("mastodon", "@acme@mastodon.social")
    e.account("x", "acme")
    yield e
    e.close()


def test_calendar_export_uid_stable_across_reschedule(env: Env, tmp_path: Path) -> None:
    post = write(
        tmp_path / "p.md",
        "---\naccounts: [mastodon, x]\nwhen: 2030-03-10 02:30 Europe/London\n---\nHi\n",
    )
    assert env.run("post", "new", str(post)).code == 0
    out = tmp_path / "cal.ics"
    result = env.run("calendar", "export", "--ics", str(out))
    assert result.code == 0, result.err
    first = validate_ics(out.read_bytes())
    assert {e["start"] for e in first} == {datetime(2030, 3, 10, 2, 30, tzinfo=UTC)}
    assert all(e["sequence"] == 0 for e in first)

    assert env.run("post", "reschedule", "1", "2030-03-12T15:00Z").code == 0
    assert env.run("calendar", "export", "--ics", str(out)).code == 0
    second = validate_ics(out.read_bytes())
    assert [e["uid"] for e in second] == [e["uid"] for e in first]
    assert {e["start"] for e in second} == {datetime(2030, 3, 12, 15, tzinfo=UTC)}
    assert all(e["sequence"] == 1 for e in second)

    only_x = env.run("calendar", "export", "--ics", str(out), "--account", "x")
    assert only_x.code == 0 and len(validate_ics(out.read_bytes())) == 1


def test_calendar_terminal_week_and_month(env: Env, tmp_path: Path) -> None:
    post = write(
        tmp_path / "p.md", "---\naccounts: [x]\nwhen: 2030-03-10T06:30Z\n---\nWeekly news\n"
    )
    assert env.run("post", "new", str(post)).code == 0
    # 06:30Z is 01:30 in New York on Sunday 10 March 2030 (EST, before the 02:00 change).
    week = env.run("calendar", "--week", "--from", "2030-03-06")
    assert week.code == 0, week.err
    assert "Sun 10 Mar" in week.out and "01:30 x:acme (scheduled) Weekly news" in week.out
    month = env.run("calendar", "--month", "--from", "2030-03-20", "--account", "x")
    assert month.code == 0 and "1 publication(s)" in month.out
    other = env.run("calendar", "--week", "--from", "2030-03-11")
    assert "0 publication(s)" in other.out
    bad = env.run("calendar", "--from", "next week")
    assert bad.code == 2 and "--from" in bad.err
