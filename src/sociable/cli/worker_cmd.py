"""``sociable worker``: publish what is due, on this machine, until stopped."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from sociable.cli.output import err_console
from sociable.cli.state import get_state
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
) -> None:
    """Claim due publications and send them; run as many as you like, anywhere."""
    state = get_state(ctx)
    settings = state.settings.publish
    db = state.database()
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

    if not once:
        err_console.print(f"worker {dispatcher.worker_id} polling {db.url}")
    total = run_worker(dispatcher, once=once, poll=poll, stop=stop, on_pass=_report)
    if once or state.verbose:
        err_console.print(_line(total))


def _line(stats: PassStats) -> str:
    outcomes = ", ".join(f"{n} {state}" for state, n in sorted(stats.outcomes.items()))
    return (
        f"claimed {stats.claimed}"
        + (f" ({outcomes})" if outcomes else "")
        + f"; recovered {stats.recovered} expired leases; checked {stats.reconciled} unknown"
    )
