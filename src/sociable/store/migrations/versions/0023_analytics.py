"""analytics: the posts whose numbers we hold, and the files imported

Revision ID: 0023_analytics
Revises: 0022_collect

``publication_id`` and ``post_id`` carry no foreign keys, as in 0022: this is history that
outlives a deleted post, and a key into the publish branch would tie the two branches.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sociable.store.base

revision: str = "0023_analytics"
down_revision: str | Sequence[str] | None = "0022_collect"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sociable.store.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "analytics_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("posts_added", sa.Integer(), nullable=False),
        sa.Column("snapshots_added", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTC(timezone=True), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_analytics_import_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_import")),
    )
    with op.batch_alter_table("analytics_import") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analytics_import_workspace_id"), ["workspace_id"], unique=False
        )
    op.create_table(
        "social_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=32), nullable=False),
        sa.Column("remote_id", sa.String(length=512), nullable=True),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("posted_at", UTC(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=16), nullable=True),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=200), nullable=True),
        sa.Column("link", sa.String(length=2048), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_social_post_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_social_post_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_post")),
        sa.UniqueConstraint(
            "account_id", "dedupe_key", name=op.f("uq_social_post_account_id_dedupe_key")
        ),
    )
    with op.batch_alter_table("social_post") as batch_op:
        batch_op.create_index(
            "ix_social_post_workspace_id_posted_at", ["workspace_id", "posted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_social_post_publication_id"), ["publication_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("social_post") as batch_op:
        batch_op.drop_index(batch_op.f("ix_social_post_publication_id"))
        batch_op.drop_index("ix_social_post_workspace_id_posted_at")
    op.drop_table("social_post")
    with op.batch_alter_table("analytics_import") as batch_op:
        batch_op.drop_index(batch_op.f("ix_analytics_import_workspace_id"))
    op.drop_table("analytics_import")
