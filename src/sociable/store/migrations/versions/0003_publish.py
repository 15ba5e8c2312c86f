"""publish: posts, variants, publications, events, workers

Revision ID: 0003_publish
Revises: 0001_foundation
Create Date: 2026-11-21 17:18:47.851022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sociable.store.base

revision: str = "0003_publish"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_poll", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sociable.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeat")),
    )
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=2048), nullable=True),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("approval", sa.String(length=24), nullable=False),
        sa.Column("source_path", sa.String(length=2048), nullable=True),
        sa.Column("evergreen", sa.Boolean(), nullable=False),
        sa.Column("evergreen_cooldown_days", sa.Integer(), nullable=True),
        sa.Column("evergreen_until", sociable.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("evergreen_max_count", sa.Integer(), nullable=True),
        sa.Column("evergreen_count", sa.Integer(), nullable=False),
        sa.Column(
            "last_published_at", sociable.store.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "approval IN ('draft', 'in_review', 'approved', 'changes_requested')",
            name=op.f("ck_post_approval"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_post_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_post_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "publish_policy",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("late_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_publish_policy_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_publish_policy")),
    )
    op.create_table(
        "account_throttle",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("until", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_throttle_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_throttle")),
    )
    op.create_table(
        "post_variant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("first_comment", sa.Text(), nullable=True),
        sa.Column("thread", sa.JSON(), nullable=False),
        sa.Column("created_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_post_variant_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_variant_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_variant")),
        sa.UniqueConstraint(
            "post_id", "account_id", name=op.f("uq_post_variant_post_id_account_id")
        ),
    )
    with op.batch_alter_table("post_variant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_variant_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_post_variant_post_id"), ["post_id"], unique=False)

    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("due_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sociable.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sociable.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sociable.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sociable.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", sociable.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("remote_id", sa.String(length=512), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('scheduled', 'claimed', 'sending', 'published', 'failed_retryable', "
            "'failed', 'unknown', 'missed', 'cancelled')",
            name=op.f("ck_publication_state"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_publication_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["post_variant.id"],
            name=op.f("fk_publication_variant_id_post_variant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_publication_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_publication_idempotency_key")),
    )
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publication_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "ix_publication_state_lease_until", ["state", "lease_until"], unique=False
        )
        batch_op.create_index(
            "ix_publication_state_next_attempt_at", ["state", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_publication_variant_id"), ["variant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_publication_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "publication_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publication.id"],
            name=op.f("fk_publication_event_publication_id_publication"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_event")),
    )
    with op.batch_alter_table("publication_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publication_event_publication_id"), ["publication_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("publication_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_event_publication_id"))

    op.drop_table("publication_event")
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_publication_variant_id"))
        batch_op.drop_index("ix_publication_state_next_attempt_at")
        batch_op.drop_index("ix_publication_state_lease_until")
        batch_op.drop_index(batch_op.f("ix_publication_account_id"))

    op.drop_table("publication")
    with op.batch_alter_table("post_variant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_variant_post_id"))
        batch_op.drop_index(batch_op.f("ix_post_variant_account_id"))

    op.drop_table("post_variant")
    op.drop_table("account_throttle")
    op.drop_table("publish_policy")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_workspace_id"))

    op.drop_table("post")
    op.drop_table("worker_heartbeat")
