"""The post page (variants, states, review comments, decisions) and the client review link."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.clock import zone
from sociable.errors import UserError
from sociable.publish import posts as domain
from sociable.publish.when import parse_when
from sociable.store.models import Account, Role, Workspace
from sociable.store.models.publish import Approval, Post
from sociable.store.models.review import ReviewRequest
from sociable.web import reviews
from sociable.web.deps import Principal, principal, require, session_scope
from sociable.web.pages.render import render
from sociable.web.security import same

router = APIRouter()
# Ids are 32-bit in the database: a larger one is a 422, not a driver error.
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

GROUPS = {
    Approval.IN_REVIEW.value: "Waiting for a decision",
    Approval.CHANGES_REQUESTED.value: "Changes requested",
    Approval.DRAFT.value: "Drafts",
}


def post_view(session: Session, post: Post, tz_name: str) -> dict[str, Any]:
    """What the post and review pages show: each account's variant and publications."""
    tz = zone(tz_name)
    variants = []
    for variant in post.variants:
        account = session.get(Account, variant.account_id) if variant.account_id else None
        variants.append(
            {
                "account": f"{account.network}:{account.handle}" if account else "(deleted)",
                "network": account.network if account else "",
                "text": variant.text,
                "thread": list(variant.thread or []),
                "first_comment": variant.first_comment,
                "publications": [
                    {
                        "id": p.id,
                        "state": p.state,
                        "due": p.due_at.astimezone(tz),
                        "url": p.url,
                        "reason": p.reason,
                    }
                    for p in variant.publications
                ],
            }
        )
    return {"post": post, "variants": variants}


def _workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "workspace is gone")
    return workspace


def _post(session: Session, who: Principal, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.workspace_id != who.workspace_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such post")
    return post


def _page(
    request: Request,
    who: Principal,
    session: Session,
    post: Post,
    *,
    error: str | None = None,
    link: reviews.ClientLink | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    workspace = _workspace(session, who.workspace_id)
    tz = zone(workspace.timezone)
    round_ = reviews.open_request(session, post)
    link_url = str(request.url_for("client_review", token=link.token)) if link else None
    return render(
        request,
        "review_post.html",
        who=who,
        session=session,
        workspace=workspace,
        comments=reviews.comments_of(session, post),
        round=round_,
        asked=round_.when.astimezone(tz) if round_ and round_.when else None,
        can_submit=post.approval in reviews.SUBMITTABLE and not domain.publications_of(post),
        error=error,
        link_url=link_url,
        link_expires=link.expires_at.astimezone(tz) if link else None,
        status_code=status_code,
        **post_view(session, post, workspace.timezone),
    )


@router.get("/reviews", response_class=HTMLResponse)
def reviews_page(
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    """Posts waiting for a decision, sent back for changes, or still drafts."""
    workspace = _workspace(session, who.workspace_id)
    tz = zone(workspace.timezone)
    posts = session.scalars(
        select(Post)
        .where(Post.workspace_id == workspace.id, Post.approval.in_(list(GROUPS)))
        .order_by(Post.id.desc())
        .limit(500)
    ).all()
    rounds = {
        r.post_id: r
        for r in session.scalars(
            select(ReviewRequest).where(
                ReviewRequest.post_id.in_([p.id for p in posts]),
                ReviewRequest.decision.is_(None),
            )
        )
    }
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in GROUPS}
    for post in posts:
        round_ = rounds.get(post.id)
        groups[post.approval].append(
            {
                "post": post,
                "accounts": len(post.variants),
                "asked": round_.when.astimezone(tz) if round_ and round_.when else None,
                "since": round_.created_at if round_ else post.updated_at,
            }
        )
    return render(
        request,
        "reviews.html",
        who=who,
        session=session,
        workspace=workspace,
        groups=[(GROUPS[key], key, groups[key]) for key in GROUPS],
    )


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def post_page(
    request: Request,
    post_id: Id,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    return _page(request, who, session, _post(session, who, post_id))


@contextmanager
def _writing(session: Session) -> Iterator[Session]:
    """A savepoint of its own for a write: an error rolls all of it back, and the page
    showing the error is drawn from the request's session as it was before. (Not a second
    transaction: on SQLite it would wait for the write lock this request holds.)"""
    with session.begin_nested():
        yield session


def _when(raw: str, tz: str) -> datetime | None:
    return parse_when(raw, tz, "when") if raw.strip() else None


def _done(post_id: int, request: Request, message: str) -> RedirectResponse:
    request.session["flash"] = message
    return RedirectResponse(f"/posts/{post_id}", status_code=303)


@router.post("/posts/{post_id}/submit", response_class=HTMLResponse)
def submit_page(
    request: Request,
    post_id: Id,
    when: str = Form("", max_length=80),
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    post = _post(session, who, post_id)
    workspace = _workspace(session, who.workspace_id)
    try:
        with _writing(session) as write:
            reviews.submit(
                write,
                _post(write, who, post_id),
                user_id=who.user_id,
                when=_when(when, workspace.timezone),
                queue=True,
                now=datetime.now(UTC),
            )
    except UserError as exc:
        return _page(request, who, session, post, error=str(exc), status_code=400)
    return _done(post_id, request, "Sent for review.")


@router.post("/posts/{post_id}/comment", response_class=HTMLResponse)
def comment_page(
    request: Request,
    post_id: Id,
    body: str = Form("", max_length=reviews.COMMENT_MAX),
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    post = _post(session, who, post_id)
    try:
        with _writing(session) as write:
            reviews.comment(
                write,
                _post(write, who, post_id),
                body,
                author_id=who.user_id,
                author_name=who.email,
            )
    except UserError as exc:
        return _page(request, who, session, post, error=str(exc), status_code=400)
    return _done(post_id, request, "Comment added.")


@router.post("/posts/{post_id}/decide", response_class=HTMLResponse)
def decide_page(
    request: Request,
    post_id: Id,
    decision: str = Form(...),
    body: str = Form("", max_length=reviews.COMMENT_MAX),
    when: str = Form("", max_length=80),
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    post = _post(session, who, post_id)
    workspace = _workspace(session, who.workspace_id)
    try:
        with _writing(session) as write:
            reviews.decide(
                write,
                _post(write, who, post_id),
                decision,
                by=who.email,
                author_id=who.user_id,
                now=datetime.now(UTC),
                note=body,
                when=_when(when, workspace.timezone),
            )
    except UserError as exc:
        return _page(request, who, session, post, error=str(exc), status_code=400)
    verdict = "Approved and scheduled." if decision == reviews.APPROVE else "Changes requested."
    return _done(post_id, request, verdict)


@router.post("/posts/{post_id}/link", response_class=HTMLResponse)
def link_page(
    request: Request,
    post_id: Id,
    days: int = Form(reviews.LINK_DAYS, ge=1, le=reviews.MAX_LINK_DAYS),
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    post = _post(session, who, post_id)
    round_ = reviews.open_request(session, post)
    if round_ is None:
        return _page(
            request, who, session, post, error="Send the post for review first.", status_code=400
        )
    link = reviews.make_link(request.app.state.link_key, round_, days=days)
    return _page(request, who, session, post, link=link)


# -- the client's page: no account, a signed link -------------------------------------------


def _client_page(
    request: Request,
    session: Session,
    token: str,
    *,
    error: str | None = None,
    done: str | None = None,
    name: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    if done is not None:
        return render(request, "review_client.html", done=done, error=None, status_code=200)
    try:
        post, round_ = reviews.read_link(session, request.app.state.link_key, token)
    except UserError as exc:
        return render(request, "review_client.html", done=None, error=str(exc), status_code=410)
    workspace = _workspace(session, post.workspace_id)
    tz = zone(workspace.timezone)
    return render(
        request,
        "review_client.html",
        done=None,
        error=None,
        form_error=error,
        token=token,
        client_name=name,
        workspace=workspace,
        asked=round_.when.astimezone(tz) if round_.when else None,
        comments=reviews.comments_of(session, post),
        status_code=status_code,
        **post_view(session, post, workspace.timezone),
    )


@router.get("/r/{token}", response_class=HTMLResponse, name="client_review")
def client_review(
    request: Request, token: str, session: Session = Depends(session_scope, scope="function")
) -> HTMLResponse:
    return _client_page(request, session, token)


@router.post("/r/{token}", response_class=HTMLResponse)
def client_decide(
    request: Request,
    token: str,
    action: str = Form(...),
    name: str = Form("", max_length=200),
    body: str = Form("", max_length=reviews.COMMENT_MAX),
    csrf_token: str = Form(""),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    if not same(request.session.get("csrf"), csrf_token):
        return _client_page(
            request,
            session,
            token,
            error="Your session expired; please try again.",
            name=name,
            status_code=403,
        )
    who = f"client: {name.strip() or 'anonymous'}"
    try:
        with _writing(session) as write:
            post, _ = reviews.read_link(write, request.app.state.link_key, token)
            if action == "comment":
                reviews.comment(write, post, body, author_id=None, author_name=who, via_link=True)
                done = None
            else:
                reviews.decide(
                    write,
                    post,
                    action,
                    by=who,
                    author_id=None,
                    now=datetime.now(UTC),
                    note=body,
                    via_link=True,
                )
                done = (
                    "Approved: thank you. The post is scheduled."
                    if action == reviews.APPROVE
                    else "Thank you: the team will make the changes."
                )
    except UserError as exc:
        return _client_page(request, session, token, error=str(exc), name=name, status_code=400)
    if done is None:
        return _client_page(request, session, token, name=name)
    return _client_page(request, session, token, done=done)
