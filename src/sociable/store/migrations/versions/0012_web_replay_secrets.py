"""web: drop the idempotency replay records kept so far (some hold tokens and secrets)

Replay records now keep no secret (API tokens, webhook secrets and invitation links are left
out) and expire after 24 hours. Records written before held whole answers, secrets included,
forever: they are deleted. They are only a retry cache; losing them costs at most a replay.

Revision ID: 0012_web_replay_secrets
Revises: 0006_web
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_web_replay_secrets"
down_revision: str | Sequence[str] | None = "0006_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM idempotency_record"))


def downgrade() -> None:
    pass  # deleted secrets stay deleted
