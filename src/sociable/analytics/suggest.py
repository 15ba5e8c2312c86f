"""The best free posting times in the next week, for one or several accounts.

Every wall-clock hour of the next ``days`` days in the zone of the scores is a candidate
(:func:`~sociable.publish.slots.hourly_slots`, so DST gaps and repeats are handled there).
An hour is free for an account when none of its publications that hold a slot
(:func:`~sociable.publish.queue.held_times`) is due within it. For several accounts an hour
must be free for all of them, and it ranks by the mean of their lifts (score over the
account's group mean; a fallback group's lift is 1 inside a recommended window, 0 outside).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sociable.analytics.best_times import BestTimes, Group, best_times_in
from sociable.clock import zone
from sociable.publish.queue import held_times
from sociable.publish.slots import WEEKDAYS, hourly_slots
from sociable.store.models import Account, Workspace

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class AccountScore:
    account_id: int
    label: str
    score: float
    low: float | None
    high: float | None
    lift: float
    posts: int
    fallback: bool
    base: str | None


@dataclass(frozen=True)
class Suggestion:
    at: datetime  # UTC
    local: datetime  # in the scores' zone
    lift: float  # mean over the accounts
    fallback: bool  # some account has no history of its own here
    accounts: tuple[AccountScore, ...]

    @property
    def slot(self) -> str:
        return f"{WEEKDAYS[self.local.weekday()]} {self.local:%H:%M}"

    def to_json(self) -> dict[str, object]:
        return {
            "utc": self.at.isoformat(),
            "local": self.local.isoformat(timespec="minutes"),
            "slot": self.slot,
            "lift": self.lift,
            "fallback": self.fallback,
            "accounts": [a.__dict__ for a in self.accounts],
        }


def _group(result: BestTimes, account: Account) -> Group | None:
    return result.group(account.network)


def _busy(held: set[datetime], instant: datetime) -> bool:
    return any(instant <= t < instant + HOUR for t in held)


def suggest(
    session: Session,
    workspace: Workspace,
    accounts: list[Account],
    *,
    now: datetime,
    count: int = 5,
    days: int = 7,
    result: BestTimes | None = None,
) -> list[Suggestion]:
    """The ``count`` best hours in the next ``days`` days free for every one of ``accounts``."""
    if not accounts or count <= 0:
        return []
    if result is None:
        result = best_times_in(session, workspace.id)
    tz = zone(result.timezone)
    held = {a.id: held_times(session, a.id) for a in accounts}
    groups = {a.id: _group(result, a) for a in accounts}
    found = []
    for instant, slot in hourly_slots(now, now + timedelta(days=days), tz):
        if any(_busy(held[a.id], instant) for a in accounts):
            continue
        scores = []
        for a in accounts:
            g = groups[a.id]
            if g is None:
                continue
            s = g.slot(slot.weekday, slot.at.hour)
            scores.append(
                AccountScore(
                    a.id,
                    f"{a.network}:{a.handle}",
                    s.score,
                    s.low,
                    s.high,
                    g.lift(s),
                    s.posts,
                    g.fallback,
                    g.base,
                )
            )
        if not scores:
            continue
        lift = sum(x.lift for x in scores) / len(scores)
        fallback = any(x.fallback for x in scores)
        found.append(Suggestion(instant, instant.astimezone(tz), lift, fallback, tuple(scores)))
    found.sort(key=lambda x: (-x.lift, x.at))
    return found[:count]
