"""Review comments on a post: viewers read them, editors and owners write them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from sociable.store.models import Role
from sociable.store.models.review import ReviewComment
from sociable.web import reviews
from sociable.web.api.posts import ERRORS, _get, workspace_of
from sociable.web.deps import Principal, require, session_scope
from sociable.web.idempotency import IdempotencyKey, idempotency_key, idempotent

router = APIRouter(prefix="/posts", tags=["reviews"])
# Ids are 32-bit integers in the database: a larger one is a 422, not a driver error.
PostId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=reviews.COMMENT_MAX)


class CommentOut(BaseModel):
    id: int
    post_id: int
    author: str
    via_link: bool
    body: str
    decision: str | None
    created_at: datetime


def comment_out(row: ReviewComment) -> dict[str, Any]:
    return {
        "id": row.id,
        "post_id": row.post_id,
        "author": row.author_name,
        "via_link": row.via_link,
        "body": row.body,
        "decision": row.decision,
        "created_at": row.created_at,
    }


@router.get("/{post_id}/comments", response_model=list[CommentOut], responses=ERRORS)
def list_comments(
    post_id: PostId,
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> list[dict[str, Any]]:
    post = _get(session, workspace_of(session, who), post_id)
    return [comment_out(c) for c in reviews.comments_of(session, post)]


@router.post("/{post_id}/comments", status_code=201, response_model=CommentOut, responses=ERRORS)
def add_comment(
    post_id: PostId,
    body: CommentIn,
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    post = _get(session, workspace_of(session, who), post_id)

    def create() -> dict[str, Any]:
        row = reviews.comment(
            session, post, body.body, author_id=who.user_id, author_name=who.email
        )
        return comment_out(row)

    return idempotent(request, session, who, idem, create)
