"""The first aggregates: workspaces, people, their roles, network accounts, media."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sociable.store.base import Base, Timestamped, UTCDateTime
from sociable.store.secrets import EncryptedJSON


class Role(StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


class Workspace(Timestamped, Base):
    """One brand: its time zone, its site, its people and accounts."""

    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # How dates and numbers are written (fr_FR); None: the one the time zone suggests.
    locale: Mapped[str | None] = mapped_column(String(35))
    site_url: Mapped[str | None] = mapped_column(String(2048))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan"
    )
    accounts: Mapped[list[Account]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan"
    )


class User(Timestamped, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(Timestamped, Base):
    """A user's role in a workspace."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id"),
        CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))

    workspace: Mapped[Workspace] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Account(Timestamped, Base):
    """A connection to one network account; credentials are encrypted at rest."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("workspace_id", "network", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    credentials: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON())
    # Non-secret settings (instance URL, page id, time zone for slots ...)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(32), default="active")

    workspace: Mapped[Workspace] = relationship(back_populates="accounts")


class MediaAsset(Timestamped, Base):
    """An image or video a post can carry, with what the media checks need to know."""

    __tablename__ = "media_asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(2048))
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    alt_text: Mapped[str] = mapped_column(String(2000), default="")
