"""web: a workspace's locale (how its dates and numbers are written)

Revision ID: 0018_workspace_locale
Revises: 0015_web_session
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_workspace_locale"
down_revision: str | Sequence[str] | None = "0015_web_session"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspace") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace") as batch:
        batch.drop_column("locale")
