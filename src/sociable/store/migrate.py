"""Alembic, driven from Python: ``sociable db upgrade | current | downgrade``.

Each domain adds its own revision; several heads are allowed (a branch per domain that
starts from the foundation), and ``upgrade`` applies them all.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from sociable.errors import UserError
from sociable.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(db: Database | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database, target: str = "heads", *, default_currency: str | None = None) -> None:
    """Apply migrations. ``default_currency`` (``[money] currency``) is the ISO 4217 code
    given to stored conversions that never had one (0014_track_money; USD when None)."""
    cfg = _config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["default_currency"] = default_currency
        try:
            command.upgrade(cfg, target)
        except CommandError as exc:
            raise UserError(f"cannot upgrade to {target!r}: {exc}") from exc


def downgrade(db: Database, target: str = "-1") -> None:
    """Revert to ``target``. With one branch per domain there can be several heads; then
    ``-1`` steps back the most recent migration (the highest revision number) only."""
    heads = sorted(current(db))
    if target == "-1" and len(heads) > 1:
        # ``rev@-1`` steps back along that revision's own branch; ``rev-1`` would resolve to
        # the branch point and undo every branch above it when ``rev`` starts a branch.
        target = f"{heads[-1]}@-1"
    cfg = _config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        try:
            command.downgrade(cfg, target)
        except CommandError as exc:
            raise UserError(f"cannot downgrade to {target!r}: {exc}") from exc


def current(db: Database) -> set[str]:
    """The revisions the database is at (empty when never migrated)."""
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def heads() -> set[str]:
    return set(ScriptDirectory.from_config(_config()).get_heads())


def is_current(db: Database) -> bool:
    return current(db) == heads()
