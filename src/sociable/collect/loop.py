"""Collection as a background loop: what ``sociable worker`` runs beside the publisher."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from sociable import net
from sociable.clock import Clock, system_clock
from sociable.collect.run import AccountRun, collect_once
from sociable.config import CollectSettings, private_hosts_hint
from sociable.store.db import Database

log = logging.getLogger(__name__)


def client(settings: CollectSettings, allow_private: bool = False) -> httpx.Client:
    """The HTTP client collection reads through (the SSRF guard unless allowed)."""
    return net.client(
        net.NetPolicy(
            allow_private=allow_private or settings.allow_private,
            allow_private_hint=private_hosts_hint("collect", "--allow-private"),
            timeout=settings.http_timeout_seconds,
            connect_timeout=min(10.0, settings.http_timeout_seconds),
        )
    )


def run_collector(
    db: Database,
    settings: CollectSettings,
    *,
    stop: threading.Event,
    once: bool = False,
    clock: Clock = system_clock,
    on_pass: Callable[[list[AccountRun]], None] | None = None,
) -> None:
    """A pass every ``every_minutes`` until ``stop``; a failing pass is logged, never fatal
    (the publisher beside it must keep running)."""
    every = settings.every_minutes * 60.0
    if every <= 0 and not once:
        return
    with client(settings) as http:
        while not stop.is_set():
            try:
                runs = collect_once(db, clock(), http=http, settings=settings)
                if on_pass is not None:
                    on_pass(runs)
            except Exception:
                log.warning("collection pass failed; will try again", exc_info=True)
            if once:
                return
            stop.wait(every)
