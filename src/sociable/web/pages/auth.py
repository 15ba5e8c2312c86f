"""Log in, log out, accept an invitation."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.passwords import verify_password
from sociable.store.models import Membership, User, Workspace
from sociable.web.deps import Principal, principal, session_scope
from sociable.web.invitations import accept, pending
from sociable.web.pages.render import render, safe_next
from sociable.web.security import same

router = APIRouter()

MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60.0
MAX_TRACKED = 10_000


class LoginThrottle:
    """Failed logins per email in a sliding window; bounded so it cannot grow without end."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, email: str) -> bool:
        window = self._failures.get(email)
        if not window:
            return False
        now = time.monotonic()
        while window and now - window[0] > FAILURE_WINDOW:
            window.popleft()
        return len(window) >= MAX_FAILURES

    def failed(self, email: str) -> None:
        if len(self._failures) >= MAX_TRACKED and email not in self._failures:
            self._failures.pop(next(iter(self._failures)))
        self._failures[email].append(time.monotonic())

    def succeeded(self, email: str) -> None:
        self._failures.pop(email, None)


def _throttle(request: Request) -> LoginThrottle:
    throttle = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = request.app.state.login_throttle = LoginThrottle()
    return throttle


def _start_session(request: Request, user_id: int, workspace_id: int | None) -> None:
    request.session.clear()  # a new session on login: no fixation
    request.session["user_id"] = user_id
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
    if throttle.blocked(email):
        return fail("Too many failed attempts; wait 15 minutes.", 429)
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        throttle.failed(email)
        return fail("Wrong email or password.")
    throttle.succeeded(email)
    first = session.scalar(
        select(Membership.workspace_id).where(Membership.user_id == user.id).limit(1)
    )
    _start_session(request, user.id, first)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, who: Principal = Depends(principal)) -> RedirectResponse:
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
    _start_session(request, user.id, workspace_id)
    request.session["flash"] = "Welcome aboard."
    return RedirectResponse("/", status_code=303)
