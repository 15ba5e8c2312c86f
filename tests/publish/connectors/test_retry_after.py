"""How long to wait, from each network's rate-limit headers (base._retry_after)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
from hypothesis import given
from hypothesis import strategies as st

from sociable.publish.connectors.base import _retry_after


def wait(**headers: str) -> float | None:
    return _retry_after(httpx.Response(429, headers=headers))


def test_retry_after_seconds_and_http_date() -> None:
    assert wait(**{"Retry-After": "120"}) == 120
    later = datetime.now(UTC) + timedelta(seconds=90)
    got = wait(**{"Retry-After": format_datetime(later, usegmt=True)})
    assert got is not None and 85 <= got <= 90
    assert wait(**{"Retry-After": "soon"}) is None


def test_x_reset_is_an_epoch() -> None:
    got = wait(**{"x-rate-limit-reset": str(int(time.time()) + 900)})
    assert got is not None and 895 <= got <= 900


def test_reddit_reset_is_seconds() -> None:
    assert wait(**{"x-ratelimit-reset": "37"}) == 37


def test_mastodon_reset_is_iso_8601() -> None:
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    got = wait(**{"X-RateLimit-Reset": later})
    assert got is not None and 295 <= got <= 300


def test_past_resets_mean_now_and_nothing_means_unknown() -> None:
    assert wait(**{"x-rate-limit-reset": str(int(time.time()) - 100)}) == 0
    assert wait() is None


@given(st.integers(min_value=0, max_value=10**6))
def test_small_numbers_are_seconds(seconds: int) -> None:
    assert wait(**{"x-ratelimit-reset": str(seconds)}) == seconds
    assert wait(**{"retry-after": str(seconds)}) == seconds
