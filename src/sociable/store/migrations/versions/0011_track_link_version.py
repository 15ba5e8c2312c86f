"""track: a counter of link changes, so redirect servers drop a disabled link within a second

Revision ID: 0011_track_link_version
Revises: 0010_track_lean_clicks
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_track_link_version"
down_revision: str | Sequence[str] | None = "0010_track_lean_clicks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "track_link_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_track_link_version")),
    )


def downgrade() -> None:
    op.drop_table("track_link_version")
