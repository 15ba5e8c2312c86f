"""``sociable users``: people and their roles in the workspace."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.errors import UserError
from sociable.store.models import Membership, Role, User
from sociable.web import login_sessions
from sociable.workspaces import add_member, current_workspace

app = typer.Typer(help="People and their roles (owner, editor, viewer).", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    email: str,
    role: Role = typer.Option(Role.EDITOR, help="owner, editor or viewer."),
    name: str = typer.Option("", help="Display name."),
    password: str | None = typer.Option(
        None,
        envvar="SOCIABLE_PASSWORD",
        help="Password (or env SOCIABLE_PASSWORD); prompted if absent.",
    ),
) -> None:
    """Add a person to the workspace, or change their role."""
    state = get_state(ctx)
    if password is None:
        if not typer.get_text_stream("stdin").isatty():
            raise UserError("password: give --password, SOCIABLE_PASSWORD, or run in a terminal")
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        user = add_member(session, workspace, email, password, role, name)
        console.print(f"{user.email} is {role.value} of {workspace.name!r}")


@app.command("list")
def list_users(ctx: typer.Context) -> None:
    """List the people in the workspace."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        rows = session.execute(
            select(User.email, User.name, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace.id)
            .order_by(User.email)
        ).all()
    table = Table("email", "name", "role")
    for email, name, role in rows:
        table.add_row(email, name, role)
    console.print(table)


@app.command("logout")
def logout(ctx: typer.Context, email: str) -> None:
    """End every web session of a person in the workspace (a lost laptop, a leaver)."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        user = session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(User.email == email.strip().lower(), Membership.workspace_id == workspace.id)
        )
        if user is None:
            raise UserError(f"email: {email!r} is not a member of {workspace.name!r}")
        ended = login_sessions.end_all(session, user.id)
    console.print(f"{user.email}: {ended} web session(s) ended")
