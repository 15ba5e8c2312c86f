"""collect: dated metric snapshots and per-account collection state

Revision ID: 0022_collect
Revises: 0001_foundation

The collect domain's own branch from the foundation. ``publication_id`` has no foreign key:
snapshots are history that outlives a deleted publication, and a key into the publish
branch would make this a child of 0003 (stepping back from it would undo 0008 too).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sociable.store.base

revision: str = "0022_collect"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sociable.store.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "metric_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=True),
        sa.Column("remote_id", sa.String(length=512), nullable=True),
        sa.Column("network", sa.String(length=32), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("cumulative", sa.Boolean(), nullable=False),
        sa.Column("api_version", sa.String(length=32), nullable=False),
        sa.Column("taken_at", UTC(timezone=True), nullable=False),
        sa.Column("fresh_as_of", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_metric_snapshot_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_metric_snapshot_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_snapshot")),
    )
    with op.batch_alter_table("metric_snapshot") as batch_op:
        batch_op.create_index(
            "ix_metric_snapshot_account_id_remote_id_taken_at",
            ["account_id", "remote_id", "taken_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_metric_snapshot_publication_id"), ["publication_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_metric_snapshot_workspace_id"), ["workspace_id"], unique=False
        )
    op.create_table(
        "collect_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("last_run_at", UTC(timezone=True), nullable=True),
        sa.Column("last_ok_at", UTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_due_at", UTC(timezone=True), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_collect_state_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collect_state")),
        sa.UniqueConstraint("account_id", "kind", name=op.f("uq_collect_state_account_id_kind")),
    )


def downgrade() -> None:
    op.drop_table("collect_state")
    with op.batch_alter_table("metric_snapshot") as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_snapshot_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_metric_snapshot_publication_id"))
        batch_op.drop_index("ix_metric_snapshot_account_id_remote_id_taken_at")
    op.drop_table("metric_snapshot")
