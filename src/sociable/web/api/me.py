"""Who am I, and which workspaces can I use."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.store.models import Membership, Workspace
from sociable.web.api.schemas import MeOut, WorkspaceOut
from sociable.web.deps import Principal, principal, session_scope

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MeOut)
def me(who: Principal = Depends(principal)) -> MeOut:
    return MeOut(user_id=who.user_id, email=who.email, workspace_id=who.workspace_id, role=who.role)


@router.get("/workspaces", response_model=list[WorkspaceOut])
def workspaces(
    who: Principal = Depends(principal), session: Session = Depends(session_scope, scope="function")
) -> list[Workspace]:
    return list(
        session.scalars(
            select(Workspace)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == who.user_id)
            .order_by(Workspace.name)
        )
    )
