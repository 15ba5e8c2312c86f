"""The composer in Chromium: two networks, a lint finding while typing, tabs, schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from sociable.store.models.publish import Post, Publication
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import UNLABELLED_FIELDS, _login_with_keyboard
from tests.web.conftest import WebApp
from tests.web.test_composer import add_accounts
from tests.web.test_composer import page_url as page_url  # a fixture, re-exported

pytestmark = pytest.mark.browser
PARIS = ZoneInfo("Europe/Paris")


IDLE = (
    "return !document.querySelector('.htmx-request')"
    " && !document.getElementById('live').matches('.htmx-settling, .htmx-swapping');"
)


def _live_text(browser) -> str:  # type: ignore[no-untyped-def]
    return str(browser.find_element(By.ID, "live").get_attribute("textContent"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_compose_two_networks_lint_as_you_type_and_schedule(  # type: ignore[no-untyped-def]
    browser,
    web: WebApp,
    page_url: str,
) -> None:
    ids = add_accounts(web)
    _login_with_keyboard(browser, web, "editor@acme.example")
    browser.get(f"{web.base}/compose")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    for account_id in ids.values():
        browser.find_element(By.ID, f"account-{account_id}").click()
    browser.find_element(By.ID, "link").send_keys(page_url)
    text = browser.find_element(By.ID, "text")
    text.send_keys("Our spring roast is here. " * 12)  # 312 characters: over X's 280
    wait = WebDriverWait(browser, 15)
    wait.until(lambda b: "POST101" in _live_text(b))
    # Each network's card of the linked page (fetched once, through the SSRF guard).
    wait.until(lambda b: "Fresh beans, roasted today" in _live_text(b))
    wait.until(lambda b: b.execute_script(IDLE))
    tabs = browser.find_elements(By.CSS_SELECTOR, '#live [role="tab"]')
    assert len(tabs) == 2
    x_panel = browser.find_element(By.CSS_SELECTOR, f"#panel-{ids['x']}")
    m_panel = browser.find_element(By.CSS_SELECTOR, f"#panel-{ids['mastodon']}")
    assert x_panel.is_displayed() != m_panel.is_displayed()  # one tab shown at a time
    # Keyboard: arrow keys move between tabs (the WAI-ARIA tabs pattern).
    tabs[0].click()
    browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert browser.switch_to.active_element.get_attribute("id") == tabs[1].get_attribute("id")
    shown = browser.find_element(By.ID, str(tabs[1].get_attribute("aria-controls")))
    hidden = browser.find_element(By.ID, str(tabs[0].get_attribute("aria-controls")))
    assert shown.is_displayed() and not hidden.is_displayed()
    assert tabs[1].get_attribute("aria-selected") == "true"
    screenshot(browser, "compose")
    card = browser.find_element(By.CSS_SELECTOR, f"#{shown.get_attribute('id')} .link-card")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", card)
    screenshot(browser, "compose-link-card")

    # Shorten it: the finding goes away as you type.
    text.send_keys(Keys.CONTROL, "a")
    text.send_keys(Keys.DELETE)
    text.send_keys("Our spring roast is here: bright, floral, fresh. Come taste it! #coffee")
    wait.until(lambda b: "POST101" not in _live_text(b) and "of 280" in _live_text(b))
    when = (datetime.now(UTC) + timedelta(days=2)).astimezone(PARIS).replace(hour=9, minute=30)
    browser.execute_script(
        "document.getElementById('when').value = arguments[0];", when.strftime("%Y-%m-%dT%H:%M")
    )
    browser.find_element(By.CSS_SELECTOR, 'button[value="schedule"]').click()
    wait.until(ec.url_contains("/calendar"))
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "scheduled"))
    cell = browser.find_element(
        By.CSS_SELECTOR, f'td[data-date="{when.date().isoformat()}"][data-hour="09"]'
    )
    assert "09:30" in cell.text
    with web.db.session() as s:
        post = s.scalars(select(Post)).one()
        pubs = s.scalars(select(Publication)).all()
        assert post.approval == "approved" and len(pubs) == 2
        assert {p.due_at.astimezone(PARIS) for p in pubs} == {when.replace(second=0, microsecond=0)}
    screenshot(browser, "calendar-after-compose")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_instagram_tab_checks_what_goes_out_and_folds_the_source(  # type: ignore[no-untyped-def]
    browser, web: WebApp
) -> None:
    from tests.web.test_composer import _account

    insta = _account(web, "instagram", "acme")
    feed = _account(web, "feed", "news")
    _login_with_keyboard(browser, web, "editor@acme.example")
    browser.get(f"{web.base}/compose")
    browser.find_element(By.ID, f"account-{insta}").click()
    browser.find_element(By.ID, f"account-{feed}").click()
    browser.find_element(By.ID, "first_comment").send_keys("More soon")
    text = browser.find_element(By.ID, "text")
    text.send_keys("Spring roast, come taste it? #a1 #b2 #c3 #d4 #e5 #f6 #g7 ")
    wait = WebDriverWait(browser, 15)
    wait.until(lambda b: "POST108" in _live_text(b) and "first comment" in _live_text(b))
    wait.until(lambda b: b.execute_script(IDLE))
    panel = browser.find_element(By.ID, f"panel-{insta}")
    if not panel.is_displayed():
        browser.find_element(By.ID, f"tab-{insta}").click()
    checked = panel.find_element(By.CSS_SELECTOR, ".variant-findings").text
    assert "POST108" in checked and "POST201" not in checked
    source = panel.find_element(By.CSS_SELECTOR, ".source-findings")
    inner = source.find_element(By.CSS_SELECTOR, "ul")
    assert not inner.is_displayed()  # folded until asked for
    source.find_element(By.TAG_NAME, "summary").click()
    assert "7 hashtags; Instagram allows at most 5" in inner.text
    assert panel.find_element(By.CSS_SELECTOR, ".variant-text").text.count("#") == 5
    screenshot(browser, "compose-variant-findings")
    browser.find_element(By.ID, f"tab-{feed}").click()
    refusal = browser.find_element(By.CSS_SELECTOR, f"#panel-{feed} .refusals")
    assert refusal.is_displayed() and "feed cannot add a first comment" in refusal.text
