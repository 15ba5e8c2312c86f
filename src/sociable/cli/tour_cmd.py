"""``sociable tour``: what this install can do, run by ``make run``."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import func, select

from sociable import __version__
from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.rules import all_rules
from sociable.store import migrate
from sociable.store.models import Account, Membership
from sociable.workspaces import current_workspace


def tour(ctx: typer.Context) -> None:
    """A short tour of this workspace and the commands that exist."""
    state = get_state(ctx)
    settings = state.settings
    db = state.database()
    with db.session() as session:
        workspace = current_workspace(session, settings)
        members = session.scalar(
            select(func.count()).where(Membership.workspace_id == workspace.id)
        )
        accounts = session.scalar(
            select(func.count()).select_from(Account).where(Account.workspace_id == workspace.id)
        )
    console.rule(f"Sociable {__version__}")
    console.print(f"config      {settings.config_path or '(none)'}")
    console.print(f"database    {db.url} at {', '.join(sorted(migrate.current(db)))}")
    site = workspace.site_url or "no site yet"
    console.print(f"workspace   {workspace.name} · {workspace.timezone} · {site}")
    console.print(f"networks    {', '.join(settings.workspace.networks) or 'none yet'}")
    console.print(f"people      {members}   accounts {accounts}")
    console.print(f"checks      {len(all_rules())} registered (`sociable rules`)")
    console.print()
    console.print("Try:")
    group = ctx.find_root().command
    assert isinstance(group, typer.core.TyperGroup)
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column()
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is not None and not cmd.hidden:
            table.add_row(f"  sociable {name}", cmd.get_short_help_str(60))
    console.print(table)
