"""The worker loop: heartbeat, recover expired leases, reconcile unknowns, drain the queue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sociable.publish.dispatcher import Dispatcher, PassStats
from sociable.publish.reconcile import reconcile_due

log = logging.getLogger(__name__)


def run_pass(d: Dispatcher, stop: threading.Event | None = None) -> PassStats:
    """One pass: recover, reconcile, then claim batches until nothing is due."""
    stats = PassStats()
    stats.recovered += d.recover_expired()
    stats.reconciled += reconcile_due(d)
    last_recovery = time.monotonic()
    every = max(1.0, d.settings.lease_seconds / 4)
    while stop is None or not stop.is_set():
        claimed = d.dispatch(stats)
        d.heartbeat(processed=claimed)
        if claimed == 0:
            break
        if time.monotonic() - last_recovery > every:
            stats.recovered += d.recover_expired()
            stats.reconciled += reconcile_due(d)
            last_recovery = time.monotonic()
    return stats


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
        while not stop.is_set():
            stats = run_pass(d, stop)
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
