"""The store, read into Arrow tables for the reports (read only: nothing here writes).

Each table comes from one SQLAlchemy Core select with the workspace and the date range in its
``WHERE``, read in batches (``yield_per``) so a large store is never one Python list of rows.
Network metric names become canonical measures (:func:`sociable.collect.metrics.measure_of`);
a name no report uses is left out and counted.

- ``posts``: one row per ``social_post`` posted in ``[start, end)``.
- ``post_metrics``: per post and measure, the latest reading (several network names for one
  measure: the latest of them).
- ``account_metrics``: dated account readings in the range, plus the last one before ``start``
  per account and measure (where growth starts, the followers a post was made to).
- ``clicks``: people's clicks (``track_click`` joined to ``track_link``) in the range; preview
  bots are left out and counted in :attr:`Tables.bot_clicks`.
- ``conversions``: conversions in the range, credited to clicks as
  :mod:`sociable.track.attribution` does; one row per credit, amounts in the sale's currency.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from sociable.collect.metrics import measure_of
from sociable.store.db import Database
from sociable.store.models import Account
from sociable.store.models.analytics import SocialPost
from sociable.store.models.collect import MetricSnapshot
from sociable.store.models.track import VERIFIED_SOURCE, Click, Conversion, ShortLink
from sociable.track.attribution import ConversionFacts, Model, Touch, attribute_all

BATCH = 5_000
TS = pa.timestamp("us", tz="UTC")

POSTS = pa.schema(
    [
        ("id", pa.int64()),
        ("account_id", pa.int64()),
        ("account_handle", pa.string()),
        ("account", pa.string()),  # "network:handle", what the account dimension shows
        ("network", pa.string()),
        ("posted_at", TS),
        ("posted_ts", pa.int64()),  # epoch seconds: arithmetic every engine does alike
        ("content_type", pa.string()),
        ("labels", pa.list_(pa.string())),
        ("hashtags", pa.list_(pa.string())),
        ("campaign", pa.string()),
        ("segment", pa.string()),
        ("publication_id", pa.int64()),
        ("post_id", pa.int64()),
        ("text", pa.string()),
        ("url", pa.string()),
    ]
)
POST_METRICS = pa.schema(
    [
        ("social_post_id", pa.int64()),
        ("measure", pa.string()),
        ("value", pa.int64()),
        ("taken_at", TS),
    ]
)
ACCOUNT_METRICS = pa.schema(
    [
        ("account_id", pa.int64()),
        ("network", pa.string()),
        ("account", pa.string()),
        ("measure", pa.string()),
        ("value", pa.int64()),
        ("taken_at", TS),
        ("taken_ts", pa.int64()),
    ]
)
CLICKS = pa.schema(
    [
        ("link_id", pa.int64()),
        ("post_id", pa.int64()),
        ("network", pa.string()),
        ("campaign", pa.string()),
        ("at", TS),
    ]
)
CONVERSIONS = pa.schema(
    [
        ("order_id", pa.string()),
        ("at", TS),
        ("post_id", pa.int64()),  # None: unattributed (no eligible click)
        ("network", pa.string()),
        ("campaign", pa.string()),
        ("weight", pa.float64()),  # this credit's share of the conversion (linear splits)
        ("amount_minor", pa.int64()),  # this credit's share, in minor units of `currency`
        ("currency", pa.string()),
        ("verified", pa.bool_()),
    ]
)


@dataclass
class Tables:
    """What the reports read; every timestamp is UTC."""

    posts: pa.Table
    post_metrics: pa.Table
    account_metrics: pa.Table
    clicks: pa.Table
    conversions: pa.Table
    start: datetime | None = None
    end: datetime | None = None
    bot_clicks: int = 0
    # network metric names no report uses, with how many readings carried them
    unmapped: dict[str, int] = field(default_factory=dict)


def load_tables(
    db: Database,
    workspace_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    model: Model = Model.LAST_CLICK,
    window: timedelta = timedelta(days=7),
) -> Tables:
    """The workspace's data for ``[start, end)`` (UTC, either open) as Arrow tables."""
    start = _utc(start)
    end = _utc(end)
    unmapped: dict[str, int] = {}
    with db.read_session() as s:
        posts = _posts(s, workspace_id, start, end)
        post_metrics = _post_metrics(s, workspace_id, start, end, unmapped)
        account_metrics = _account_metrics(s, workspace_id, start, end, unmapped)
        clicks, bots = _clicks(s, workspace_id, start, end)
        conversions = _conversions(s, workspace_id, start, end, model, window)
    return Tables(
        posts, post_metrics, account_metrics, clicks, conversions, start, end, bots, unmapped
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"{value!r}: give an aware datetime (UTC)")
    return value.astimezone(UTC)


def _in_range(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    where = []
    if start is not None:
        where.append(column >= start)
    if end is not None:
        where.append(column < end)
    return where


def _batches(s: Session, query: Select[Any]) -> Iterator[Sequence[Any]]:
    result = s.execute(query.execution_options(yield_per=BATCH))
    yield from result.partitions()


def _table(schema: pa.Schema, rows: Iterator[dict[str, Any]]) -> pa.Table:
    """Rows into ``schema``, one record batch per :data:`BATCH` rows."""
    batches: list[pa.RecordBatch] = []
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH:
            batches.append(pa.RecordBatch.from_pylist(chunk, schema=schema))
            chunk = []
    if chunk or not batches:
        batches.append(pa.RecordBatch.from_pylist(chunk, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def _posts(s: Session, ws: int, start: datetime | None, end: datetime | None) -> pa.Table:
    p = SocialPost.__table__.c
    a = Account.__table__.c
    query = (
        select(
            p.id,
            p.account_id,
            a.handle,
            p.network,
            p.posted_at,
            p.content_type,
            p.labels,
            p.hashtags,
            p.campaign,
            p.segment,
            p.publication_id,
            p.post_id,
            p.text,
            p.url,
        )
        .join_from(SocialPost.__table__, Account.__table__, a.id == p.account_id)
        .where(p.workspace_id == ws, *_in_range(p.posted_at, start, end))
        .order_by(p.id)
    )

    def rows() -> Iterator[dict[str, Any]]:
        for batch in _batches(s, query):
            for r in batch:
                yield {
                    "id": r.id,
                    "account_id": r.account_id,
                    "account_handle": r.handle,
                    "account": f"{r.network}:{r.handle}",
                    "network": r.network,
                    "posted_at": r.posted_at,
                    "posted_ts": int(r.posted_at.timestamp()),
                    "content_type": r.content_type,
                    "labels": list(dict.fromkeys(r.labels or [])),
                    "hashtags": list(dict.fromkeys(r.hashtags or [])),
                    "campaign": r.campaign,
                    "segment": r.segment,
                    "publication_id": r.publication_id,
                    "post_id": r.post_id,
                    "text": r.text,
                    "url": r.url,
                }

    return _table(POSTS, rows())


def _post_metrics(
    s: Session, ws: int, start: datetime | None, end: datetime | None, unmapped: dict[str, int]
) -> pa.Table:
    """The latest reading per post and network metric (in SQL), then per measure (here)."""
    m = MetricSnapshot.__table__.c
    p = SocialPost.__table__.c
    latest = (
        select(
            p.id.label("social_post_id"),
            m.network,
            m.metric,
            m.value,
            m.taken_at,
            func.row_number()
            .over(partition_by=(p.id, m.metric), order_by=(m.taken_at.desc(), m.id.desc()))
            .label("n"),
        )
        .join_from(
            MetricSnapshot.__table__,
            SocialPost.__table__,
            and_(
                p.account_id == m.account_id,
                m.remote_id == func.coalesce(p.remote_id, p.dedupe_key),
            ),
        )
        .where(
            m.workspace_id == ws,
            p.workspace_id == ws,
            m.remote_id.is_not(None),
            *_in_range(p.posted_at, start, end),
        )
        .subquery()
    )
    query = select(latest).where(latest.c.n == 1).order_by(latest.c.social_post_id)
    best: dict[tuple[int, str], dict[str, Any]] = {}
    for batch in _batches(s, query):
        for r in batch:
            measure = measure_of(r.network, r.metric)
            if measure is None:
                key = f"{r.network}:{r.metric}"
                unmapped[key] = unmapped.get(key, 0) + 1
                continue
            known = best.get((r.social_post_id, measure))
            if known is None or r.taken_at > known["taken_at"]:
                best[(r.social_post_id, measure)] = {
                    "social_post_id": r.social_post_id,
                    "measure": measure,
                    "value": r.value,
                    "taken_at": r.taken_at,
                }
    ordered = (best[k] for k in sorted(best))
    return _table(POST_METRICS, ordered)


def _account_metrics(
    s: Session, ws: int, start: datetime | None, end: datetime | None, unmapped: dict[str, int]
) -> pa.Table:
    m = MetricSnapshot.__table__.c
    a = Account.__table__.c
    base = (
        select(m.id, m.account_id, m.network, a.handle, m.metric, m.value, m.taken_at)
        .join_from(MetricSnapshot.__table__, Account.__table__, a.id == m.account_id)
        .where(m.workspace_id == ws, m.remote_id.is_(None))
    )
    queries = [base.where(*_in_range(m.taken_at, start, end)).order_by(m.id)]
    if start is not None:
        # The last reading before the range, per account and metric: where the range starts.
        before = (
            base.add_columns(
                func.row_number()
                .over(
                    partition_by=(m.account_id, m.metric),
                    order_by=(m.taken_at.desc(), m.id.desc()),
                )
                .label("n")
            )
            .where(m.taken_at < start)
            .subquery()
        )
        queries.append(select(before).where(before.c.n == 1).order_by(before.c.id))

    def rows() -> Iterator[dict[str, Any]]:
        for query in queries:
            for batch in _batches(s, query):
                for r in batch:
                    measure = measure_of(r.network, r.metric)
                    if measure is None:
                        key = f"{r.network}:{r.metric}"
                        unmapped[key] = unmapped.get(key, 0) + 1
                        continue
                    yield {
                        "account_id": r.account_id,
                        "network": r.network,
                        "account": f"{r.network}:{r.handle}",
                        "measure": measure,
                        "value": r.value,
                        "taken_at": r.taken_at,
                        "taken_ts": int(r.taken_at.timestamp()),
                    }

    return _table(ACCOUNT_METRICS, rows())


def _clicks(
    s: Session, ws: int, start: datetime | None, end: datetime | None
) -> tuple[pa.Table, int]:
    c = Click.__table__.c
    link = ShortLink.__table__.c
    where = [link.workspace_id == ws, *_in_range(c.at, start, end)]
    bots = s.scalar(
        select(func.count())
        .select_from(Click.__table__)
        .join(ShortLink.__table__, link.id == c.link_id)
        .where(*where, c.is_bot.is_(True))
    )
    query = (
        select(c.link_id, link.post_id, link.network, link.campaign, c.at)
        .join_from(Click.__table__, ShortLink.__table__, link.id == c.link_id)
        .where(*where, c.is_bot.is_(False))
        .order_by(c.id)
    )

    def rows() -> Iterator[dict[str, Any]]:
        for batch in _batches(s, query):
            for r in batch:
                yield dict(r._mapping)

    return _table(CLICKS, rows()), int(bots or 0)


def _conversions(
    s: Session,
    ws: int,
    start: datetime | None,
    end: datetime | None,
    model: Model,
    window: timedelta,
) -> pa.Table:
    conv = Conversion.__table__.c
    query = (
        select(
            conv.order_id, conv.at, conv.amount_minor, conv.currency, conv.click_ids, conv.source
        )
        .where(conv.workspace_id == ws, *_in_range(conv.at, start, end))
        .order_by(conv.id)
    )
    facts = [
        ConversionFacts(
            r.order_id,
            r.at,
            r.amount_minor,
            r.currency,
            list(r.click_ids or []),
            r.source == VERIFIED_SOURCE,
        )
        for batch in _batches(s, query)
        for r in batch
    ]
    touches = _touches(s, ws, sorted({cid for f in facts for cid in f.click_ids}))

    def rows() -> Iterator[dict[str, Any]]:
        for credit in attribute_all(facts, touches, model=model, window=window):
            t = credit.touch
            yield {
                "order_id": credit.order_id,
                "at": credit.at,
                "post_id": t.post_id if t else None,
                "network": t.network if t else None,
                "campaign": t.campaign if t else None,
                "weight": float(credit.weight),
                "amount_minor": credit.amount_minor,
                "currency": credit.currency,
                "verified": credit.verified,
            }

    return _table(CONVERSIONS, rows())


def _touches(s: Session, ws: int, click_ids: list[str]) -> dict[str, Touch]:
    c = Click.__table__.c
    link = ShortLink.__table__.c
    touches: dict[str, Touch] = {}
    for i in range(0, len(click_ids), 500):
        query = (
            select(
                c.click_id,
                c.at,
                c.link_id,
                link.code,
                link.post_id,
                link.campaign,
                link.network,
                c.is_bot,
            )
            .join_from(Click.__table__, ShortLink.__table__, link.id == c.link_id)
            .where(c.click_id.in_(click_ids[i : i + 500]), link.workspace_id == ws)
        )
        for r in s.execute(query):
            touches[r.click_id] = Touch(*r)
    return touches
