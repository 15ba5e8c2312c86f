"""Short links, the clicks they receive, and the conversions those clicks lead to.

``post_id`` is a plain integer, not a foreign key: the track tables live on their own
migration branch and a link may point at a post that was deleted later; the click history
must survive that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from sociable.store.base import Base, Timestamped, UTCDateTime, utcnow
from sociable.store.db import dialect_insert

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
#: The conversion source that proved itself (a signed ``POST /c``); anything else is unverified.
VERIFIED_SOURCE = "postback"


class ShortLink(Timestamped, Base):
    """A code on the short domain that redirects to one registered destination."""

    __tablename__ = "track_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # The URL as given, and the URL we redirect to (with its UTM tags).
    url: Mapped[str] = mapped_column(String(2048))
    destination: Mapped[str] = mapped_column(String(4096))
    campaign: Mapped[str | None] = mapped_column(String(200), index=True)
    network: Mapped[str | None] = mapped_column(String(32), index=True)
    post_id: Mapped[int | None] = mapped_column(Integer, index=True)
    utm: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled: Mapped[bool] = mapped_column(default=False)


class Click(Base):
    """One redirect served. No IP: ``visitor`` is a salted hash whose salt changes daily."""

    __tablename__ = "track_click"
    __table_args__ = (Index("ix_track_click_link_at", "link_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # The click id (``sc_cid``) put on the landing URL; unique so log replays are idempotent.
    click_id: Mapped[str] = mapped_column(String(32), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("track_link.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    referrer_host: Mapped[str | None] = mapped_column(String(253))
    ua_family: Mapped[str] = mapped_column(String(64), default="Other")
    device: Mapped[str] = mapped_column(String(16), default="other")
    country: Mapped[str | None] = mapped_column(String(2))
    visitor: Mapped[str] = mapped_column(String(32))
    is_bot: Mapped[bool] = mapped_column(default=False)


class Conversion(Base):
    """A sale or lead reported by the site; one per order id per workspace.

    The amount is integer minor units of ``currency`` (ISO 4217; 4990 EUR is 49.90 EUR, 5000
    JPY is 5000 yen), so amounts in different currencies are never added by accident.
    """

    __tablename__ = "track_conversion"
    __table_args__ = (UniqueConstraint("workspace_id", "order_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(String(128))
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # Click ids the visitor carried, oldest first (the script keeps a few in its cookie).
    click_ids: Mapped[list[str]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(16))  # "postback" (verified) or "pixel"
    # A signed postback replaced the pixel's unverified figures for this order.
    replaced_pixel: Mapped[bool] = mapped_column(default=False, server_default=false())
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def verified(self) -> bool:
        return self.source == VERIFIED_SOURCE


class TrackLogOffset(Base):
    """How far each click-log segment has been copied into the database.

    Updated in the same transaction as the rows it covers, so a crash never copies twice
    and never skips.
    """

    __tablename__ = "track_log_offset"

    segment: Mapped[str] = mapped_column(String(200), primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)


class TrackSalt(Base):
    """The random salt for one UTC day's visitor hashes; old ones are deleted."""

    __tablename__ = "track_salt"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))


class TrackLinkVersion(Base):
    """One counter (row 1), bumped in the same transaction as any change to or deletion of a
    link, whichever code path made it (CLI, API, pages); redirect servers poll it to drop
    their link cache (:mod:`sociable.track.changes`)."""

    __tablename__ = "track_link_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def _bump_link_version(session: Session, _context: Any) -> None:
    """After a flush that changed or deleted a link: count it, in the same transaction."""
    changed = any(isinstance(obj, ShortLink) for obj in session.deleted) or any(
        isinstance(obj, ShortLink) and session.is_modified(obj) for obj in session.dirty
    )
    if not changed:
        return
    table = TrackLinkVersion.__table__
    session.execute(
        dialect_insert(session.get_bind().dialect.name, table)
        .values(id=1, version=1)
        .on_conflict_do_update(index_elements=[table.c.id], set_={"version": table.c.version + 1})
    )


event.listen(Session, "after_flush", _bump_link_version)
