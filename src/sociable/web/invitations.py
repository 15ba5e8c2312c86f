"""Inviting people into a workspace with a role, by a one-time, expiring link."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.passwords import verify_password
from sociable.store.models import Role, User, Workspace
from sociable.store.models.web import Invitation
from sociable.web.security import hash_token
from sociable.workspaces import add_member

INVITATION_TTL = timedelta(days=7)


def invite(
    session: Session, workspace_id: int, email: str, role: Role, invited_by: int
) -> tuple[Invitation, str]:
    """A new invitation and its one-time token (only the hash is stored)."""
    token = secrets.token_urlsafe(24)
    row = Invitation(
        workspace_id=workspace_id,
        email=email.strip().lower(),
        role=role.value,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=datetime.now(UTC) + INVITATION_TTL,
    )
    session.add(row)
    session.flush()
    return row, token


def pending(session: Session, token: str) -> Invitation:
    row = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if row is None or row.accepted_at is not None:
        raise UserError("this invitation link is not valid or was already used")
    if row.expires_at < datetime.now(UTC):
        raise UserError("this invitation has expired; ask for a new one")
    return row


def accept(session: Session, token: str, password: str, name: str = "") -> User:
    """Join the workspace: a new account with ``password``, or an existing one proven by it.

    The link alone never logs its holder in as someone who already has an account: whoever
    holds it must also know that account's password.
    """
    row = pending(session, token)
    workspace = session.get(Workspace, row.workspace_id)
    if workspace is None:
        raise UserError("the workspace of this invitation no longer exists")
    existing = session.scalar(select(User).where(User.email == row.email))
    if existing is not None and not verify_password(existing.password_hash, password):
        raise UserError(
            f"{row.email} already has a Sociable account: enter that account's password to join"
        )
    user = add_member(session, workspace, row.email, password, Role(row.role), name)
    row.accepted_at = datetime.now(UTC)
    return user
