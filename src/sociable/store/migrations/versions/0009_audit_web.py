"""audit web: runs owned by a workspace, live progress, each page's cards

Revision ID: 0009_audit_web
Revises: 0004_audit
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_audit_web"
down_revision: str | Sequence[str] | None = "0004_audit"
branch_labels: str | Sequence[str] | None = None
# The workspace foreign key needs the workspace table.
depends_on: str | Sequence[str] | None = "0001_foundation"


def upgrade() -> None:
    with op.batch_alter_table("audit_run") as batch:
        batch.add_column(sa.Column("workspace_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("status", sa.String(length=16), server_default="done", nullable=False)
        )
        batch.add_column(sa.Column("pages_done", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("pages_queued", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("error", sa.String(length=2000), nullable=True))
        batch.create_foreign_key(
            op.f("fk_audit_run_workspace_id_workspace"),
            "workspace",
            ["workspace_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_audit_run_workspace_id"), ["workspace_id"])
    with op.batch_alter_table("audit_page") as batch:
        batch.add_column(sa.Column("cards", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("resolved", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_page") as batch:
        batch.drop_column("resolved")
        batch.drop_column("cards")
    with op.batch_alter_table("audit_run") as batch:
        batch.drop_index(op.f("ix_audit_run_workspace_id"))
        batch.drop_constraint(op.f("fk_audit_run_workspace_id_workspace"), type_="foreignkey")
        batch.drop_column("error")
        batch.drop_column("pages_queued")
        batch.drop_column("pages_done")
        batch.drop_column("status")
        batch.drop_column("workspace_id")
