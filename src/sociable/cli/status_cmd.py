"""``sociable status``: counts per state, due-to-sent lag, stuck publications, workers."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.table import Table

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.publish.status import Status, collect


def status(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.TEXT, "--format", help="text or json."),
    check: bool = typer.Option(
        False, "--check", help="Exit 1 when something is stuck or no worker is alive."
    ),
) -> None:
    """Is the publisher keeping up? Lag, counts per state, stuck posts, each worker's last poll."""
    state = get_state(ctx)
    settings = state.settings.publish
    alive = timedelta(seconds=max(30.0, 5 * settings.poll_seconds, settings.lease_seconds / 2))
    with state.database().session() as session:
        report = collect(session, alive_within=alive)
    if fmt is OutputFormat.JSON:
        emit_json(report.to_dict())
    else:
        _render(report)
    if check and not report.healthy:
        raise typer.Exit(1)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _render(report: Status) -> None:
    counts = ", ".join(f"{state} {n}" for state, n in report.counts.items() if n)
    console.print(f"publications: {counts or 'none'}")
    console.print(
        f"due-to-sent lag (last 24 h, {report.lag_sample} sent): "
        f"p50 {_seconds(report.lag_seconds_p50)}, p99 {_seconds(report.lag_seconds_p99)}"
    )
    console.print(
        f"due but not sent: {report.due_not_sent}"
        + (
            f" (oldest {_seconds(report.oldest_due_seconds)} overdue)"
            if report.due_not_sent
            else ""
        )
    )
    if report.workers:
        table = Table("worker", "host", "pid", "last poll", "ago", "state", "sent")
        for w in report.workers:
            table.add_row(
                w.worker_id,
                w.host,
                str(w.pid),
                w.last_poll.isoformat(timespec="seconds"),
                _seconds(w.seconds_since_poll),
                "stopped" if w.stopped else "alive" if w.alive else "SILENT",
                str(w.processed),
            )
        console.print(table)
    else:
        console.print("workers: none has ever polled (run `sociable worker`)")
    if report.stuck:
        table = Table("id", "state", "due (UTC)", "why", "reason")
        for item in report.stuck:
            table.add_row(
                str(item.publication_id),
                item.state,
                item.due_at.isoformat(timespec="seconds"),
                item.why,
                (item.reason or "")[:80],
            )
        console.print(table)
    console.print("healthy" if report.healthy else "[bold red]NOT healthy[/]")
