"""The worker loop: heartbeat, recover expired leases, reconcile unknowns, drain the queue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from sociable.publish.dispatcher import Dispatcher, PassStats
from sociable.publish.reconcile import reconcile_due

log = logging.getLogger(__name__)


def run_pass(d: Dispatcher, stop: threading.Event | None = None) -> PassStats:
    """One pass: recover, reconcile, then claim and send until nothing is due."""
    stats = PassStats()
    stats.recovered += d.recover_expired()
    stats.reconciled += reconcile_due(d)
    every = max(1.0, d.settings.lease_seconds / 4)
    marks = {"beat": time.monotonic(), "recovery": time.monotonic(), "sent": 0}

    def between() -> None:
        # Keep the heartbeat fresh and dead workers' leases recovered during a long drain.
        now = time.monotonic()
        if now - marks["beat"] > 1.0:
            sent = sum(stats.outcomes.values())
            d.heartbeat(processed=int(sent - marks["sent"]))
            marks["beat"], marks["sent"] = now, sent
        if now - marks["recovery"] > every:
            stats.recovered += d.recover_expired()
            stats.reconciled += reconcile_due(d)
            marks["recovery"] = now

    d.drain(stats, should_stop=lambda: stop is not None and stop.is_set(), between=between)
    d.heartbeat(processed=int(sum(stats.outcomes.values()) - marks["sent"]))
    return stats


EVERGREEN_EVERY = 60.0


def requeue_evergreen(d: Dispatcher) -> int:
    """Give each cooled-down evergreen post its next run (a failure never stops the worker)."""
    from sociable.publish.posts import requeue_evergreen_all

    try:
        return requeue_evergreen_all(d.db, now=d.clock())
    except Exception:
        log.warning("evergreen re-queue failed; will try again", exc_info=True)
        return 0


def run_worker(
    d: Dispatcher,
    *,
    once: bool = False,
    poll: float | None = None,
    stop: threading.Event | None = None,
    on_pass: Callable[[PassStats], None] | None = None,
) -> PassStats:
    """Run until ``stop`` is set (or one pass with ``once``); totals of every pass."""
    stop = stop or threading.Event()
    poll = d.settings.poll_seconds if poll is None else poll
    total = PassStats()
    d.start()
    try:
        failures = 0
        while not stop.is_set():
            try:
                stats = run_pass(d, stop)
                failures = 0
            except DBAPIError as exc:
                # The database went away (restart, failover): leases protect the work; wait
                # and try again rather than die, but give up if it never comes back.
                failures += 1
                log.warning("database error (%d in a row): %s", failures, exc.orig or exc)
                if once or failures >= 30:
                    raise
                stop.wait(min(30.0, poll * 2**failures))
                continue
            total.recovered += stats.recovered
            total.claimed += stats.claimed
            total.reconciled += stats.reconciled
            for state, n in stats.outcomes.items():
                total.outcomes[state] = total.outcomes.get(state, 0) + n
            if on_pass is not None and stats.busy:
                on_pass(stats)
            if once:
                break
            if not stats.busy:
                stop.wait(poll)
    finally:
        try:
            d.heartbeat(stopped=True)
        except Exception:  # the database may be what failed; stopping must still finish
            log.warning("could not record the worker's stop", exc_info=True)
        d.close()
    return total
