"""Reading a person's date-time: ISO 8601 with an offset, with an IANA zone, or local.

Accepted forms (``where`` names the file, row or field in every error):

- ``2026-12-01T09:00:00+01:00`` / ``2026-12-01 09:00Z``: an offset; exact.
- ``2026-12-01T09:00[Europe/Paris]`` (RFC 9557) or ``2026-12-01 09:00 Europe/Paris``: a zone.
- ``2026-12-01 09:00``: no offset, read in the workspace's time zone.

A wall time with a zone but no offset must name one instant: a time inside a spring-forward
gap (it never happens) or a fall-back overlap (it happens twice) is an error asking for an
offset, never a silent one-hour shift. (Weekly *slots* instead follow the rules in
:mod:`sociable.publish.slots`, because a slot must fire every week.)
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sociable.clock import zone
from sociable.errors import UserError

_ZONE_SUFFIX = re.compile(
    r"^(?P<dt>.+?)(?:\[(?P<b>[^\]]+)\]|\s+(?P<z>[A-Za-z_]+/[A-Za-z0-9_+\-/]+|UTC))$"
)


def localize(naive: datetime, tz: ZoneInfo, where: str) -> datetime:
    """``naive`` wall time in ``tz`` as aware UTC; an error when it is skipped or doubled."""
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        back = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if back != naive:
            raise UserError(
                f"{naive:%Y-%m-%d %H:%M} does not exist in {tz.key} (clocks jump forward); "
                "pick another time or give an offset",
                where=where,
            )
        raise UserError(
            f"{naive:%Y-%m-%d %H:%M} happens twice in {tz.key} (clocks go back); "
            f"give an offset, e.g. {early.isoformat(timespec='minutes')} or "
            f"{late.isoformat(timespec='minutes')}",
            where=where,
        )
    return early.astimezone(UTC)


def parse_when(value: object, default_tz: str, where: str) -> datetime:
    """A date-time from a string or a YAML-parsed datetime, as aware UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return localize(value, zone(default_tz), where)
    if isinstance(value, date):
        raise UserError(f"{value.isoformat()} has no time of day; write e.g. 09:00", where=where)
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"expected a date-time, got {value!r}", where=where)
    text = value.strip()
    tz_name: str | None = None
    match = _ZONE_SUFFIX.match(text)
    if match:
        text, tz_name = match.group("dt").strip(), match.group("b") or match.group("z")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"{value!r} is not an ISO 8601 date-time (e.g. 2026-12-01T09:00+01:00 or "
            "2026-12-01 09:00 Europe/Paris)",
            where=where,
        ) from None
    if len(text) <= 10 and "T" not in text and " " not in text:
        raise UserError(f"{value!r} has no time of day; write e.g. {text} 09:00", where=where)
    if tz_name is not None:
        try:
            tz = zone(tz_name)
        except UserError as exc:
            raise UserError(str(exc), where=where) from None
        if parsed.tzinfo is not None:
            # Both: the offset must be one the zone really has at that moment.
            if parsed.astimezone(tz).utcoffset() != parsed.utcoffset():
                raise UserError(
                    f"{value!r}: offset {parsed:%z} is not {tz_name}'s offset at that time",
                    where=where,
                )
            return parsed.astimezone(UTC)
        return localize(parsed, tz, where)
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return localize(parsed, zone(default_tz), where)


def not_in_past(when: datetime, now: datetime, where: str, grace: timedelta | None = None) -> None:
    """An error naming the time when it is already past (``grace``: allowed lateness)."""
    if when < now - (grace or timedelta(0)):
        raise UserError(
            f"{when:%Y-%m-%d %H:%M}Z is in the past (now {now:%Y-%m-%d %H:%M}Z)", where=where
        )


def format_local(when: datetime, tz: ZoneInfo) -> str:
    """ISO 8601 with the zone's offset: unambiguous and readable (what exports write)."""
    return when.astimezone(tz).isoformat(timespec="minutes" if when.second == 0 else "seconds")
