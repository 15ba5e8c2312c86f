"""What the global options decide, shared by every command through Typer's context."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from sociable.config import Settings, load_settings
from sociable.store.db import Database, open_database
from sociable.store.secrets import SecretBox, load_key, use_box


@dataclass
class CliState:
    config: Path | None = None
    database_url: str | None = None
    debug: bool = False
    verbose: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _db: Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config, database_url=self.database_url)
        return self._settings

    def database(self, *, migrate_check: bool = True, credentials: bool = True) -> Database:
        """The configured database, with the credentials key loaded.

        With ``migrate_check`` a database that is behind its migrations is an error that says
        to run ``sociable db upgrade``. Without ``credentials`` no key is needed (migrations
        create tables, they never read or write credentials), so ``sociable db upgrade`` works
        on a new database before any key exists.
        """
        if self._db is None:
            settings = self.settings
            db = open_database(settings.resolved_database_url)
            if credentials:
                secret = settings.secret_key.get_secret_value() if settings.secret_key else None
                try:
                    use_box(SecretBox(load_key(secret, settings.key_path)))
                except Exception:
                    db.dispose()
                    raise
            if migrate_check:
                from sociable.errors import DatabaseError
                from sociable.store.migrate import is_current

                if not is_current(db):
                    db.dispose()
                    raise DatabaseError(
                        f"database {db.url} is not up to date: run `sociable db upgrade`"
                    )
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def get_state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
