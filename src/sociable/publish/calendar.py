"""The calendar: what is planned or was sent, per account, between two instants.

One query joins publications to their variant, post and account and returns plain
:class:`CalendarItem` rows; the terminal view, the ICS export and the CSV export all read
these rows, so they agree on what the calendar holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sociable.store.models import Account, Workspace
from sociable.store.models.publish import (
    Post,
    Publication,
    PublicationEvent,
    Variant,
)


@dataclass(frozen=True)
class CalendarItem:
    """One publication as the calendar shows it (times in UTC)."""

    publication_id: int
    post_id: int
    uid_key: str  # stable per publication (its idempotency key)
    due_at: datetime
    state: str
    account: str  # "network:handle", or "(deleted account)"
    network: str
    text: str
    labels: list[str] = field(default_factory=list)
    campaign: str | None = None
    link: str | None = None
    url: str | None = None
    reason: str | None = None
    approval: str = "approved"
    changes: int = 0  # state changes after creation: the ICS SEQUENCE


def account_label(account: Account | None) -> str:
    return f"{account.network}:{account.handle}" if account is not None else "(deleted account)"


def calendar_items(
    session: Session,
    workspace: Workspace,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    account_ids: Sequence[int] | None = None,
    states: Sequence[str] | None = None,
) -> list[CalendarItem]:
    """Publications due in ``[start, end)`` (either open), ordered by time then id."""
    changes = (
        select(func.count(PublicationEvent.id))
        .where(PublicationEvent.publication_id == Publication.id)
        .correlate(Publication)
        .scalar_subquery()
    )
    stmt = (
        select(Publication, Variant, Post, Account, changes)
        .join(Variant, Publication.variant_id == Variant.id)
        .join(Post, Variant.post_id == Post.id)
        .outerjoin(Account, Publication.account_id == Account.id)
        .where(Publication.workspace_id == workspace.id)
        .order_by(Publication.due_at, Publication.id)
    )
    if start is not None:
        stmt = stmt.where(Publication.due_at >= start)
    if end is not None:
        stmt = stmt.where(Publication.due_at < end)
    if account_ids is not None:
        stmt = stmt.where(Publication.account_id.in_(list(account_ids)))
    if states is not None:
        stmt = stmt.where(Publication.state.in_(list(states)))
    items = []
    for pub, variant, post, account, n_events in session.execute(stmt).all():
        items.append(
            CalendarItem(
                publication_id=pub.id,
                post_id=post.id,
                uid_key=pub.idempotency_key,
                due_at=pub.due_at,
                state=pub.state,
                account=account_label(account),
                network=account.network if account is not None else "",
                text=variant.text,
                labels=list(post.labels or []),
                campaign=post.campaign,
                link=post.link,
                url=pub.url,
                reason=pub.reason,
                approval=post.approval,
                changes=max(int(n_events or 0) - 1, 0),
            )
        )
    return items


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (ISO weeks)."""
    return day - timedelta(days=day.weekday())


def window(view: str, start_day: date, tz: ZoneInfo) -> tuple[datetime, datetime, list[date]]:
    """The UTC bounds and the local days of a ``week`` or ``month`` view starting near a day.

    A week runs Monday to Sunday; a month is the calendar month of ``start_day``. The bounds
    are local midnights converted to UTC, so a view across a DST change is 167 or 169 hours.
    """
    if view == "week":
        first = week_start(start_day)
        last = first + timedelta(days=7)
    elif view == "month":
        first = start_day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"unknown view {view!r}")
    days = [first + timedelta(days=i) for i in range((last - first).days)]
    lo = datetime.combine(first, datetime.min.time(), tz).astimezone(UTC)
    hi = datetime.combine(last, datetime.min.time(), tz).astimezone(UTC)
    return lo, hi, days
