"""``sociable calendar``: the week or month ahead in the terminal, and as an ICS file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.clock import system_clock, zone
from sociable.errors import UserError
from sociable.publish.accounts_ref import AccountIndex
from sociable.publish.calendar import calendar_items, window
from sociable.publish.ical import build_ics, validate_ics
from sociable.publish.when import parse_when
from sociable.workspaces import current_workspace

app = typer.Typer(
    help="The calendar in the workspace's time zone; `calendar export --ics FILE`.",
    invoke_without_command=True,
)

STATE_STYLE = {
    "published": "green",
    "failed": "red",
    "unknown": "yellow",
    "missed": "red",
    "cancelled": "dim",
    "failed_retryable": "yellow",
}


def _parse_day(value: str | None, today: date) -> date:
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--from: {value!r} is not a date (YYYY-MM-DD)") from None


@app.callback()
def show(
    ctx: typer.Context,
    week: bool = typer.Option(False, "--week", help="Monday to Sunday (the default)."),
    month: bool = typer.Option(False, "--month", help="The whole calendar month."),
    account: str | None = typer.Option(None, "--account", help="Only this account."),
    start: str | None = typer.Option(None, "--from", help="A day in the period (YYYY-MM-DD)."),
) -> None:
    """Show what is planned and sent, day by day, in the workspace's time zone."""
    if ctx.invoked_subcommand is not None:
        return
    if week and month:
        raise UserError("--week and --month: choose one")
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        tz = zone(workspace.timezone)
        first = _parse_day(start, system_clock().astimezone(tz).date())
        lo, hi, days = window("month" if month else "week", first, tz)
        ids = None
        if account:
            ids = [AccountIndex.load(session, workspace).resolve(account, "--account").id]
        items = calendar_items(session, workspace, lo, hi, account_ids=ids)
    by_day: dict[date, list[str]] = {d: [] for d in days}
    for item in items:
        local = item.due_at.astimezone(tz)
        style = STATE_STYLE.get(item.state, "")
        text = (item.text.strip().splitlines() or [""])[0][:40]
        line = escape(f"{local:%H:%M} {item.account} ({item.state}) {text}")
        by_day.setdefault(local.date(), []).append(f"[{style}]{line}[/]" if style else line)
    title = f"{days[0]:%d %b %Y} – {days[-1]:%d %b %Y} ({workspace.timezone})"
    table = Table("day", "posts", title=title, show_lines=True)
    for day in days:
        entries = by_day.get(day, [])
        table.add_row(f"{day:%a %d %b}", "\n".join(entries) if entries else "[dim]-[/]")
    console.print(table)
    console.print(f"{len(items)} publication(s)")


@app.command("export")
def export(
    ctx: typer.Context,
    ics: Path = typer.Option(..., "--ics", help="Write an iCalendar (RFC 5545) file here."),
    account: str | None = typer.Option(None, "--account", help="Only this account."),
    start: str | None = typer.Option(None, "--from", help="From this date-time (ISO 8601)."),
    end: str | None = typer.Option(None, "--to", help="Up to this date-time (ISO 8601)."),
) -> None:
    """Export publications as iCalendar events (stable UIDs, DTSTART in UTC)."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        lo = parse_when(_day_start(start), workspace.timezone, "--from") if start else None
        hi = parse_when(_day_start(end), workspace.timezone, "--to") if end else None
        ids = None
        if account:
            ids = [AccountIndex.load(session, workspace).resolve(account, "--account").id]
        items = calendar_items(session, workspace, lo, hi, account_ids=ids)
        data = build_ics(items, name=workspace.name, now=system_clock())
    events = validate_ics(data)
    try:
        ics.write_bytes(data)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", where=str(ics)) from None
    console.print(f"wrote {len(events)} event(s) to {ics}")


def _day_start(value: str) -> str:
    """A bare date means its local midnight."""
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time()).isoformat()
    except ValueError:
        return value
