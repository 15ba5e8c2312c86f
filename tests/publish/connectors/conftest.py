"""Fixtures for connector tests: a loopback-allowed client and a small real PNG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from sociable import net


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with net.client(net.NetPolicy(allow_private=True, timeout=2.0, connect_timeout=1.0)) as c:
        yield c


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path)
    return path
