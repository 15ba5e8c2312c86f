"""Server-side login sessions: the signed cookie names a row, and the row must be live.

A login adds a :class:`WebSession` row and puts its random id (``sid``) in the cookie; each
request finds the user through that row in one indexed read; logout ends the row, so a copy
of the old cookie is useless; :func:`end_all` logs a user out everywhere. A session lasts
:data:`SESSION_MAX_AGE` from login (the cookie's own lifetime, checked on the server too).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from sociable.store.models import User
from sociable.store.models.web import WebSession
from sociable.web.security import hash_token

SESSION_MAX_AGE = 14 * 24 * 3600


def start(session: Session, user_id: int) -> str:
    """A new live session for ``user_id``; returns the id for the cookie.

    The user's ended and expired rows go at the same time, so the table holds about one row
    per browser logged in.
    """
    now = datetime.now(UTC)
    session.execute(
        delete(WebSession).where(
            WebSession.user_id == user_id,
            or_(WebSession.ended_at.is_not(None), WebSession.expires_at <= now),
        )
    )
    sid = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            user_id=user_id,
            token_hash=hash_token(sid),
            expires_at=now + timedelta(seconds=SESSION_MAX_AGE),
        )
    )
    session.flush()
    return sid


def user_of(session: Session, user_id: int, sid: str) -> User | None:
    """The user whose live session ``sid`` is (and who ``user_id`` says it is), or None."""
    return session.scalar(
        select(User)
        .join(WebSession, WebSession.user_id == User.id)
        .where(
            WebSession.token_hash == hash_token(sid),
            WebSession.user_id == user_id,
            WebSession.ended_at.is_(None),
            WebSession.expires_at > datetime.now(UTC),
        )
    )


def end(session: Session, sid: str) -> None:
    """End one session (logout); its cookie no longer authenticates."""
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == hash_token(sid), WebSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )


def end_all(session: Session, user_id: int) -> int:
    """End every live session of ``user_id`` (log out everywhere); returns how many."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)
