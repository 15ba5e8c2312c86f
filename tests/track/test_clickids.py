"""Click ids: the format conversions accept, unique, time-ordered, and not shared across fork."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from sociable.track.clickids import BLOCK, ClickIds
from sociable.track.conversions import CLICK_ID_RE


@given(st.floats(min_value=0, max_value=2**32 - 1, allow_nan=False))
def test_ids_are_what_conversions_accept(now: float) -> None:
    assert CLICK_ID_RE.fullmatch(ClickIds().new(now))


def test_unique_across_pool_refills_and_ordered_by_second() -> None:
    ids = ClickIds()
    made = [ids.new(1_790_000_000 + i // 1000) for i in range(3 * BLOCK)]
    assert len(set(made)) == len(made)
    seconds = [i[:8] for i in made]
    assert seconds == sorted(seconds) and len(set(seconds)) == 13


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    ids = ClickIds()
    ids.new(1.0)  # the pool is filled before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, ",".join(ids.new(1.0) for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = set(os.read(read, 4096).decode().split(","))
    os.close(read)
    parent = {ids.new(1.0) for _ in range(5)}
    assert len(child) == 5 and not child & parent
