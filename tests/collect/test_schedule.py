"""The decaying schedule, walked hour by hour over a post's life (property-based)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from sociable.collect.schedule import DAILY_UNTIL, HOURLY_UNTIL, interval, is_due

T0 = datetime(2026, 3, 1, tzinfo=UTC)
H = timedelta(hours=1)


def readings(max_age_days: int, tick: timedelta = H) -> list[datetime]:
    """When a collector running every ``tick`` reads one post published at T0."""
    max_age = timedelta(days=max_age_days)
    taken: list[datetime] = []
    now = T0
    while now <= T0 + max_age + timedelta(days=8):
        if is_due(T0, taken[-1] if taken else None, now, max_age):
            taken.append(now)
        now += tick
    return taken


@given(st.integers(min_value=2, max_value=200))
def test_gaps_follow_the_age_and_never_pass_max_age(max_age_days: int) -> None:
    max_age = timedelta(days=max_age_days)
    taken = readings(max_age_days)
    assert taken[0] == T0 and all(t - T0 < max_age for t in taken)
    for before, after in pairwise(taken):
        assert after - before == interval(
            after - T0, max_age
        )  # exactly as often as the schedule says


@given(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_an_older_post_is_never_read_more_often(a: timedelta, b: timedelta) -> None:
    young, old = sorted((a, b))
    max_age = timedelta(days=365)
    gap_young, gap_old = interval(young, max_age), interval(old, max_age)
    if gap_old is not None:
        assert gap_young is not None and gap_young <= gap_old


def test_the_documented_phases() -> None:
    ages = [t - T0 for t in readings(90)]
    gaps = {(b, b - a) for a, b in pairwise(ages)}
    assert sum(age < HOURLY_UNTIL for age in ages) == 48  # hourly for two days
    assert {gap for b, gap in gaps if HOURLY_UNTIL <= b < DAILY_UNTIL} == {timedelta(days=1)}
    assert {gap for b, gap in gaps if b >= DAILY_UNTIL} == {timedelta(days=7)}


def test_a_post_from_the_future_is_read_as_new() -> None:
    assert is_due(T0 + H, None, T0, timedelta(days=90))
