"""FastAPI dependencies: the database, who is asking, their role, CSRF.

Every API route depends on :func:`principal` (401 without a session or token) and, for
writes, on :func:`require` with a minimum role (403 below it). Session-authenticated
writes must carry the session's CSRF token (form field or ``X-CSRF-Token`` header);
token-authenticated calls carry no cookies, so CSRF does not apply to them.

Database work never runs on the event loop: routes and dependencies that touch the
database are plain ``def`` (FastAPI runs them in its thread pool); what must be awaited
(the body, a form) is read by an ``async`` dependency that returns plain data. Each request
has one session (:func:`session_scope`), closed when the route returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import BackgroundTasks, Depends, HTTPException, Request, status
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from sociable.store.db import Database
from sociable.store.models import Membership, Role, User
from sociable.store.models.review import CalendarFeed
from sociable.store.models.web import ApiToken
from sociable.web import login_sessions
from sociable.web.security import hash_token, same

log = logging.getLogger(__name__)

ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# A token's last_used_at is written at most this often (a "last used" date, not a log).
TOUCH_EVERY = timedelta(minutes=1)


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


def session_scope(request: Request, db: Database = Depends(database)) -> Iterator[Session]:
    """The request's one session: a reader for GET/HEAD, a writer otherwise (on SQLite a
    writer waits for the write lock, a reader never does)."""
    opened = db.session() if request.method in UNSAFE else db.read_session()
    with opened as session:
        yield session


def read_scope(db: Database = Depends(database)) -> Iterator[Session]:
    """A reader session for a route that only reads whatever its method (a POST preview)."""
    with db.read_session() as session:
        yield session


class TokenUse:
    """Writes a token's ``last_used_at`` (API tokens, calendar feeds) at most once a
    :data:`TOUCH_EVERY`, in a transaction of its own after the response: never in the
    request's transaction, where every request with the same token would queue on the one
    row's lock (and on SQLite a reader would turn into a writer)."""

    def __init__(self, every: timedelta = TOUCH_EVERY) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._sent: dict[tuple[str, int], float] = {}  # (table, id) -> monotonic time

    def note(self, tasks: BackgroundTasks, db: Database, row: ApiToken | CalendarFeed) -> None:
        now = datetime.now(UTC)
        if row.last_used_at is not None and now - row.last_used_at < self.every:
            return
        tick = time.monotonic()
        key = (row.__tablename__, row.id)
        with self._lock:
            last = self._sent.get(key)
            if last is not None and tick - last < self.every.total_seconds():
                return  # another request of this process is writing it
            self._sent[key] = tick
        tasks.add_task(self.touch, db, type(row), row.id, now)

    def touch(
        self, db: Database, model: type[ApiToken | CalendarFeed], row_id: int, now: datetime
    ) -> None:
        try:
            with db.session() as session:  # a second process may have written it meanwhile
                session.execute(
                    update(model)
                    .where(
                        model.id == row_id,
                        or_(model.last_used_at.is_(None), model.last_used_at < now - self.every),
                    )
                    .values(last_used_at=now)
                )
        except Exception:  # a "last used" date is not worth failing anything for
            log.warning("could not record that %s %s was used", model.__tablename__, row_id)


def token_use(request: Request) -> TokenUse:
    use: TokenUse = request.app.state.token_use
    return use


def _membership(session: Session, user_id: int, workspace_id: int | None) -> Membership | None:
    query = select(Membership).where(Membership.user_id == user_id)
    if workspace_id is not None:
        query = query.where(Membership.workspace_id == workspace_id)
    return session.scalars(query.order_by(Membership.workspace_id)).first()


def _from_token(session: Session, header: str) -> tuple[Principal, ApiToken] | None:
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
    return Principal(user.id, user.email, row.workspace_id, Role(membership.role), "token"), row


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
    request: Request, tasks: BackgroundTasks, db: Database = Depends(database)
) -> Principal | None:
    """Who is asking, looked up in a short read session of its own: it holds no lock
    while the route runs (the route's session is :func:`session_scope`)."""
    header = request.headers.get("authorization")
    with db.read_session() as session:
        if not header:
            return _from_session(session, request)
        found = _from_token(session, header)
    if found is None:
        return None
    who, row = found
    token_use(request).note(tasks, db, row)
    return who


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
