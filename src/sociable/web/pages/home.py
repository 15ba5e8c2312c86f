"""The workspace home, the workspace switcher and settings (people, tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.clock import zone
from sociable.errors import UserError
from sociable.store.models import Account, Membership, Role, User, Workspace
from sociable.store.models.web import ApiToken
from sociable.web.analytics_view import Kpi, Runner, analytics_engine, headline
from sociable.web.api.tokens import issue_token
from sociable.web.deps import Principal, principal, require, session_scope
from sociable.web.invitations import invite
from sociable.web.pages.render import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    workspace = session.get(Workspace, who.workspace_id)
    accounts = session.scalars(
        select(Account).where(Account.workspace_id == who.workspace_id).order_by(Account.network)
    ).all()
    week: list[Kpi] = []
    week_error: str | None = None
    if workspace is not None:
        runner = Runner(
            request.app.state.db, who.workspace_id, workspace.timezone, analytics_engine(request)
        )
        try:
            week = headline(runner, datetime.now(zone(workspace.timezone)).date())
        except UserError as exc:  # e.g. [analytics] engine = "spark" without Java: say it
            week_error = str(exc)
    return render(
        request,
        "dashboard.html",
        who=who,
        session=session,
        workspace=workspace,
        accounts=accounts,
        week=week,
        week_error=week_error,
    )


@router.post("/workspace")
def switch_workspace(
    request: Request,
    workspace_id: int = Form(...),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    member = session.scalar(
        select(Membership).where(
            Membership.user_id == who.user_id, Membership.workspace_id == workspace_id
        )
    )
    if member is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not a member of that workspace")
    request.session["workspace_id"] = workspace_id
    return RedirectResponse("/", status_code=303)


def _settings(request: Request, who: Principal, session: Session, **extra: Any) -> HTMLResponse:
    workspace = session.get(Workspace, who.workspace_id)
    members = session.execute(
        select(User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == who.workspace_id)
        .order_by(User.email)
    ).all()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == who.user_id).order_by(ApiToken.id)
    ).all()
    return render(
        request,
        "settings.html",
        who=who,
        session=session,
        workspace=workspace,
        members=members,
        tokens=tokens,
        **extra,
    )


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    return _settings(request, who, session)


@router.post("/settings/tokens", response_class=HTMLResponse)
def create_token_page(
    request: Request,
    name: str = Form(..., max_length=100),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    created = issue_token(session, who.user_id, who.workspace_id, name)
    return _settings(request, who, session, new_token=created.token)


@router.post("/settings/invite", response_class=HTMLResponse)
def invite_page(
    request: Request,
    email: str = Form(..., max_length=320),
    role: Role = Form(Role.EDITOR),
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    _, token = invite(session, who.workspace_id, email, role, who.user_id)
    url = str(request.url_for("invitation_form", token=token))
    return _settings(request, who, session, invite_url=url)
