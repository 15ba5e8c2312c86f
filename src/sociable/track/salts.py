"""Daily random salts for visitor hashes: count unique visitors without keeping IPs.

Each UTC day gets a fresh random salt kept in the database (so several redirect servers agree);
salts older than two days are deleted, after which a day's hashes can no longer be linked
back to an address, even by someone holding the database and a list of all IPv4 addresses.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from sociable.store.db import Database
from sociable.store.models.track import TrackSalt

KEEP_DAYS = 2


def day_of(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def salt_for(db: Database, day: str) -> bytes:
    """The salt for ``day`` (``YYYY-MM-DD``), created on first use; older salts dropped."""
    with db.read_session() as session:
        found = session.get(TrackSalt, day)
        if found is not None:
            return found.salt
    try:
        with db.session() as session:
            session.add(TrackSalt(day=day, salt=os.urandom(32)))
            cutoff = (datetime.strptime(day, "%Y-%m-%d") - timedelta(days=KEEP_DAYS)).strftime(
                "%Y-%m-%d"
            )
            session.execute(delete(TrackSalt).where(TrackSalt.day < cutoff))
    except IntegrityError:
        pass  # another server created it first
    with db.session() as session:
        return session.scalars(select(TrackSalt.salt).where(TrackSalt.day == day)).one()


def visitor_hash(salt: bytes, ip: str, ua: str) -> str:
    return hashlib.blake2b(
        f"{ip}\n{ua[:512]}".encode("utf-8", "replace"), key=salt, digest_size=12
    ).hexdigest()
