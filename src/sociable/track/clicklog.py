"""The write-ahead click log: events reach the kernel with ``os.write`` before their responses
are sent (one write per event, or per event-loop turn when :mod:`sociable.track.http1`
group-commits).

Why: a redirect must be fast, so clicks reach the database in batches; yet a click whose
redirect was sent must never be lost. ``os.write`` to an ``O_APPEND`` file hands the bytes to
the kernel's page cache, which outlives a ``kill -9`` of this process (a power cut before the
kernel writes it back can still lose it). The flusher (:mod:`sociable.track.flusher`) copies
the log into the database and records how far it got in the same transaction; on start it
replays the rest.

The directory belongs to one process at a time (an ``flock``): two servers need two dirs.
Segments are named ``<seq>-<random>.log`` so a name is never reused, even across machines
sharing a database.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

from sociable.errors import UserError

SEGMENT_BYTES = 32 * 1024 * 1024


class ClickLog:
    def __init__(self, directory: Path, *, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._seq = 0
        self.current: Path | None = None
        self._size = 0

    # -- ownership -------------------------------------------------------------------------

    def open(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise UserError(
                f"cannot use click log dir: {exc.strerror}", where=str(self.directory)
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise UserError(
                "another track server is using this click log dir; give each its own "
                "(track.log_dir or --log-dir)",
                where=str(self.directory),
            ) from None
        self._lock_fd = fd
        existing = self.segments()
        self._seq = max((_seq_of(p) for p in existing), default=0)
        self._new_segment()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- writing ---------------------------------------------------------------------------

    def _new_segment(self) -> None:
        self._seq += 1
        path = self.directory / f"{self._seq:010d}-{secrets.token_hex(6)}.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        old = self._fd
        self._fd, self.current, self._size = fd, path, 0
        if old is not None:
            os.close(old)

    def append(self, line: bytes) -> None:
        """Write one newline-terminated record; returns once the kernel has it."""
        fd = self._fd
        if fd is None:
            raise RuntimeError("click log is not open")
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        self._size += len(line)
        if self._size >= self.segment_bytes:
            self._new_segment()

    # -- reading (the flusher) -------------------------------------------------------------

    def segments(self) -> list[Path]:
        return list_segments(self.directory)


def list_segments(directory: Path) -> list[Path]:
    """Segments oldest first; the newest is the one being written, all others are finished."""
    return sorted(directory.glob("*.log"), key=_seq_of)


def _seq_of(path: Path) -> int:
    try:
        return int(path.name.split("-", 1)[0])
    except ValueError:
        return 0
