"""A brand's history written straight into social_post and metric_snapshot (as an import would)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sociable.store.models import Account, Workspace
from sociable.store.models.analytics import SocialPost, dedupe_key
from sociable.store.models.collect import MetricSnapshot


def workspace(s: Session, tz: str = "UTC", slug: str = "bt") -> Workspace:
    ws = Workspace(slug=slug, name=slug.upper(), timezone=tz)
    s.add(ws)
    s.flush()
    return ws


def account(s: Session, ws: Workspace, network: str, handle: str = "acme", **settings) -> Account:  # type: ignore[no-untyped-def]
    acc = Account(
        workspace_id=ws.id, network=network, handle=handle, credentials=None, settings=settings
    )
    s.add(acc)
    s.flush()
    return acc


def post(
    s: Session,
    acc: Account,
    at: datetime,
    measures: dict[str, int],
    *,
    segment: str | None = None,
    content_type: str | None = None,
) -> SocialPost:
    """One imported post and one snapshot per measure (metric = the canonical measure)."""
    text = f"post at {at.isoformat()} {segment or ''} {sorted(measures.items())}"
    key = dedupe_key(None, at, text)
    row = SocialPost(
        workspace_id=acc.workspace_id,
        account_id=acc.id,
        network=acc.network,
        remote_id=None,
        dedupe_key=key,
        posted_at=at,
        text=text,
        content_type=content_type,
        hashtags=[],
        labels=[],
        segment=segment,
        source="import",
    )
    s.add(row)
    for measure, value in measures.items():
        s.add(
            MetricSnapshot(
                workspace_id=acc.workspace_id,
                account_id=acc.id,
                remote_id=key,
                network=acc.network,
                metric=measure,
                value=value,
                cumulative=True,
                api_version="import:test",
                taken_at=at,
                fresh_as_of=at,
            )
        )
    s.flush()
    return row
