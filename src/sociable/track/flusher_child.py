"""The click flusher's own process: ``python -m sociable.track.flusher_child DIR ...``.

Signal handlers go in before the heavy imports, so a quick SIGTERM still gets its last flush.
Shared state is a 24-byte file in the log dir: ready flag, rounds done, log bytes pending.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import signal
import struct
import sys
import threading
import time
from pathlib import Path

STATE = struct.Struct("<qqq")


def main(directory: Path, interval: float, batch_size: int, parent: int) -> None:
    """Loop until SIGTERM or the parent's death, then flush once more."""
    stop = threading.Event()
    wake = threading.Event()

    def on_term(*_: object) -> None:
        stop.set()
        wake.set()

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops us
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, lambda *_: wake.set())
    with (directory / ".flusher.state").open("r+b") as fh:
        state = mmap.mmap(fh.fileno(), STATE.size)
    rounds = 0

    def publish(pending: int) -> None:
        state[: STATE.size] = STATE.pack(1, rounds, pending)

    publish(0)

    import sociable.store.models  # noqa: F401  - every table known to the session
    from sociable.store.db import open_database
    from sociable.track.flusher import Flusher

    db = open_database(os.environ["SOCIABLE_FLUSHER_DATABASE_URL"], check=False)
    lock = os.open(directory / ".flusher.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # an orphan from a killed server finishes first
    flusher = Flusher(
        db,
        directory,
        interval=interval,
        batch_size=batch_size,
        on_progress=publish,
        currency=os.environ.get("SOCIABLE_FLUSHER_CURRENCY", "USD"),
    )
    try:
        while not stop.is_set() and os.getppid() == parent:
            flusher.safe_round()
            rounds += 1
            publish(flusher.pending)
            deadline = time.monotonic() + interval
            while not wake.is_set() and os.getppid() == parent:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                wake.wait(min(0.2, left))
            wake.clear()
        flusher.safe_round()
        rounds += 1
        publish(flusher.pending)
    finally:
        db.dispose()
        os.close(lock)


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
