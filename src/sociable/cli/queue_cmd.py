"""``sociable queue``: weekly posting slots per account, and posts that take the next one."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from sociable.analytics.best_times import BestTimes, best_times_in
from sociable.analytics.suggest import Suggestion, suggest
from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import CliState, get_state
from sociable.clock import system_clock, zone
from sociable.errors import UserError
from sociable.publish import posts as post_ops
from sociable.publish.accounts_ref import AccountIndex
from sociable.publish.queue import (
    QueuePlanner,
    account_slots,
    account_timezone,
    set_account_slots,
)
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
    account: str | None = typer.Argument(None, help="network:handle, handle, or network."),
    slot: list[str] = typer.Argument(None, help="New slots, e.g. 'mon 09:00' 'wed 12:30'."),
    timezone: str | None = typer.Option(None, "--timezone", help="The account's IANA zone."),
    clear: bool = typer.Option(False, "--clear", help="Remove every slot."),
    suggest: bool = typer.Option(
        False, "--suggest", help="Propose the best free hours of the next week (best times)."
    ),
    accounts: list[str] = typer.Option(
        None, "--account", help="With --suggest: this account (repeat; default every one)."
    ),
    count: int = typer.Option(5, "--count", "-n", help="With --suggest: how many per account."),
    apply: bool = typer.Option(
        False, "--apply", help="With --suggest: make the suggested hours the weekly slots."
    ),
    output: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Show an account's weekly slots, or replace them with the ones given; with
    --suggest, the best free hours of the next week from the account's own history."""
    state = get_state(ctx)
    if suggest:
        if slot or clear:
            raise UserError("--suggest proposes slots; give new slots or --clear without it")
        suggest_slots(state, [account] if account else [], accounts or [], count, apply, output)
        return
    if account is None:
        raise UserError("ACCOUNT: name the account (network:handle), or use --suggest")
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        acc = AccountIndex.load(session, workspace).resolve(account, "ACCOUNT")
        if slot or clear or timezone:
            current = [str(s) for s in account_slots(acc, workspace).slots]
            set_account_slots(acc, [] if clear else (slot or current), timezone)
        provider = account_slots(acc, workspace)
        shown = ", ".join(str(s) for s in provider.slots) or "none"
        console.print(f"{acc.network}:{acc.handle} ({provider.timezone}): {shown}")


def suggest_slots(
    state: CliState,
    positional: list[str],
    refs: list[str],
    count: int,
    apply: bool,
    output: OutputFormat,
) -> None:
    """Per account, the ``count`` best free hours of the next week, in its own zone."""
    if count < 1:
        raise UserError("--count must be at least 1")
    out: list[dict[str, object]] = []
    lines: list[str] = []
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        index = AccountIndex.load(session, workspace)
        chosen = index.resolve_all([*positional, *refs], "--account") or index.accounts
        if not chosen:
            raise UserError(f"no accounts to suggest slots for: {index.known()}")
        results: dict[str, BestTimes] = {}
        now = system_clock()
        for acc in chosen:
            tz_name = account_timezone(acc, workspace)
            if tz_name not in results:
                results[tz_name] = best_times_in(session, workspace.id, timezone=tz_name)
            found = suggest(
                session, workspace, [acc], now=now, count=count, result=results[tz_name]
            )
            label = f"{acc.network}:{acc.handle}"
            if apply and found:
                set_account_slots(acc, sorted({f.slot for f in found}))
            out.append(
                {
                    "account": label,
                    "timezone": tz_name,
                    "applied": apply,
                    "suggestions": [f.to_json() for f in found],
                }
            )
            lines.append(f"{label} ({tz_name}): best free hours of the next week")
            lines += [f"  {_suggestion_line(f)}" for f in found] or ["  none free"]
            if apply and found:
                lines.append(f"  weekly slots now: {', '.join(sorted({f.slot for f in found}))}")
    if output is OutputFormat.JSON:
        emit_json(out)
        return
    for line in lines:
        console.print(escape(line), highlight=False, soft_wrap=True)


def _suggestion_line(found: Suggestion) -> str:
    (a,) = found.accounts
    when = f"{found.slot} ({found.local:%Y-%m-%d})"
    if a.fallback:
        return f"{when}: fallback (published guidance, not your history); {a.posts} post(s) here"
    assert a.low is not None and a.high is not None
    return (
        f"{when}: score {a.score:.4g} [{a.low:.4g}, {a.high:.4g}] per {a.base}, "
        f"{a.lift:.2f}x your typical post, {a.posts} post(s) here"
    )


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
