"""Posts: create (adapted and linted per account), read, edit, approve, reschedule, cancel.

Every rule lives in ``sociable.publish.posts``; this module only maps JSON to those calls.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.config import Settings
from sociable.publish import posts as domain
from sociable.publish.media_source import client_media, workspace_media
from sociable.publish.spec import MediaRef, spec_from_mapping
from sociable.publish.when import parse_when
from sociable.store.models import Role, Workspace
from sociable.store.models.publish import Approval, Post
from sociable.web.api.schemas import Problem, RowId
from sociable.web.deps import Principal, require, session_scope
from sociable.web.idempotency import IdempotencyKey, idempotency_key, idempotent

router = APIRouter(prefix="/posts", tags=["posts"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
}
TEXT_MAX = 100_000


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    accounts: list[str] = Field(min_length=1, max_length=50, description="network:handle or id")
    when: str | None = Field(
        None, max_length=80, description="ISO 8601 with offset, or 'YYYY-MM-DD HH:MM Zone'"
    )
    media: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Uploaded assets (`asset:12`) or paths inside the workspace's media folder"
        " (`media/workspace-N/`, relative to it); nothing else on the server.",
    )
    alt: list[str] = Field(default_factory=list, max_length=20)
    first_comment: str | None = Field(None, max_length=10_000)
    labels: list[str] = Field(default_factory=list, max_length=50)
    campaign: str | None = Field(None, max_length=200)
    link: str | None = Field(None, max_length=2048)
    draft: StrictBool = False
    queue: StrictBool = Field(False, description="Take each account's next free slot.")


class PostEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    when: str | None = Field(None, max_length=80)
    first_comment: str | None = Field(None, max_length=10_000)
    labels: list[str] = Field(default_factory=list, max_length=50)
    campaign: str | None = Field(None, max_length=200)
    link: str | None = Field(None, max_length=2048)


class WhenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str | None = Field(None, max_length=80)
    queue: StrictBool = False


class PublicationOut(BaseModel):
    id: int
    account_id: int | None
    state: str
    due_at: str
    due_local: str
    attempts: int
    reason: str | None
    url: str | None
    published_at: str | None


class VariantOut(BaseModel):
    id: int
    account_id: int | None
    text: str
    first_comment: str | None
    thread: list[str]


class MediaOut(BaseModel):
    path: str = Field(
        description="`asset:ID` for an uploaded asset, else the path inside the workspace's"
        " media folder (what `media` takes back); never the server's absolute path."
    )
    alt: str = ""
    mime_type: str = "application/octet-stream"


class PostOut(BaseModel):
    id: int
    approval: str
    text: str
    labels: list[str]
    campaign: str | None
    link: str | None
    media: list[MediaOut]
    evergreen: bool
    variants: list[VariantOut]
    publications: list[PublicationOut]


def workspace_of(session: Session, who: Principal) -> Workspace:
    workspace = session.get(Workspace, who.workspace_id)
    if workspace is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "workspace is gone")
    return workspace


def media_base(request: Request) -> Path:
    return Path(request.app.state.media_dir)


def _out(request: Request, session: Session, post: Post, workspace: Workspace) -> dict[str, Any]:
    out = domain.post_as_json(post, workspace.timezone)
    out["media"] = client_media(session, workspace.id, media_base(request), out["media"])
    return out


def _get(session: Session, workspace: Workspace, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.workspace_id != workspace.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such post")
    return post


def _front_matter(body: PostIn | PostEdit, accounts: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"accounts": accounts}
    for key in ("when", "first_comment", "labels", "campaign", "link", "media", "alt"):
        value = getattr(body, key, None)
        if value not in (None, [], ""):
            data[key] = value
    return data


@router.get("", response_model=list[PostOut], responses=ERRORS)
def list_posts(
    request: Request,
    approval: Approval | None = None,
    label: str | None = Query(None, max_length=100),
    campaign: str | None = Query(None, max_length=200),
    limit: int = Query(100, ge=1, le=500),
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> list[dict[str, Any]]:
    workspace = workspace_of(session, who)
    query = select(Post).where(Post.workspace_id == workspace.id)
    if approval is not None:
        query = query.where(Post.approval == approval.value)
    if campaign is not None:
        query = query.where(Post.campaign == campaign)
    posts = session.scalars(query.order_by(Post.id.desc()).limit(limit)).all()
    if label is not None:
        posts = [p for p in posts if label in (p.labels or [])]
    return [_out(request, session, p, workspace) for p in posts]


@router.post("", status_code=201, response_model=PostOut, responses=ERRORS)
def create_post(
    body: PostIn,
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    workspace = workspace_of(session, who)
    settings: Settings = request.app.state.settings

    def create() -> dict[str, Any]:
        spec = spec_from_mapping(
            _front_matter(body, body.accounts),
            body.text,
            base=media_base(request),
            default_tz=workspace.timezone,
            where="post",
            media=workspace_media(session, workspace.id, media_base(request)),
        )
        post = domain.create_post(
            session,
            workspace,
            spec,
            now=datetime.now(UTC),
            queue=body.queue,
            draft=body.draft,
            author_id=who.user_id,
            platform_overrides=settings.platforms,
            handles=settings.handles,
        )
        return _out(request, session, post, workspace)

    return idempotent(request, session, who, idem, create)


@router.get("/{post_id}", response_model=PostOut, responses=ERRORS)
def get_post(
    post_id: RowId,
    request: Request,
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    workspace = workspace_of(session, who)
    return _out(request, session, _get(session, workspace, post_id), workspace)


@router.put("/{post_id}", response_model=PostOut, responses=ERRORS)
def edit_post(
    post_id: RowId,
    body: PostEdit,
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    workspace = workspace_of(session, who)
    post = _get(session, workspace, post_id)
    accounts = [f"#{v.account_id}" for v in post.variants]
    spec = spec_from_mapping(
        _front_matter(body, accounts),
        body.text,
        base=media_base(request),
        default_tz=workspace.timezone,
        where="post",
        media=workspace_media(session, workspace.id, media_base(request)),
    )
    spec.media = _media_of(post)
    settings: Settings = request.app.state.settings
    domain.edit_post(
        session,
        workspace,
        post,
        spec,
        now=datetime.now(UTC),
        platform_overrides=settings.platforms,
        handles=settings.handles,
    )
    return _out(request, session, post, workspace)


def _media_of(post: Post) -> list[MediaRef]:
    return [MediaRef(**m) for m in (post.media or [])]


@router.post("/{post_id}/approve", response_model=PostOut, responses=ERRORS)
def approve_post(
    post_id: RowId,
    body: WhenIn,
    request: Request,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    workspace = workspace_of(session, who)
    post = _get(session, workspace, post_id)
    when = parse_when(body.when, workspace.timezone, "when") if body.when else None
    domain.approve(session, post, when=when, now=datetime.now(UTC), queue=body.queue)
    return _out(request, session, post, workspace)


@router.post("/{post_id}/reschedule", response_model=PostOut, responses=ERRORS)
def reschedule_post(
    post_id: RowId,
    body: WhenIn,
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    workspace = workspace_of(session, who)
    post = _get(session, workspace, post_id)
    if not body.when:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "when: give the new time")
    when = parse_when(body.when, workspace.timezone, "when")
    domain.reschedule_post(session, post, when, now=datetime.now(UTC))
    return _out(request, session, post, workspace)


@router.post("/{post_id}/cancel", response_model=PostOut, responses=ERRORS)
def cancel_post(
    post_id: RowId,
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> dict[str, Any]:
    """Cancel every publication that has not started; the post and its history stay.

    A POST, not a DELETE: the post remains readable afterwards (with its cancelled
    publications), which is not what DELETE promises a client.
    """
    workspace = workspace_of(session, who)
    post = _get(session, workspace, post_id)
    domain.cancel_post(session, post)
    return _out(request, session, post, workspace)
