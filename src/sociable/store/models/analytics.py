"""The posts whose numbers we hold, wherever they were made, and the files imported.

A :class:`SocialPost` is one post on one account: published through us (``publication_id``),
read from the account's timeline, or imported from a network's export. Its numbers are
:class:`~sociable.store.models.collect.MetricSnapshot` rows with the same ``account_id`` and
``remote_id`` (``dedupe_key`` when the post has no remote id). Reports group posts by what
is here (network, content type, labels, campaign, hashtags, segment, posting time).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sociable.store.base import Base, Timestamped, UTCDateTime

SOURCES = ("published", "timeline", "import")


def dedupe_key(remote_id: str | None, posted_at: datetime, text: str) -> str:
    """The post's identity on its account: its remote id when it has one, else a hash of the
    minute it was posted and its text (an export row with no id, imported twice, is one post).
    """
    if remote_id:
        return remote_id if len(remote_id) <= 64 else _hash(remote_id)
    # imported here to keep the model free of the connectors at import time
    from sociable.publish.connectors.base import content_fingerprint

    minute = posted_at.replace(second=0, microsecond=0).isoformat()
    return "fp:" + _hash(minute + "\x00" + content_fingerprint(text))[:61]


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class AnalyticsImport(Base):
    """One file given to ``sociable analytics import``: what it was and what it added."""

    __tablename__ = "analytics_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(32))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    posts_added: Mapped[int] = mapped_column(Integer, default=0)
    snapshots_added: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # {"map": {...}, "timezone": ..., "network": ...}: how the file was read
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SocialPost(Timestamped, Base):
    """One post on one account, with what reports group it by."""

    __tablename__ = "social_post"
    __table_args__ = (
        UniqueConstraint("account_id", "dedupe_key"),
        Index("ix_social_post_workspace_id_posted_at", "workspace_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(32))
    remote_id: Mapped[str | None] = mapped_column(String(512))
    dedupe_key: Mapped[str] = mapped_column(String(64))
    # Ours: no foreign keys, the post's history outlives a deleted post (as in 0022).
    publication_id: Mapped[int | None] = mapped_column(Integer, index=True)
    post_id: Mapped[int | None] = mapped_column(Integer)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text, default="")
    # One of sociable.analytics.measures.CONTENT_TYPES, None when nobody said.
    content_type: Mapped[str | None] = mapped_column(String(16))
    hashtags: Mapped[list[str]] = mapped_column(default=list)
    labels: Mapped[list[str]] = mapped_column(default=list)
    campaign: Mapped[str | None] = mapped_column(String(200))
    # Any grouping the user imports (the client, the author, a series).
    segment: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(2048))
    url: Mapped[str | None] = mapped_column(String(2048))
    source: Mapped[str] = mapped_column(String(16))
    import_id: Mapped[int | None] = mapped_column(Integer)
