"""Workspaces and the people in them."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.config import Settings
from sociable.errors import UserError
from sociable.passwords import hash_password
from sociable.store.models import Membership, Role, User, Workspace


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64] or "workspace"


def ensure_workspace(session: Session, settings: Settings) -> tuple[Workspace, bool]:
    """The config's workspace, created on first use; True when it was created."""
    ws_settings = settings.workspace
    slug = slugify(ws_settings.name)
    found = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if found is not None:
        if ws_settings.locale and found.locale != ws_settings.locale:
            found.locale = ws_settings.locale  # the config names it: the config wins
        return found, False
    workspace = Workspace(
        slug=slug,
        name=ws_settings.name,
        timezone=ws_settings.timezone,
        locale=ws_settings.locale,
        site_url=ws_settings.site_url,
    )
    session.add(workspace)
    session.flush()
    return workspace, True


def current_workspace(session: Session, settings: Settings) -> Workspace:
    """The workspace named in the config; an error that says to run init if it is missing."""
    slug = slugify(settings.workspace.name)
    found = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if found is None:
        raise UserError(f"workspace {settings.workspace.name!r} not found: run `sociable init`")
    return found


def add_member(
    session: Session, workspace: Workspace, email: str, password: str, role: Role, name: str = ""
) -> User:
    """Create the user if new (or reuse it) and give them ``role`` in ``workspace``."""
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise UserError(f"not an email address: {email!r}")
    if len(password) < 8:
        raise UserError("password: at least 8 characters")
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, password_hash=hash_password(password))
        session.add(user)
        session.flush()
    membership = session.scalar(
        select(Membership).where(
            Membership.workspace_id == workspace.id, Membership.user_id == user.id
        )
    )
    if membership is None:
        session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=role.value))
    else:
        membership.role = role.value
    session.flush()
    return user
