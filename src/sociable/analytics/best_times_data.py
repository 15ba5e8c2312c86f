"""The posts best times are computed from: each post's latest value of every measure, and
the account's follower count nearest before the post went out.

Read with SQLAlchemy from ``social_post`` and ``metric_snapshot`` (a post's snapshots share
its account and ``remote_id == coalesce(social_post.remote_id, dedupe_key)``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.collect.metrics import measure_of
from sociable.store.models.analytics import SocialPost
from sociable.store.models.collect import MetricSnapshot


@dataclass
class PostRow:
    """One post as best times sees it."""

    account_id: int
    network: str
    segment: str | None
    posted_at: datetime  # aware, UTC
    measures: dict[str, int] = field(default_factory=dict)
    followers: int | None = None


def load_posts(
    s: Session, workspace_id: int, *, start: datetime | None, end: datetime | None
) -> list[PostRow]:
    """The workspace's posts with ``start <= posted_at < end`` and their latest measures."""
    query = select(SocialPost).where(SocialPost.workspace_id == workspace_id)
    if start is not None:
        query = query.where(SocialPost.posted_at >= start)
    if end is not None:
        query = query.where(SocialPost.posted_at < end)
    posts = list(s.scalars(query.order_by(SocialPost.id)))
    accounts = sorted({p.account_id for p in posts})
    snaps = (
        s.execute(
            select(
                MetricSnapshot.account_id,
                MetricSnapshot.remote_id,
                MetricSnapshot.network,
                MetricSnapshot.metric,
                MetricSnapshot.value,
                MetricSnapshot.taken_at,
            )
            .where(
                MetricSnapshot.workspace_id == workspace_id,
                MetricSnapshot.account_id.in_(accounts),
            )
            .order_by(MetricSnapshot.taken_at, MetricSnapshot.id)
        ).all()
        if accounts
        else []
    )
    rows = {
        (p.account_id, p.remote_id or p.dedupe_key): PostRow(
            p.account_id, p.network, p.segment, p.posted_at
        )
        for p in posts
    }
    followers: dict[int, list[tuple[datetime, int]]] = {}
    for account_id, remote_id, network, metric, value, taken_at in snaps:
        measure = measure_of(network, metric)
        if measure is None:
            continue
        if remote_id is None:
            if measure == "followers":
                followers.setdefault(account_id, []).append((taken_at, int(value)))
            continue
        row = rows.get((account_id, remote_id))
        if row is not None:
            row.measures[measure] = int(value)  # ordered by taken_at: the last one wins
    for row in rows.values():
        row.followers = row.measures.pop("followers", None) or _nearest(
            followers.get(row.account_id, []), row.posted_at
        )
    return list(rows.values())


def _nearest(readings: list[tuple[datetime, int]], at: datetime) -> int | None:
    """The last reading at or before ``at``, else the first after it."""
    if not readings:
        return None
    i = bisect_right([t for t, _ in readings], at)
    return readings[i - 1][1] if i > 0 else readings[0][1]
