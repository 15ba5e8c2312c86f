"""What `sociable status` reports: is the publisher keeping up, and is anything stuck?

Built so that a dead worker or a stuck post cannot look healthy: lag is measured from the due
time to the moment the network accepted the post, a worker is alive only if it polled
recently, and a publication due a while ago but not sent is listed by id.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sociable.clock import Clock, system_clock
from sociable.store.models.publish import Publication, PubState, WorkerHeartbeat

S = PubState


@dataclass
class WorkerInfo:
    worker_id: str
    host: str
    pid: int
    last_poll: datetime
    seconds_since_poll: float
    alive: bool
    stopped: bool
    processed: int


@dataclass
class StuckItem:
    publication_id: int
    state: str
    due_at: datetime
    why: str
    worker: str | None
    reason: str | None


@dataclass
class Status:
    now: datetime
    counts: dict[str, int]
    lag_seconds_p50: float | None
    lag_seconds_p99: float | None
    lag_sample: int
    due_not_sent: int
    oldest_due_seconds: float | None
    stuck: list[StuckItem] = field(default_factory=list)
    workers: list[WorkerInfo] = field(default_factory=list)

    @property
    def live_workers(self) -> int:
        return sum(1 for w in self.workers if w.alive)

    @property
    def healthy(self) -> bool:
        """Nothing stuck: every due post was sent in time, no lease is orphaned, none unknown.

        A dead worker shows up here as soon as the posts it should have sent are overdue.
        """
        return not self.stuck and self.due_not_sent == 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["live_workers"] = self.live_workers
        data["healthy"] = self.healthy
        return data


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]


def collect(
    session: Session,
    *,
    clock: Clock = system_clock,
    workspace_id: int | None = None,
    window: timedelta = timedelta(hours=24),
    grace: timedelta = timedelta(minutes=2),
    alive_within: timedelta = timedelta(seconds=30),
    stuck_limit: int = 50,
) -> Status:
    now = clock()

    def scoped(stmt: Any) -> Any:
        if workspace_id is not None:
            return stmt.where(Publication.workspace_id == workspace_id)
        return stmt

    counts = {state.value: 0 for state in S}
    for state, n in session.execute(
        scoped(select(Publication.state, func.count()).group_by(Publication.state))
    ):
        counts[state] = n

    lag_rows = session.execute(
        scoped(
            select(Publication.due_at, Publication.published_at)
            .where(
                Publication.state == S.PUBLISHED.value,
                Publication.published_at >= now - window,
            )
            .order_by(Publication.published_at.desc())
            .limit(20000)
        )
    ).all()
    lags = [max(0.0, (p - d).total_seconds()) for d, p in lag_rows if p is not None]

    waiting = (S.SCHEDULED.value, S.FAILED_RETRYABLE.value)
    due_filter = scoped(
        select(func.count(), func.min(Publication.due_at)).where(
            Publication.state.in_(waiting), Publication.next_attempt_at <= now - grace
        )
    )
    due_not_sent, oldest = session.execute(due_filter).one()

    stuck: list[StuckItem] = []
    rows = session.scalars(
        scoped(
            select(Publication)
            .where(
                or_(
                    (Publication.state.in_((S.CLAIMED.value, S.SENDING.value)))
                    & (Publication.lease_until < now),
                    (Publication.state.in_(waiting)) & (Publication.next_attempt_at <= now - grace),
                    Publication.state == S.UNKNOWN.value,
                )
            )
            .order_by(Publication.due_at)
            .limit(stuck_limit)
        )
    ).all()
    for pub in rows:
        if pub.state in (S.CLAIMED.value, S.SENDING.value):
            why = f"lease of {pub.worker} expired: no live worker is recovering it"
        elif pub.state == S.UNKNOWN.value:
            why = (
                "outcome unknown: needs a person"
                if pub.next_attempt_at is None
                else "outcome unknown: being reconciled"
            )
        else:
            why = "due but not sent: is a worker running?"
        stuck.append(
            StuckItem(
                publication_id=pub.id,
                state=pub.state,
                due_at=pub.due_at,
                why=why,
                worker=pub.worker,
                reason=pub.reason,
            )
        )

    workers = []
    for hb in session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_poll.desc())):
        age = (now - hb.last_poll).total_seconds()
        stopped = hb.stopped_at is not None
        workers.append(
            WorkerInfo(
                worker_id=hb.worker_id,
                host=hb.host,
                pid=hb.pid,
                last_poll=hb.last_poll,
                seconds_since_poll=round(age, 1),
                alive=not stopped and age <= alive_within.total_seconds(),
                stopped=stopped,
                processed=hb.processed,
            )
        )

    return Status(
        now=now,
        counts=counts,
        lag_seconds_p50=percentile(lags, 0.50),
        lag_seconds_p99=percentile(lags, 0.99),
        lag_sample=len(lags),
        due_not_sent=int(due_not_sent or 0),
        oldest_due_seconds=(now - oldest).total_seconds() if oldest is not None else None,
        stuck=stuck,
        workers=workers,
    )
