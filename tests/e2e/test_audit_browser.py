"""An audit in Chromium: start it, watch it finish (HTMX polling), read the report's cards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from sociable.store.db import Database
from sociable.store.secrets import SecretBox
from tests.audit.test_crawl_server import Site, site_fixture  # noqa: F401
from tests.audit.test_run import build
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import UNLABELLED_FIELDS
from tests.web.conftest import PASSWORD, WebApp
from tests.web.test_audits import Gate, serve_private

pytestmark = pytest.mark.browser


@pytest.fixture
def aweb(db: Database, secret_box: SecretBox, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebApp]:
    yield from serve_private(db, monkeypatch)


def login(browser, web: WebApp, email: str) -> None:  # type: ignore[no-untyped-def]
    browser.get(f"{web.base}/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 15).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "header.top"))
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_start_watch_and_read_an_audit(browser, aweb: WebApp, site: Site) -> None:  # type: ignore[no-untyped-def]
    build(site)
    login(browser, aweb, "editor@acme.example")
    browser.get(f"{aweb.base}/audits")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    screenshot(browser, "audits_empty")
    field = browser.find_element(By.ID, "audit-url")
    field.send_keys(site.url("/"))
    browser.find_element(By.CSS_SELECTOR, ".audit-form button[type=submit]").click()
    # The report page polls its progress box and reloads itself when the run is done.
    WebDriverWait(browser, 60).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".audit-cards .card"))
    )
    assert "/audits/" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, ".site-score .big").text.isdigit()
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".audit-cards .card .t")]
    assert any(t.startswith("Page /") for t in titles)
    rules = browser.find_elements(By.CSS_SELECTOR, "table.rules tbody tr")
    assert rules and all(r.find_element(By.CSS_SELECTOR, "td.fix").text for r in rules)
    screenshot(browser, "audit_report")
    cards = browser.find_element(By.CSS_SELECTOR, ".audit-cards")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", cards)
    screenshot(browser, "audit_cards")
    # The home page's cards draw its real og:image (plain http on loopback: allowed here).
    home = browser.find_element(
        By.XPATH,
        "//details[contains(@class, 'audit-page')]"
        f"[.//span[@class='url' and text()='{site.url('/')}']]",
    )
    home.find_element(By.TAG_NAME, "summary").click()
    image = home.find_element(By.CSS_SELECTOR, ".card.facebook .img img")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
    WebDriverWait(browser, 15).until(
        lambda b: b.execute_script("return arguments[0].naturalWidth", image) == 1200
    )
    screenshot(browser, "audit_cards_home")

    # Run it again: the second report says what changed since the first.
    first = browser.current_url
    browser.find_element(By.XPATH, "//button[normalize-space()='Audit again']").click()
    WebDriverWait(browser, 60).until(lambda b: b.current_url != first)
    WebDriverWait(browser, 60).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".audit-cards .card"))
    )
    heading = browser.find_elements(By.XPATH, "//h2[starts-with(normalize-space(), 'Since audit')]")
    assert heading, "no comparison with the previous run"
    browser.get(f"{aweb.base}/audits")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.audit-runs tbody tr")
    assert len(rows) == 2
    screenshot(browser, "audits_list")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_progress_is_polled_until_the_report_appears(browser, aweb: WebApp) -> None:  # type: ignore[no-untyped-def]
    gate = Gate(home_free=True)  # pages after the home page wait: the run stays running
    try:
        login(browser, aweb, "owner@acme.example")
        browser.get(f"{aweb.base}/audits")
        browser.find_element(By.ID, "audit-url").send_keys(gate.url)
        browser.find_element(By.CSS_SELECTOR, ".audit-form button[type=submit]").click()
        # HTMX polls the box: the home page is done, the three it links to are held.
        WebDriverWait(browser, 15).until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#audit-progress"), "1 of 4 pages")
        )
        bar = browser.find_element(By.ID, "audit-bar")
        assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("1", "4")
        assert browser.find_elements(By.CSS_SELECTOR, ".site-score") == []
        screenshot(browser, "audit_running")
        gate.open.set()
        # HTMX polls the box; once the run is done the page reloads into the report.
        WebDriverWait(browser, 60).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, ".site-score .big"))
        )
        assert browser.find_elements(By.ID, "audit-progress") == []
    finally:
        gate.open.set()
        gate.server.shutdown()
