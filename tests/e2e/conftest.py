"""A real Chromium (Debian's, through its chromedriver) for page tests; screenshots kept."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from tests.web.conftest import web  # noqa: F401  - the server fixture, reused

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(
    os.environ.get("SOCIABLE_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts")
)


def _chromium(*extra: str) -> Iterator[webdriver.Chrome]:
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "Chromium is missing: run scripts/ensure-browser (make test does)"
    )
    options = Options()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="sociable-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
        *extra,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    yield from _chromium()


# No network but loopback: every other host resolves to nothing, and any request that still
# leaves goes to a proxy on a port where nothing listens (loopback bypasses proxies).
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--proxy-server=http://127.0.0.1:9",
)


@pytest.fixture
def offline_browser() -> Iterator[webdriver.Chrome]:
    """Chromium that can reach only 127.0.0.1, as on a machine with no internet."""
    yield from _chromium(*OFFLINE_FLAGS)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
