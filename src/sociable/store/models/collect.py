"""The read side's tables: dated metric snapshots (append-only) and per-account job state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from sociable.store.base import Base, Timestamped, UTCDateTime


class MetricSnapshot(Base):
    """One metric's value as read at ``taken_at``: never updated, a new reading is a new row.

    ``remote_id`` None is an account metric (followers); otherwise the post it belongs to,
    with ``publication_id`` when we published it. ``cumulative`` says the value is a running
    total at that time (followers, likes so far), not a count for a period ending at
    ``fresh_as_of``; ``fresh_as_of`` is when the network says the number holds (a live
    count: the time it was read).
    """

    __tablename__ = "metric_snapshot"
    __table_args__ = (
        Index(
            "ix_metric_snapshot_account_id_remote_id_taken_at",
            "account_id",
            "remote_id",
            "taken_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    # No foreign key: a snapshot outlives the publication row (see migration 0022).
    publication_id: Mapped[int | None] = mapped_column(index=True)
    remote_id: Mapped[str | None] = mapped_column(String(512))
    network: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(BigInteger)
    cumulative: Mapped[bool] = mapped_column(default=True)
    api_version: Mapped[str] = mapped_column(String(32))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fresh_as_of: Mapped[datetime] = mapped_column(UTCDateTime())


@event.listens_for(MetricSnapshot, "before_update")
def _never_update(_mapper: Any, _connection: Any, target: MetricSnapshot) -> None:
    raise ValueError(f"metric_snapshot {target.id} is a dated reading: add a row, never update")


class CollectState(Timestamped, Base):
    """Where one account's job of one kind stands: cursor, last run, last error, next due.

    ``kind`` is the job ("account_metrics", "post_metrics", later "inbox", "competitor"...);
    ``next_due_at`` moves on after every run and on a rate limit to when the network allows.
    """

    __tablename__ = "collect_state"
    __table_args__ = (UniqueConstraint("account_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    cursor: Mapped[str | None] = mapped_column(Text)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    runs: Mapped[int] = mapped_column(default=0)
