"""Publications: the calendar's rows, each with its state; retry and cancel by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.publish import states
from sociable.store.models import Account, Role
from sociable.store.models.publish import Post, Publication, PublicationEvent, PubState, Variant
from sociable.web.api.schemas import IsoDateTime, Problem, RowId
from sociable.web.deps import Principal, require, session_scope

router = APIRouter(prefix="/publications", tags=["publications"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
}
RETRYABLE_BY_HAND = {
    PubState.FAILED,
    PubState.MISSED,
    PubState.CANCELLED,
    PubState.FAILED_RETRYABLE,
}


class EventOut(BaseModel):
    at: datetime
    from_state: str | None
    to_state: str
    worker: str | None
    error: str | None


class PublicationRow(BaseModel):
    id: int
    post_id: int
    account_id: int | None
    network: str | None
    handle: str | None
    state: str
    due_at: datetime
    published_at: datetime | None
    url: str | None
    reason: str | None
    attempts: int
    text: str
    labels: list[str]
    campaign: str | None


class PublicationDetail(PublicationRow):
    events: list[EventOut]


def _row(pub: Publication, variant: Variant, post: Post, account: Account | None) -> dict[str, Any]:
    return {
        "id": pub.id,
        "post_id": post.id,
        "account_id": pub.account_id,
        "network": account.network if account else None,
        "handle": account.handle if account else None,
        "state": pub.state,
        "due_at": pub.due_at,
        "published_at": pub.published_at,
        "url": pub.url,
        "reason": pub.reason,
        "attempts": pub.attempts,
        "text": variant.text,
        "labels": list(post.labels or []),
        "campaign": post.campaign,
    }


def query_publications(
    session: Session,
    workspace_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    account_id: int | None = None,
    state: str | None = None,
    label: str | None = None,
    campaign: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Publications of a workspace with their post and account, for the calendar."""
    query = (
        select(Publication, Variant, Post, Account)
        .join(Variant, Publication.variant_id == Variant.id)
        .join(Post, Variant.post_id == Post.id)
        .outerjoin(Account, Publication.account_id == Account.id)
        .where(Publication.workspace_id == workspace_id)
    )
    if start is not None:
        query = query.where(Publication.due_at >= start)
    if end is not None:
        query = query.where(Publication.due_at < end)
    if account_id is not None:
        query = query.where(Publication.account_id == account_id)
    if state is not None:
        query = query.where(Publication.state == state)
    if campaign is not None:
        query = query.where(Post.campaign == campaign)
    rows = session.execute(query.order_by(Publication.due_at, Publication.id).limit(limit)).all()
    out = [_row(*row) for row in rows]
    if label is not None:
        out = [r for r in out if label in r["labels"]]
    return out


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "give times with an offset (e.g. Z)")
    return value


@router.get("", response_model=list[PublicationRow], responses=ERRORS)
def list_publications(
    start: IsoDateTime | None = None,
    end: IsoDateTime | None = None,
    account_id: int | None = Query(None, ge=1, le=2_147_483_647),
    state: PubState | None = None,
    label: str | None = Query(None, max_length=100),
    campaign: str | None = Query(None, max_length=200),
    limit: int = Query(1000, ge=1, le=5000),
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> list[dict[str, Any]]:
    return query_publications(
        session,
        who.workspace_id,
        start=_aware(start),
        end=_aware(end),
        account_id=account_id,
        state=state.value if state else None,
        label=label,
        campaign=campaign,
        limit=limit,
    )


def get_publication(session: Session, workspace_id: int, publication_id: int) -> Publication:
    pub = session.get(Publication, publication_id)
    if pub is None or pub.workspace_id != workspace_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such publication")
    return pub


def _detail(session: Session, pub: Publication) -> dict[str, Any]:
    variant = session.get(Variant, pub.variant_id)
    assert variant is not None
    post = session.get(Post, variant.post_id)
    assert post is not None
    account = session.get(Account, pub.account_id) if pub.account_id else None
    events = session.scalars(
        select(PublicationEvent)
        .where(PublicationEvent.publication_id == pub.id)
        .order_by(PublicationEvent.id)
    ).all()
    return {
        **_row(pub, variant, post, account),
        "events": [
            {
                "at": e.at,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "worker": e.worker,
                "error": e.error,
            }
            for e in events
        ],
    }


@router.get("/{publication_id}", response_model=PublicationDetail, responses=ERRORS)
def read_publication(
    publication_id: RowId,
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    return _detail(session, get_publication(session, who.workspace_id, publication_id))


def retry(session: Session, pub: Publication) -> None:
    """Send again now. An ``unknown`` one is refused: reconciliation must settle it first."""
    state = PubState(pub.state)
    if state == PubState.UNKNOWN:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "outcome unknown: wait for reconciliation (a retry could publish twice)",
        )
    if state not in RETRYABLE_BY_HAND:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"a {state.value} publication cannot be retried"
        )
    states.reschedule(session, pub, datetime.now(UTC), worker="web")


@router.post(
    "/{publication_id}/retry",
    response_model=PublicationDetail,
    responses={**ERRORS, 409: {"model": Problem}},
)
def retry_publication(
    publication_id: RowId,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    pub = get_publication(session, who.workspace_id, publication_id)
    retry(session, pub)
    return _detail(session, pub)


@router.post(
    "/{publication_id}/cancel",
    response_model=PublicationDetail,
    responses={**ERRORS, 409: {"model": Problem}},
)
def cancel_publication(
    publication_id: RowId,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    pub = get_publication(session, who.workspace_id, publication_id)
    if not states.allowed(pub.state, PubState.CANCELLED.value):
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"a {pub.state} publication cannot be cancelled"
        )
    states.cancel(session, pub, worker="web")
    return _detail(session, pub)
