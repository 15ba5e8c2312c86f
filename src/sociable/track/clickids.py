"""Click ids (``sc_cid``): unguessable, yet close to each other when made close in time.

24 hex digits: 8 for the UTC second, then 16 random (64 bits). The time prefix keeps the
``track_click.click_id`` index append-mostly: a batch of clicks lands on a few neighbouring
B-tree pages instead of one random page per row, which is what made copying clicks into
SQLite cost three times as much. Randomness comes from the OS in blocks, already in hex, so
a click costs two string slices, not a system call.
"""

from __future__ import annotations

import os
import weakref

RANDOM_DIGITS = 16
BLOCK = 4096  # ids per os.urandom call

_live: weakref.WeakSet[ClickIds] = weakref.WeakSet()


class ClickIds:
    def __init__(self) -> None:
        self._pool = ""
        self._at = 0
        self._second = -1
        self._prefix = ""
        _live.add(self)

    def _forget(self) -> None:
        self._pool, self._at = "", 0

    def new(self, now: float) -> str:
        second = int(now) & 0xFFFFFFFF
        if second != self._second:
            self._second, self._prefix = second, f"{second:08x}"
        at = self._at
        if at >= len(self._pool):
            self._pool = os.urandom(RANDOM_DIGITS // 2 * BLOCK).hex()
            at = 0
        self._at = at + RANDOM_DIGITS
        return self._prefix + self._pool[at : at + RANDOM_DIGITS]


def _after_fork() -> None:
    """A forked child must not hand out its parent's remaining random bytes again."""
    for ids in list(_live):
        ids._forget()


os.register_at_fork(after_in_child=_after_fork)
