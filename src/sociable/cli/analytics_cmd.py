"""``sociable analytics collect | status``: read metrics back from the networks."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape
from sqlalchemy import select

from sociable.cli import analytics_report_cmd
from sociable.cli.analytics_best_times_cmd import best_times_command
from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.clock import system_clock
from sociable.collect.loop import client
from sociable.collect.run import AccountRun, collect_once
from sociable.store.models import Account
from sociable.store.models.collect import CollectState
from sociable.workspaces import current_workspace

app = typer.Typer(help="Metrics read back from the networks (first slice).", no_args_is_help=True)
app.command("report")(analytics_report_cmd.report)


@app.command("collect")
def collect(
    ctx: typer.Context,
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Let reads reach private/loopback addresses."
    ),
) -> None:
    """Read what is due now (account counts, our posts' metrics, the account's timeline)."""
    state = get_state(ctx)
    settings = state.settings
    db = state.database()
    with db.read_session() as s:
        workspace_id = current_workspace(s, settings).id
    with client(settings.collect, allow_private) as http:
        runs = collect_once(
            db, system_clock(), http=http, settings=settings.collect, workspace_id=workspace_id
        )
    if not runs:
        console.print("no account can be read yet (add a Mastodon or Bluesky account)")
    for run in runs:
        console.print(escape(line(run)), highlight=False, soft_wrap=True)


def line(run: AccountRun) -> str:
    """One account's pass as a line (also what ``sociable worker -v`` prints)."""
    when = run.next_due_at.isoformat(timespec="minutes") if run.next_due_at else "-"
    if not run.jobs and not run.errors:
        return f"{run.label}: nothing due (next {when})"
    done = f"{run.snapshots} snapshots, {run.posts} posts read"
    errors = "; ".join(run.errors)
    return f"{run.label}: {done}" + (f"; errors: {errors}" if errors else "") + f" (next {when})"


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Each account's collection jobs: last run, last success, next due, last error."""
    state = get_state(ctx)
    db = state.database()
    with db.read_session() as s:
        workspace_id = current_workspace(s, state.settings).id
        rows = s.execute(
            select(Account.network, Account.handle, CollectState)
            .join(CollectState, CollectState.account_id == Account.id)
            .where(Account.workspace_id == workspace_id, CollectState.kind != "lease")
            .order_by(Account.id, CollectState.kind)
        ).all()
        lines = [
            f"{network}:{handle} {st.kind}: last run {_at(st.last_run_at)}, "
            f"ok {_at(st.last_ok_at)}, next {_at(st.next_due_at)}"
            + (f", error: {st.last_error}" if st.last_error else "")
            for network, handle, st in rows
        ]
    if not lines:
        console.print("nothing collected yet: run `sociable analytics collect`")
    for line in lines:
        console.print(escape(line), highlight=False, soft_wrap=True)


def _at(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value is not None else "-"


app.command("best-times")(best_times_command)
