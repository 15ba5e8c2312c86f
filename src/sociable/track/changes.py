"""Link changes reach running redirect servers within a second, not after their cache's TTL.

Every flush that changes or deletes a :class:`ShortLink` bumps a counter row in the same
transaction (:class:`TrackLinkVersion`, kept by a listener next to the model). A redirect
server reads it every ``WATCH_EVERY`` seconds and drops its whole link cache when it moved;
the links still in use are looked up again. New links do not bump it: an unknown code is
only cached as missing for a few seconds.
"""

from __future__ import annotations

from sqlalchemy import select

from sociable.store.db import Database
from sociable.store.models.track import TrackLinkVersion

WATCH_EVERY = 1.0


def link_version(db: Database) -> int:
    """The counter now (0 before any link was changed)."""
    with db.read_session() as session:
        found = session.scalar(select(TrackLinkVersion.version).where(TrackLinkVersion.id == 1))
        return int(found or 0)
