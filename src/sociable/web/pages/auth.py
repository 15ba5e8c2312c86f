"""Log in, log out, accept an invitation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.passwords import verify_password
from sociable.store.models import Membership, User, Workspace
from sociable.web import login_sessions
from sociable.web.deps import Principal, principal, session_scope
from sociable.web.invitations import accept, pending
from sociable.web.pages.render import render, safe_next
from sociable.web.security import same
from sociable.web.throttle import LoginThrottle, client_key

router = APIRouter()

_REFUSED = {
    "client": "Too many failed attempts from your network; try again in {wait}.",
    "account": "Too many failed attempts for this account; try again in {wait}.",
}


def _wait(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{round(seconds / 60)} minutes"


def _throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def _start_session(
    request: Request, session: Session, user_id: int, workspace_id: int | None
) -> None:
    request.session.clear()  # a new session on login: no fixation
    request.session["user_id"] = user_id
    request.session["sid"] = login_sessions.start(session, user_id)
    if workspace_id is not None:
        request.session["workspace_id"] = workspace_id


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next), email="", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    email: str = Form(...),
    password: str = Form(...),
    csrf_token: str = Form(""),
    next: str = Form("/"),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    email = email.strip().lower()

    def fail(message: str, code: int = 401) -> HTMLResponse:
        return render(
            request,
            "login.html",
            next=safe_next(next),
            email=email,
            error=message,
            status_code=code,
        )

    if not same(request.session.get("csrf"), csrf_token):
        return fail("Your session expired; please try again.", 403)
    throttle = _throttle(request)
    client = client_key(request.client.host if request.client else None)
    refused = throttle.attempt(client, email)
    if refused is not None:
        response = fail(_REFUSED[refused.reason].format(wait=_wait(refused.retry_after)), 429)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    user = session.scalar(select(User).where(User.email == email))
    # Always one argon2 verify (a dummy hash for an unknown email): the same work either way.
    matched = verify_password(user.password_hash if user else None, password)
    if user is None or not matched or not user.is_active:
        return fail("Wrong email or password.")  # the throttle counted it already
    throttle.succeeded(client, email)
    first = session.scalar(
        select(Membership.workspace_id).where(Membership.user_id == user.id).limit(1)
    )
    _start_session(request, session, user.id, first)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    sid = request.session.get("sid")
    if isinstance(sid, str):
        login_sessions.end(session, sid)  # a copy of the old cookie stops working too
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/invite/{token}", response_class=HTMLResponse, name="invitation_form")
def invitation_form(
    request: Request, token: str, session: Session = Depends(session_scope, scope="function")
) -> HTMLResponse:
    try:
        row = pending(session, token)
    except UserError as exc:
        return render(
            request, "invitation.html", error=str(exc), workspace_name="Sociable", status_code=404
        )
    workspace = session.get(Workspace, row.workspace_id)
    return render(
        request,
        "invitation.html",
        error=None,
        workspace_name=workspace.name if workspace else "",
        role=row.role,
        email=row.email,
    )


@router.post("/invite/{token}", response_class=HTMLResponse)
def accept_invitation(
    request: Request,
    token: str,
    password: str = Form(...),
    name: str = Form(""),
    csrf_token: str = Form(""),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    if not same(request.session.get("csrf"), csrf_token):
        return render(
            request,
            "invitation.html",
            error="Your session expired; reload the link.",
            workspace_name="Sociable",
            status_code=403,
        )
    try:
        workspace_id = pending(session, token).workspace_id
        user = accept(session, token, password, name)
    except UserError as exc:
        return render(
            request, "invitation.html", error=str(exc), workspace_name="Sociable", status_code=400
        )
    _start_session(request, session, user.id, workspace_id)
    request.session["flash"] = "Welcome aboard."
    return RedirectResponse("/", status_code=303)
