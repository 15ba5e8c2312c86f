"""The calendar as RFC 5545 iCalendar, for Google Calendar, Outlook, Thunderbird ...

Each publication is one VEVENT:

- ``UID`` is ``<idempotency key>@sociable``: stable for the publication's whole life, so a
  re-export updates the event in a subscribed calendar instead of adding a copy.
- ``DTSTART`` is the due time in UTC (``...Z``), never a floating local time: no one-hour
  shifts in a reader in another zone. The event has no length (RFC 5545 3.6.1: a DATE-TIME
  start without end or duration is an instant).
- ``SEQUENCE`` counts the publication's state changes, so readers take the newest.
- ``STATUS`` is CANCELLED for cancelled publications, CONFIRMED once published, else TENTATIVE.

:func:`validate_ics` parses the output back with icalendar and checks these properties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from sociable import __version__
from sociable.publish.calendar import CalendarItem

PRODID = f"-//Sociable//Sociable {__version__}//EN"
UID_DOMAIN = "sociable"


def uid_for(item: CalendarItem) -> str:
    return f"{item.uid_key}@{UID_DOMAIN}"


def _status(state: str) -> str:
    if state == "cancelled":
        return "CANCELLED"
    if state == "published":
        return "CONFIRMED"
    return "TENTATIVE"


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def ical_text(text: str) -> str:
    """Text as RFC 5545 TEXT allows: line breaks as LF, no control characters but tab."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _summary(item: CalendarItem) -> str:
    text = ical_text(item.text)
    first_line = text.strip().splitlines()[0] if text.strip() else "(no text)"
    if len(first_line) > 60:
        first_line = first_line[:59] + "…"
    return f"[{item.account}] {first_line}"


def build_ics(items: Iterable[CalendarItem], *, name: str, now: datetime) -> bytes:
    """The iCalendar bytes (CRLF lines, folded at 75 octets by icalendar)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Sociable: {name}")
    stamp = now.astimezone(UTC)
    for item in items:
        event = Event()
        event.add("uid", uid_for(item))
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_at.astimezone(UTC))
        event.add("sequence", item.changes)
        event.add("summary", _summary(item))
        lines = [ical_text(item.text), "", f"account: {item.account}", f"state: {item.state}"]
        if item.reason:
            lines.append(f"reason: {ical_text(item.reason)}")
        if item.campaign:
            lines.append(f"campaign: {item.campaign}")
        if item.link:
            lines.append(f"link: {item.link}")
        event.add("description", "\n".join(lines))
        event.add("status", _status(item.state))
        if item.labels:
            event.add("categories", list(item.labels))
        if item.url:
            event.add("url", item.url)
        event.add("x-sociable-state", item.state)
        event.add("x-sociable-publication", str(item.publication_id))
        cal.add_component(event)
    return cal.to_ical()


class InvalidCalendar(ValueError):
    """What we wrote does not parse back as the calendar we meant."""


def validate_ics(data: bytes) -> list[dict[str, object]]:
    """Parse ``data`` back; return each event's uid, UTC start, state; raise if malformed."""
    try:
        cal = Calendar.from_ical(data)
    except ValueError as exc:
        raise InvalidCalendar(f"not iCalendar: {exc}") from exc
    assert isinstance(cal, Calendar)
    for required in ("PRODID", "VERSION"):
        if required not in cal:
            raise InvalidCalendar(f"VCALENDAR without {required}")
    if str(cal["VERSION"]) != "2.0":
        raise InvalidCalendar(f"VERSION is {cal['VERSION']}, expected 2.0")
    events: list[dict[str, object]] = []
    seen: set[str] = set()
    for event in cal.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            if required not in event:
                raise InvalidCalendar(f"VEVENT without {required}")
        uid = str(event["UID"])
        if uid in seen:
            raise InvalidCalendar(f"UID {uid} appears twice")
        seen.add(uid)
        start = event.decoded("DTSTART")
        if not isinstance(start, datetime) or start.utcoffset() is None or start.utcoffset():
            raise InvalidCalendar(f"{uid}: DTSTART is not a UTC date-time")
        events.append(
            {
                "uid": uid,
                "start": start.astimezone(UTC),
                "state": str(event.get("X-SOCIABLE-STATE", "")),
                "status": str(event.get("STATUS", "")),
                "summary": str(event.get("SUMMARY", "")),
                "sequence": int(event.get("SEQUENCE", 0)),
            }
        )
    return events
