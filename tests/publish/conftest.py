"""Fixtures for the publisher: a loopback webhook receiver and a dispatcher factory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.publish.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver(hang_seconds=1.5).start()
    try:
        yield rec
    finally:
        rec.stop()
