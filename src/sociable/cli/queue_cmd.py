"""``sociable queue``: weekly posting slots per account, and posts that take the next one."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.clock import system_clock, zone
from sociable.publish import posts as post_ops
from sociable.publish.accounts_ref import AccountIndex
from sociable.publish.queue import QueuePlanner, account_slots, set_account_slots
from sociable.publish.spec import read_post_file
from sociable.publish.when import format_local
from sociable.workspaces import current_workspace

app = typer.Typer(
    help="Posting slots per account and the queue that fills them.", no_args_is_help=True
)


@app.command("add")
def add(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Markdown post; its `when` is ignored if absent."),
) -> None:
    """Schedule FILE.md in each account's next free slot (or at its `when`, if given)."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        spec = read_post_file(file, workspace.timezone)
        post = post_ops.create_post(
            session,
            workspace,
            spec,
            now=system_clock(),
            queue=True,
            platform_overrides=state.settings.platforms,
            handles=state.settings.handles,
        )
        tz = zone(workspace.timezone)
        names = post_ops.account_names(session, [v.account_id for v in post.variants])
        console.print(f"queued post {post.id}")
        for variant in post.variants:
            for pub in variant.publications:
                console.print(f"  {names[variant.account_id]}: {format_local(pub.due_at, tz)}")


@app.command("slots")
def slots(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="network:handle, handle, or network."),
    slot: list[str] = typer.Argument(None, help="New slots, e.g. 'mon 09:00' 'wed 12:30'."),
    timezone: str | None = typer.Option(None, "--timezone", help="The account's IANA zone."),
    clear: bool = typer.Option(False, "--clear", help="Remove every slot."),
) -> None:
    """Show an account's weekly slots, or replace them with the ones given."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        acc = AccountIndex.load(session, workspace).resolve(account, "ACCOUNT")
        if slot or clear or timezone:
            current = [str(s) for s in account_slots(acc, workspace).slots]
            set_account_slots(acc, [] if clear else (slot or current), timezone)
        provider = account_slots(acc, workspace)
        shown = ", ".join(str(s) for s in provider.slots) or "none"
        console.print(f"{acc.network}:{acc.handle} ({provider.timezone}): {shown}")


@app.command("next")
def next_slots(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="network:handle, handle, or network."),
    count: int = typer.Option(5, "--count", "-n", help="How many free slots to show."),
    output: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """The account's next free slots, in its own time zone and in UTC."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        acc = AccountIndex.load(session, workspace).resolve(account, "ACCOUNT")
        planner = QueuePlanner(session, workspace)
        tz = zone(account_slots(acc, workspace).timezone)
        found = []
        after = system_clock()
        for _ in range(max(count, 1)):
            instant = planner.next_slot(acc, after)
            planner.hold(acc, instant)
            found.append(instant)
    if output is OutputFormat.JSON:
        emit_json([{"utc": t.isoformat(), "local": format_local(t, tz)} for t in found])
        return
    table = Table("local", "UTC")
    for t in found:
        table.add_row(format_local(t, tz), t.isoformat())
    console.print(table)


@app.command("evergreen")
def evergreen(ctx: typer.Context) -> None:
    """Re-queue evergreen posts whose cooldown has passed (run it daily, or let the worker)."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        created = post_ops.requeue_evergreen(session, workspace, now=system_clock())
        tz = zone(workspace.timezone)
        for pub in created:
            console.print(f"  publication {pub.id}: {format_local(pub.due_at, tz)}")
        console.print(f"re-queued {len(created)} publication(s)")
