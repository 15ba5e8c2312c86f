"""Links in Chromium: create one, see it listed, follow it, and see the clicks chart drawn."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

import tests.web.conftest as web_conftest
from sociable.config import Settings, TrackSettings
from sociable.store.db import Database
from sociable.store.secrets import SecretBox
from sociable.track.server import TrackApp
from sociable.web.app import create_app
from tests.e2e.conftest import screenshot
from tests.e2e.test_audit_browser import login
from tests.e2e.test_pages import UNLABELLED_FIELDS
from tests.track.conftest import run_server
from tests.web.conftest import WebApp, start_web

pytestmark = pytest.mark.browser
FRENCH_DAY = r"\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.)"
PERSON = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)


@pytest.fixture
def tracked(
    db: Database, secret_box: SecretBox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[WebApp]:
    """The web app, with short links served by a real redirect server on another port."""
    holder: dict[str, TrackApp] = {}
    servers = []

    def app_with_tracker(d: Database, key: bytes, **kwargs: Any):  # type: ignore[no-untyped-def]
        # The workspace exists by now (start_web seeds it before creating the app).
        track = TrackApp(d, TrackSettings(flush_interval=0.2), workspace_id=1,
                         log_dir=tmp_path / "log")  # fmt: skip
        server, thread, port = run_server(track)
        servers.append((server, thread))
        holder["app"] = track
        settings = Settings()
        settings.track.base_url = f"http://127.0.0.1:{port}/l"
        return create_app(d, key, settings=settings, **kwargs)

    monkeypatch.setattr(web_conftest, "create_app", app_with_tracker)
    try:
        yield from start_web(db)
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(timeout=10)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_create_follow_and_chart_a_link(browser, tracked: WebApp) -> None:  # type: ignore[no-untyped-def]
    assert tracked.workspace_id == 1
    login(browser, tracked, "editor@acme.example")
    browser.get(f"{tracked.base}/links")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    browser.find_element(By.ID, "link-url").send_keys(f"{tracked.base}/login?from=qr")
    browser.find_element(By.ID, "link-campaign").send_keys("spring launch")
    browser.find_element(By.ID, "link-network").send_keys("mastodon")
    browser.find_element(By.ID, "link-slug").send_keys("spring")
    browser.find_element(By.CSS_SELECTOR, ".link-form button[type=submit]").click()
    WebDriverWait(browser, 15).until(ec.url_contains("/links/spring"))
    assert browser.find_element(By.CSS_SELECTOR, ".flash").text.startswith("Created http://")
    qr = browser.find_element(By.CSS_SELECTOR, ".qr img")
    assert browser.execute_script("return arguments[0].naturalWidth", qr) > 0

    browser.get(f"{tracked.base}/links")
    row = browser.find_element(By.XPATH, "//table[@class='links']//a[text()='spring']")
    assert row.get_attribute("href").endswith("/links/spring")
    screenshot(browser, "links")

    # Follow the short link as a person would (HeadlessChrome counts as a bot, rightly): the
    # redirect server logs the click and sends us on.
    browser.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": PERSON})
    browser.get(f"{tracked.base}/links/spring")
    short = browser.find_element(By.ID, "short-link").get_attribute("href")
    browser.get(short)
    WebDriverWait(browser, 15).until(ec.url_contains("from=qr"))
    assert "utm_source=mastodon" in browser.current_url

    deadline = time.monotonic() + 20
    while True:  # the flusher copies the click into the database within a moment
        browser.get(f"{tracked.base}/links/spring")
        if browser.find_element(By.ID, "click-total").text == "1":
            break
        assert time.monotonic() < deadline, "the click never reached the page"
        time.sleep(0.3)
    WebDriverWait(browser, 15).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#clicks-chart canvas"))
    )
    chart = browser.find_element(By.ID, "clicks-chart")
    assert chart.get_attribute("data-drawn") == "true"
    # A Europe/Paris workspace: day ticks written the French way ("4 déc."), never "12/4";
    # click ticks are whole numbers.
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("data-locale") == "fr-FR"
    x_ticks = str(chart.get_attribute("data-x-ticks")).split("|")
    assert x_ticks and all(re.fullmatch(FRENCH_DAY, t) for t in x_ticks), x_ticks
    y_ticks = str(chart.get_attribute("data-y-ticks")).split("|")
    assert y_ticks and all(re.fullmatch(r"\d+", t) for t in y_ticks), y_ticks
    assert re.search(r"from \d{1,2} \w+\.? \d{4} to \d{1,2} \w+\.? \d{4}: 1 by people",
                     str(chart.get_attribute("aria-label")))  # fmt: skip
    screenshot(browser, "link_detail")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
    screenshot(browser, "link_chart")

    browser.get(f"{tracked.base}/links?by=network#attribution")
    cells = browser.find_elements(By.CSS_SELECTOR, "table.attribution tbody th[scope=row]")
    assert [c.text for c in cells] == ["mastodon"]
    screenshot(browser, "links_attribution")
