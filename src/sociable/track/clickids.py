"""Click ids (``sc_cid``): unguessable, yet close to each other when made close in time.

16 URL-safe characters: 4 bytes of the UTC second, then 8 random bytes (64 bits). The time
prefix keeps the ``track_click.click_id`` index append-mostly: a batch of clicks lands on a
few neighbouring B-tree pages instead of one random page per row, which is what made
copying clicks into SQLite cost three times as much. Randomness comes from the OS in blocks,
so a click costs a slice, not a system call.
"""

from __future__ import annotations

import os
import weakref
from base64 import urlsafe_b64encode

RANDOM_BYTES = 8
BLOCK = 4096  # ids per os.urandom call


_live: weakref.WeakSet[ClickIds] = weakref.WeakSet()


class ClickIds:
    def __init__(self) -> None:
        self._pool = b""
        self._at = 0
        _live.add(self)

    def _forget(self) -> None:
        self._pool, self._at = b"", 0

    def new(self, now: float) -> str:
        at = self._at
        if at >= len(self._pool):
            self._pool = os.urandom(RANDOM_BYTES * BLOCK)
            at = 0
        self._at = at + RANDOM_BYTES
        second = (int(now) & 0xFFFFFFFF).to_bytes(4, "big")
        return urlsafe_b64encode(second + self._pool[at : at + RANDOM_BYTES]).decode()


def _after_fork() -> None:
    """A forked child must not hand out its parent's remaining random bytes again."""
    for ids in list(_live):
        ids._forget()


os.register_at_fork(after_in_child=_after_fork)
