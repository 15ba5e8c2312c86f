"""review: review rounds, review comments, calendar feed tokens

Revision ID: 0008_review
Revises: 0003_publish

A child of the publish branch (its tables point at ``post``); with ``depends_on`` instead,
Alembic drops 0003 from the version table and ``is_current`` would never be true.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sociable.store.base

revision: str = "0008_review"
down_revision: str | Sequence[str] | None = "0003_publish"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sociable.store.base.UTCDateTime


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
    ]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{ref_table}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "review_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("when", UTC(timezone=True), nullable=True),
        sa.Column("queue", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.String(length=24), nullable=True),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        *_stamps(),
        _fk("review_request", "workspace_id", "workspace.id", "CASCADE"),
        _fk("review_request", "post_id", "post.id", "CASCADE"),
        _fk("review_request", "requested_by", "user_account.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_request")),
    )
    with op.batch_alter_table("review_request") as batch_op:
        batch_op.create_index(batch_op.f("ix_review_request_workspace_id"), ["workspace_id"])
        batch_op.create_index(batch_op.f("ix_review_request_post_id"), ["post_id"])
    op.create_table(
        "review_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=320), nullable=False),
        sa.Column("via_link", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=24), nullable=True),
        *_stamps(),
        _fk("review_comment", "workspace_id", "workspace.id", "CASCADE"),
        _fk("review_comment", "post_id", "post.id", "CASCADE"),
        _fk("review_comment", "author_id", "user_account.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_comment")),
    )
    with op.batch_alter_table("review_comment") as batch_op:
        batch_op.create_index(batch_op.f("ix_review_comment_workspace_id"), ["workspace_id"])
        batch_op.create_index(batch_op.f("ix_review_comment_post_id"), ["post_id"])
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("last_used_at", UTC(timezone=True), nullable=True),
        sa.Column("revoked_at", UTC(timezone=True), nullable=True),
        *_stamps(),
        _fk("calendar_feed", "workspace_id", "workspace.id", "CASCADE"),
        _fk("calendar_feed", "created_by", "user_account.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    with op.batch_alter_table("calendar_feed") as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feed_workspace_id"), ["workspace_id"])


def downgrade() -> None:
    with op.batch_alter_table("calendar_feed") as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_workspace_id"))
    op.drop_table("calendar_feed")
    with op.batch_alter_table("review_comment") as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_comment_post_id"))
        batch_op.drop_index(batch_op.f("ix_review_comment_workspace_id"))
    op.drop_table("review_comment")
    with op.batch_alter_table("review_request") as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_request_post_id"))
        batch_op.drop_index(batch_op.f("ix_review_request_workspace_id"))
    op.drop_table("review_request")
