"""audit: runs, page scores and findings for `sociable audit --compare`

Revision ID: 0004_audit
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sociable.store.base

revision: str = "0004_audit"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", sociable.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sociable.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("site_score", sa.Integer(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("error_pages", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_run")),
    )
    op.create_index("ix_audit_run_target_started", "audit_run", ["target", "started_at"])
    op.create_table(
        "audit_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["audit_run.id"],
            name=op.f("fk_audit_page_run_id_audit_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_page")),
    )
    op.create_index("ix_audit_page_run_url", "audit_page", ["run_id", "url"])
    op.create_table(
        "audit_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("page_url", sa.String(length=2048), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["audit_run.id"],
            name=op.f("fk_audit_finding_run_id_audit_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_finding")),
    )
    op.create_index(
        "ix_audit_finding_run_page_code", "audit_finding", ["run_id", "page_url", "code"]
    )


def downgrade() -> None:
    op.drop_index("ix_audit_finding_run_page_code", table_name="audit_finding")
    op.drop_table("audit_finding")
    op.drop_index("ix_audit_page_run_url", table_name="audit_page")
    op.drop_table("audit_page")
    op.drop_index("ix_audit_run_target_started", table_name="audit_run")
    op.drop_table("audit_run")
