"""Status figures: percentiles by nearest rank, and a dead worker shows as silent."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from sociable.clock import FrozenClock
from sociable.publish.states import transition
from sociable.publish.status import collect, percentile
from sociable.store.db import Database
from sociable.store.models.publish import WorkerHeartbeat
from tests.publish import factories as f

T0 = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=200))
def test_percentile_is_a_member_and_ordered(values: list[float]) -> None:
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    assert p50 in values and p99 in values
    assert p50 is not None and p99 is not None and p50 <= p99 <= max(values)
    below = sum(1 for v in values if v <= p50)
    assert below >= math.ceil(0.5 * len(values))


def test_percentile_of_nothing_is_none() -> None:
    assert percentile([], 0.5) is None


def test_status_counts_lag_stuck_and_workers(db: Database) -> None:
    clock = FrozenClock(T0)
    with db.session() as s:
        ws = f.workspace(s)
        acc = f.account(s, ws)
        sent = f.publication(s, ws, acc, T0 - timedelta(seconds=30))
        transition(s, sent, "claimed", worker="w1", claim_token="t", lease_until=T0)
        transition(s, sent, "sending", worker="w1", expect_token="t")
        transition(s, sent, "published", worker="w1", published_at=T0 - timedelta(seconds=28))
        overdue = f.publication(s, ws, acc, T0 - timedelta(minutes=10))
        orphan = f.publication(s, ws, acc, T0 - timedelta(minutes=1))
        transition(s, orphan, "claimed", worker="gone", lease_until=T0 - timedelta(seconds=5))
        f.publication(s, ws, acc, T0 + timedelta(days=1))
        s.add(WorkerHeartbeat(worker_id="alive", last_poll=T0 - timedelta(seconds=3)))
        s.add(WorkerHeartbeat(worker_id="gone", last_poll=T0 - timedelta(minutes=5)))
    with db.session() as s:
        report = collect(s, clock=clock)
    assert report.counts["published"] == 1 and report.counts["scheduled"] == 2
    assert report.lag_seconds_p50 == 2.0 and report.lag_sample == 1
    assert report.due_not_sent == 1 and report.oldest_due_seconds == 600
    stuck = {item.publication_id: item.why for item in report.stuck}
    assert "due but not sent" in stuck[overdue.id]
    assert "lease of gone expired" in stuck[orphan.id]
    workers = {w.worker_id: w.alive for w in report.workers}
    assert workers == {"alive": True, "gone": False}
    assert not report.healthy
