"""Pages in a real browser: log in with the keyboard, labels on every field, screenshots."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import screenshot
from tests.web.conftest import PASSWORD, WebApp

pytestmark = pytest.mark.browser

UNLABELLED_FIELDS = """
return Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.id && document.querySelector('label[for="' + el.id + '"]'))
                && !el.closest('label') && !el.getAttribute('aria-label'))
  .map(el => el.outerHTML);
"""


def _login_with_keyboard(browser, web: WebApp, email: str) -> None:  # type: ignore[no-untyped-def]
    browser.get(f"{web.base}/login")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link first
    assert browser.switch_to.active_element.text == "Skip to content"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "email"
    browser.switch_to.active_element.send_keys(email, Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "password"
    browser.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(browser, 15).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "header.top"))
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_login_home_settings_in_chromium(browser, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    browser.get(f"{web.base}/login")
    screenshot(browser, "login")
    _login_with_keyboard(browser, web, "owner@acme.example")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Acme"
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    screenshot(browser, "home")

    browser.get(f"{web.base}/settings")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    field = browser.find_element(By.ID, "token-name")
    field.send_keys("laptop", Keys.ENTER)
    WebDriverWait(browser, 15).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "soc_")
    )
    screenshot(browser, "settings")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_workspace_switcher_submits_on_change(browser, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(browser, web, "owner@acme.example")
    select = browser.find_element(By.ID, "workspace-switch")
    select.send_keys("Other")  # keyboard selection fires change -> app.js submits
    WebDriverWait(browser, 15).until(
        ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Other brand")
    )
