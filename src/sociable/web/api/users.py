"""People in the workspace and invitations (owners only invite)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.store.models import Membership, Role, User
from sociable.web.api.schemas import InvitationIn, InvitationOut, MemberOut, Problem
from sociable.web.deps import Principal, require, session_scope
from sociable.web.idempotency import IdempotencyKey, idempotency_key, idempotent
from sociable.web.invitations import invite

router = APIRouter(tags=["people"])
ERRORS: dict[int | str, dict[str, object]] = {401: {"model": Problem}, 403: {"model": Problem}}


@router.get("/members", response_model=list[MemberOut], responses=ERRORS)
def members(
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> list[MemberOut]:
    rows = session.execute(
        select(User.id, User.email, User.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == who.workspace_id)
        .order_by(User.email)
    )
    return [MemberOut(user_id=i, email=e, name=n, role=Role(r)) for i, e, n, r in rows]


@router.post("/invitations", status_code=201, response_model=InvitationOut, responses=ERRORS)
def create_invitation(
    body: InvitationIn,
    request: Request,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    def create() -> InvitationOut:
        row, token = invite(session, who.workspace_id, body.email, body.role, who.user_id)
        return InvitationOut(
            id=row.id,
            email=row.email,
            role=Role(row.role),
            expires_at=row.expires_at,
            accept_url=str(request.url_for("invitation_form", token=token)),
        )

    return idempotent(request, session, who, idem, create, secret=("accept_url",))
