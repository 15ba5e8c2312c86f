"""``sociable db``: migrations."""

from __future__ import annotations

import typer

from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.store import migrate

app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context, revision: str = typer.Argument("heads")) -> None:
    """Apply migrations up to REVISION (default: all heads)."""
    state = get_state(ctx)
    db = state.database(migrate_check=False, credentials=False)
    migrate.upgrade(db, revision, default_currency=state.settings.money.currency)
    console.print(f"database {db.url} at {', '.join(sorted(migrate.current(db))) or 'base'}")


@app.command()
def current(ctx: typer.Context) -> None:
    """Show the revision(s) the database is at, and whether that is the latest."""
    db = get_state(ctx).database(migrate_check=False, credentials=False)
    revs = migrate.current(db)
    state = "up to date" if migrate.is_current(db) else "behind: run `sociable db upgrade`"
    console.print(f"{', '.join(sorted(revs)) or 'base (empty)'} ({state})")


@app.command()
def downgrade(ctx: typer.Context, revision: str = typer.Argument("-1")) -> None:
    """Revert migrations down to REVISION (default: one step; `base` empties the database)."""
    db = get_state(ctx).database(migrate_check=False, credentials=False)
    migrate.downgrade(db, revision)
    console.print(f"database {db.url} at {', '.join(sorted(migrate.current(db))) or 'base'}")
