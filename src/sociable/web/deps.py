"""FastAPI dependencies: the database, who is asking, their role, CSRF.

Every API route depends on :func:`principal` (401 without a session or token) and, for
writes, on :func:`require` with a minimum role (403 below it). Session-authenticated
writes must carry the session's CSRF token (form field or ``X-CSRF-Token`` header);
token-authenticated calls carry no cookies, so CSRF does not apply to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.store.db import Database
from sociable.store.models import Membership, Role, User
from sociable.store.models.web import ApiToken
from sociable.web import login_sessions
from sociable.web.security import hash_token, same

ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Principal:
    user_id: int
    email: str
    workspace_id: int
    role: Role
    via: str  # "session" or "token"

    def at_least(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def session_scope(db: Database = Depends(database)) -> Iterator[Session]:
    with db.session() as session:
        yield session


def _membership(session: Session, user_id: int, workspace_id: int | None) -> Membership | None:
    query = select(Membership).where(Membership.user_id == user_id)
    if workspace_id is not None:
        query = query.where(Membership.workspace_id == workspace_id)
    return session.scalars(query.order_by(Membership.workspace_id)).first()


def _from_token(session: Session, header: str) -> Principal | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    membership = _membership(session, row.user_id, row.workspace_id)
    if user is None or not user.is_active or membership is None:
        return None
    row.last_used_at = datetime.now(UTC)
    return Principal(user.id, user.email, row.workspace_id, Role(membership.role), "token")


def _from_session(session: Session, request: Request) -> Principal | None:
    user_id = request.session.get("user_id")
    sid = request.session.get("sid")
    if not isinstance(user_id, int) or not isinstance(sid, str):
        return None
    user = login_sessions.user_of(session, user_id, sid)  # ended at logout: None
    if user is None or not user.is_active:
        return None
    membership = _membership(session, user_id, request.session.get("workspace_id"))
    if membership is None:
        membership = _membership(session, user_id, None)
        if membership is None:
            return None
        request.session["workspace_id"] = membership.workspace_id
    return Principal(user.id, user.email, membership.workspace_id, Role(membership.role), "session")


def optional_principal(
    request: Request, session: Session = Depends(session_scope, scope="function")
) -> Principal | None:
    header = request.headers.get("authorization")
    if header:
        return _from_token(session, header)
    return _from_session(session, request)


async def _csrf_value(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def principal(
    request: Request, who: Principal | None = Depends(optional_principal)
) -> Principal:
    if who is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "authentication required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if who.via == "session" and request.method in UNSAFE:
        expected = request.session.get("csrf")
        if not same(expected, await _csrf_value(request)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    return who


def require(role: Role) -> Callable[..., Principal]:
    """A dependency that lets ``role`` and above through, and answers 403 to the rest."""

    def check(who: Principal = Depends(principal)) -> Principal:
        if not who.at_least(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs the {role.value} role or above")
        return who

    return check
