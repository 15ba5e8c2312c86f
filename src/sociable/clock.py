"""One clock for the whole program, so tests can move time.

UTC inside; convert to the user's IANA time zone only at the edges.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sociable.errors import UserError

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until told to move; for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.now = at.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def zone(name: str) -> ZoneInfo:
    """An IANA zone by name, or a UserError naming the bad zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"unknown IANA time zone {name!r} (e.g. 'Europe/Paris')") from exc
