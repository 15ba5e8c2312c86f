"""Posts, their per-account variants, and the publications the dispatcher sends.

A :class:`Post` is what a person writes once. A :class:`Variant` is that post adapted for one
account. A :class:`Publication` is one scheduled send of a variant; its ``state`` only ever
changes through :func:`sociable.publish.states.transition`, which appends a
:class:`PublicationEvent`, so every publication's history is visible.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from sociable.store.base import Base, Timestamped, UTCDateTime, utcnow


class Approval(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class PubState(StrEnum):
    SCHEDULED = "scheduled"
    CLAIMED = "claimed"
    SENDING = "sending"
    PUBLISHED = "published"
    FAILED_RETRYABLE = "failed_retryable"
    FAILED = "failed"
    UNKNOWN = "unknown"
    MISSED = "missed"
    CANCELLED = "cancelled"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Post(Timestamped, Base):
    """What a person writes once, before it is adapted per account."""

    __tablename__ = "post"
    __table_args__ = (CheckConstraint(_in("approval", Approval), name="approval"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    source_text: Mapped[str] = mapped_column(Text, default="")
    # [{"path": ..., "alt": ..., "mime_type": ...}, ...]
    media: Mapped[list[Any]] = mapped_column(default=list)
    link: Mapped[str | None] = mapped_column(String(2048))
    campaign: Mapped[str | None] = mapped_column(String(200))
    labels: Mapped[list[str]] = mapped_column(default=list)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    approval: Mapped[str] = mapped_column(String(24), default=Approval.DRAFT.value)
    source_path: Mapped[str | None] = mapped_column(String(2048))
    # Evergreen: re-queue after a cooldown until one of the end conditions is met.
    evergreen: Mapped[bool] = mapped_column(default=False)
    evergreen_cooldown_days: Mapped[int | None] = mapped_column(Integer)
    evergreen_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evergreen_max_count: Mapped[int | None] = mapped_column(Integer)
    evergreen_count: Mapped[int] = mapped_column(Integer, default=0)
    last_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    variants: Mapped[list[Variant]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="Variant.id"
    )


class Variant(Timestamped, Base):
    """The post adapted for one account: its own text, media, first comment, thread."""

    __tablename__ = "post_variant"
    __table_args__ = (UniqueConstraint("post_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    # SET NULL, not CASCADE: a deleted account leaves a visible failure, not a silent gap.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[Any]] = mapped_column(default=list)
    first_comment: Mapped[str | None] = mapped_column(Text)
    thread: Mapped[list[str]] = mapped_column(default=list)  # parts after ``text``

    post: Mapped[Post] = relationship(back_populates="variants")
    publications: Mapped[list[Publication]] = relationship(
        back_populates="variant", cascade="all, delete-orphan", order_by="Publication.id"
    )


class Publication(Timestamped, Base):
    """One send of a variant at ``due_at`` (UTC), with its state and its outcome.

    ``next_attempt_at`` is when the dispatcher may next claim it: ``due_at`` when scheduled,
    the backoff time when ``failed_retryable``. ``claim_token`` changes on every claim so a
    worker whose lease ran out can never overwrite the outcome of a later claim.
    """

    __tablename__ = "publication"
    __table_args__ = (
        CheckConstraint(_in("state", PubState), name="state"),
        Index("ix_publication_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_publication_state_lease_until", "state", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("post_variant.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(24), default=PubState.SCHEDULED.value)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # How many times reconciliation asked the network about an ``unknown`` outcome.
    checks: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remote_id: Mapped[str | None] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(2048))
    reason: Mapped[str | None] = mapped_column(Text)

    variant: Mapped[Variant] = relationship(back_populates="publications")
    events: Mapped[list[PublicationEvent]] = relationship(
        back_populates="publication",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PublicationEvent.id",
    )


class PublicationEvent(Base):
    """One state change of a publication; rows are only ever inserted."""

    __tablename__ = "publication_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    worker: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)

    publication: Mapped[Publication] = relationship(back_populates="events")


class WorkerHeartbeat(Base):
    """Each worker's last poll, so `sociable status` shows a dead worker as dead."""

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_poll: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed: Mapped[int] = mapped_column(Integer, default=0)


class AccountThrottle(Base):
    """Per-account pacing shared by every worker: no claim for the account before ``until``."""

    __tablename__ = "account_throttle"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)


class PublishPolicy(Base):
    """A workspace's own publishing rules; without a row the `[publish]` config applies."""

    __tablename__ = "publish_policy"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    late_minutes: Mapped[int] = mapped_column(Integer)


@event.listens_for(PublicationEvent, "before_update")
def _append_only(_mapper: Mapper[Any], _conn: Any, target: PublicationEvent) -> None:
    raise ValueError(f"publication events are append-only (event {target.id})")
