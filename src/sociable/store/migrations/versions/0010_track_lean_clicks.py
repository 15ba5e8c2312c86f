"""track: drop the index on click visitor hashes

Nothing looks clicks up by visitor (unique visitors are counted per link with the link/time
index), and a random-keyed index made every click insert touch a random B-tree page: about
half the cost of copying clicks into SQLite.

Revision ID: 0010_track_lean_clicks
Revises: 0002_track
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_track_lean_clicks"
down_revision: str | Sequence[str] | None = "0002_track"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_track_click_visitor", table_name="track_click")


def downgrade() -> None:
    op.create_index("ix_track_click_visitor", "track_click", ["visitor"], unique=False)
