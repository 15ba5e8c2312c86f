"""Approvals and the calendar feed: review rounds, reviewers' comments, ICS feed tokens.

A post sent for review is a draft with variants but no publications (the dispatcher sends
whatever is scheduled, so nothing may be scheduled before approval). The time the author
asked for lives on its :class:`ReviewRequest` until a reviewer approves; approving then
schedules the post through :func:`sociable.publish.posts.approve`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sociable.store.base import Base, Timestamped, UTCDateTime


class ReviewRequest(Timestamped, Base):
    """One round of review of a post: asked by an author, decided once."""

    __tablename__ = "review_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The time the author wants; None with ``queue`` = the accounts' next free slots.
    when: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queue: Mapped[bool] = mapped_column(default=False)
    decision: Mapped[str | None] = mapped_column(String(24))  # approved / changes_requested
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(320))  # an email, or "client: name"


class ReviewComment(Timestamped, Base):
    """A reviewer's (or a client's) comment on a post, with the decision it came with."""

    __tablename__ = "review_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    author_name: Mapped[str] = mapped_column(String(320))
    via_link: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str | None] = mapped_column(String(24))


class CalendarFeed(Timestamped, Base):
    """A secret ICS feed URL for one workspace; only the token's SHA-256 is stored."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
