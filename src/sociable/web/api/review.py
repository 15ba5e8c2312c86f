"""Approvals over the API: send for review, decide, and make a client review link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.publish.when import parse_when
from sociable.store.models import Role
from sociable.web import reviews
from sociable.web.api.posts import ERRORS, PostOut, _get, _out, workspace_of
from sociable.web.deps import Principal, require, session_scope

router = APIRouter(prefix="/posts", tags=["reviews"])
# Ids are 32-bit integers in the database: a larger one is a 422, not a driver error.
PostId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str | None = Field(None, max_length=80, description="The time wanted once approved.")
    queue: StrictBool = Field(True, description="Without `when`: the accounts' next free slots.")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "request_changes"]
    comment: str = Field("", max_length=reviews.COMMENT_MAX)
    when: str | None = Field(None, max_length=80, description="Override the asked time.")
    queue: StrictBool | None = None


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(reviews.LINK_DAYS, ge=1, le=reviews.MAX_LINK_DAYS)


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


def _when(raw: str | None, tz: str) -> datetime | None:
    return parse_when(raw, tz, "when") if raw else None


@router.post("/{post_id}/review-request", response_model=PostOut, responses=ERRORS)
def submit_for_review(
    post_id: PostId,
    body: SubmitIn,
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    """Send a draft for review; it is scheduled only once a reviewer approves it."""
    workspace = workspace_of(session, who)
    post = _get(session, workspace, post_id)
    reviews.submit(
        session,
        post,
        user_id=who.user_id,
        when=_when(body.when, workspace.timezone),
        queue=body.queue,
        now=datetime.now(UTC),
    )
    return _out(request, session, post, workspace)


@router.post("/{post_id}/review", response_model=PostOut, responses=ERRORS)
def review_post(
    post_id: PostId,
    body: DecisionIn,
    request: Request,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    """Approve (schedules the post) or request changes, with an optional comment."""
    workspace = workspace_of(session, who)
    post = _get(session, workspace, post_id)
    reviews.decide(
        session,
        post,
        body.decision,
        by=who.email,
        author_id=who.user_id,
        now=datetime.now(UTC),
        note=body.comment,
        when=_when(body.when, workspace.timezone),
        queue=body.queue,
    )
    return _out(request, session, post, workspace)


@router.post("/{post_id}/review-link", status_code=201, response_model=LinkOut, responses=ERRORS)
def client_link(
    post_id: PostId,
    body: LinkIn,
    request: Request,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    """A signed link that lets a client approve or comment on this post without an account."""
    workspace = workspace_of(session, who)
    post = _get(session, workspace, post_id)
    open_round = reviews.open_request(session, post)
    if open_round is None:
        raise UserError(f"post {post.id} is not in review: send it for review first")
    link = reviews.make_link(request.app.state.link_key, open_round, days=body.days)
    url = str(request.url_for("client_review", token=link.token))
    return {"url": url, "expires_at": link.expires_at}
