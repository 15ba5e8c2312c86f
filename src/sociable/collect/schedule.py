"""When a post's metrics are read again: often while it is new, then less and less.

Hourly for its first 48 hours (most engagement comes then), daily until 30 days, weekly
until ``max_age``; after that it is left with the snapshots it has.
"""

from __future__ import annotations

from datetime import datetime, timedelta

HOURLY_UNTIL = timedelta(hours=48)
DAILY_UNTIL = timedelta(days=30)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def interval(age: timedelta, max_age: timedelta) -> timedelta | None:
    """The gap between readings for a post this old; None once it is past ``max_age``."""
    if age >= max_age:
        return None
    if age < HOURLY_UNTIL:
        return HOUR
    if age < DAILY_UNTIL:
        return DAY
    return WEEK


def is_due(
    published_at: datetime, last_taken: datetime | None, now: datetime, max_age: timedelta
) -> bool:
    """Read it now? Never read: yes (while young enough); else when its interval has passed."""
    gap = interval(max(now - published_at, timedelta(0)), max_age)
    if gap is None:
        return False
    return last_taken is None or now - last_taken >= gap
