"""``sociable worker``: publish what is due, on this machine, until stopped."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer
from rich.markup import escape

from sociable.cli.analytics_cmd import line as analytics_line
from sociable.cli.output import err_console
from sociable.cli.state import get_state
from sociable.collect.loop import run_collector
from sociable.collect.run import AccountRun
from sociable.publish.dispatcher import Dispatcher, PassStats
from sociable.publish.worker import run_worker


def worker(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Publish what is due now, then exit."),
    worker_id: str | None = typer.Option(
        None, "--id", help="Name shown in `sociable status` (default: host:pid)."
    ),
    poll: float | None = typer.Option(
        None, "--poll", min=0.05, help="Seconds between polls when idle (default 2)."
    ),
    collect: bool = typer.Option(
        True,
        "--collect/--no-collect",
        help="Also read metrics back every [collect] every_minutes (see `analytics collect`).",
    ),
) -> None:
    """Claim due publications and send them; run as many as you like, anywhere."""
    state = get_state(ctx)
    settings = state.settings.publish
    db = state.database()
    collecting = collect and (once or state.settings.collect.every_minutes > 0)
    dispatcher = Dispatcher(db, settings, worker_id=worker_id, track=state.settings.track)
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        err_console.print(f"worker {dispatcher.worker_id}: stopping after the current batch")
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)

    def _report(stats: PassStats) -> None:
        if state.verbose:
            err_console.print(_line(stats))

    def _collected(runs: list[AccountRun]) -> None:
        if once or state.verbose:
            for run in runs:
                err_console.print(escape(analytics_line(run)), highlight=False, soft_wrap=True)

    collector = None
    if collecting and not once:
        # Reads run beside the publisher, never in its way: their own thread and client.
        collector = threading.Thread(
            target=run_collector,
            args=(db, state.settings.collect),
            kwargs={"stop": stop, "on_pass": _collected},
            name="collector",
            daemon=True,
        )
        collector.start()
    if not once:
        err_console.print(f"worker {dispatcher.worker_id} polling {db.url}")
    try:
        total = run_worker(dispatcher, once=once, poll=poll, stop=stop, on_pass=_report)
    finally:
        stop.set()
        if collector is not None:
            collector.join(timeout=state.settings.collect.http_timeout_seconds + 5)
    if once or state.verbose:
        err_console.print(_line(total))
    if collecting and once:
        run_collector(
            db, state.settings.collect, stop=threading.Event(), once=True, on_pass=_collected
        )


def _line(stats: PassStats) -> str:
    outcomes = ", ".join(f"{n} {state}" for state, n in sorted(stats.outcomes.items()))
    return (
        f"claimed {stats.claimed}"
        + (f" ({outcomes})" if outcomes else "")
        + f"; recovered {stats.recovered} expired leases; checked {stats.reconciled} unknown"
    )
