"""The calendar in Chromium: drag a post to another day, the keyboard Move form, screenshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from sociable.store.models.publish import Publication
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import UNLABELLED_FIELDS, _login_with_keyboard
from tests.web.conftest import WebApp
from tests.web.test_composer import add_accounts

pytestmark = pytest.mark.browser
PARIS = ZoneInfo("Europe/Paris")

# Selenium's ActionChains cannot drive HTML5 drag and drop in Chrome; dispatch the same
# DragEvents a mouse drag fires, so calendar.js's handlers run exactly as for a person.
DRAG = """
const [src, dst] = arguments;
const dt = new DataTransfer();
src.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
dst.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
dst.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
src.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: dt}));
"""


def _dues(web: WebApp) -> set[str]:
    with web.db.session() as s:
        return {
            p.due_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            for p in s.scalars(select(Publication))
        }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_drag_a_post_to_another_day(browser, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    add_accounts(web)
    start = (datetime.now(UTC) + timedelta(days=1)).astimezone(PARIS)
    # A Monday-to-Sunday week with room to move one day later.
    day = start.date() if start.weekday() < 6 else start.date() + timedelta(days=1)
    with web.as_token("editor") as c:
        for text, hour, accounts in (
            ("Spring roast launch", "10:15", ["x", "mastodon"]),
            ("Tasting on Friday", "16:00", ["mastodon"]),
        ):
            r = c.post(
                "/api/v1/posts",
                json={
                    "text": text,
                    "accounts": accounts,
                    "when": f"{day} {hour}",
                    "labels": ["launch"],
                    "campaign": "spring",
                },
            )
            assert r.status_code == 201, r.text
    _login_with_keyboard(browser, web, "editor@acme.example")
    browser.get(f"{web.base}/calendar?view=week&date={day}")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    screenshot(browser, "calendar-week")
    item = browser.find_element(
        By.CSS_SELECTOR, f'td[data-date="{day}"] .cal-item[data-time="10:15"]'
    )
    target_day = day + timedelta(days=1)
    # The week is an hour grid: the 10:00 row of the next day keeps the time.
    target = browser.find_element(By.CSS_SELECTOR, f'td[data-date="{target_day}"][data-hour="10"]')
    browser.execute_script(DRAG, item, target)
    wait = WebDriverWait(browser, 15)
    wait.until(lambda b: f"{target_day} 10:15" in _dues(web))
    assert _dues(web) == {f"{target_day} 10:15", f"{day} 16:00"}
    wait.until(
        lambda b: b.find_elements(
            By.CSS_SELECTOR, f'td[data-date="{target_day}"] .cal-item[data-time="10:15"]'
        )
    )
    browser.get(f"{web.base}/calendar?view=month&date={day}")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    screenshot(browser, "calendar-month")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_move_with_the_keyboard(browser, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    add_accounts(web)
    day = (datetime.now(UTC) + timedelta(days=2)).astimezone(PARIS).date()
    with web.as_token("editor") as c:
        r = c.post(
            "/api/v1/posts", json={"text": "Keyboard", "accounts": ["x"], "when": f"{day} 08:00"}
        )
        assert r.status_code == 201
    _login_with_keyboard(browser, web, "editor@acme.example")
    browser.get(f"{web.base}/calendar?view=week&date={day}")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(80):  # tab until the Move control of the post has the focus
        active = browser.switch_to.active_element
        if active.tag_name == "summary" and active.text == "Move":
            break
        active.send_keys(Keys.TAB)
    else:
        raise AssertionError("the Move control is not reachable with the keyboard")
    active.send_keys(Keys.ENTER)
    field = browser.switch_to.active_element
    field.send_keys(Keys.TAB)
    field = browser.switch_to.active_element
    assert field.get_attribute("type") == "datetime-local"
    new = day + timedelta(days=1)
    browser.execute_script("arguments[0].value = arguments[1];", field, f"{new}T11:45")
    field.send_keys(Keys.ENTER)
    WebDriverWait(browser, 15).until(lambda b: _dues(web) == {f"{new} 11:45"})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_week_hour_grid_places_posts_and_moves_them_by_the_hour(  # type: ignore[no-untyped-def]
    browser, web: WebApp
) -> None:
    add_accounts(web)
    day = (datetime.now(UTC) + timedelta(days=2)).astimezone(PARIS).date()
    with web.as_token("editor") as c:
        r = c.post(
            "/api/v1/posts",
            json={"text": "Evening roast", "accounts": ["x"], "when": f"{day} 18:40"},
        )
        assert r.status_code == 201, r.text
    _login_with_keyboard(browser, web, "editor@acme.example")
    browser.get(f"{web.base}/calendar?view=week&date={day}")
    grid = browser.find_element(By.CSS_SELECTOR, ".cal-scroll")
    slot = browser.find_element(By.CSS_SELECTOR, f'td[data-date="{day}"][data-hour="18"]')
    item = slot.find_element(By.CSS_SELECTOR, '.cal-item[data-time="18:40"]')
    # The grid opens at the first scheduled hour: the 18:00 row is in view, midnight is not.
    inside = """
        const [el, box] = arguments;
        const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
        const head = box.querySelector('thead th').getBoundingClientRect().bottom;  // sticky
        return r.top >= head - 1 && r.bottom <= b.bottom + 1;
    """
    assert browser.execute_script("return arguments[0].scrollTop;", grid) > 0
    assert browser.execute_script(inside, slot, grid)
    midnight = browser.find_element(By.CSS_SELECTOR, f'td[data-date="{day}"][data-hour="00"]')
    assert not browser.execute_script(inside, midnight, grid)
    assert item.is_displayed()
    # Rows are hours: the 18:00 row sits below the 09:00 row, the same height for every hour.
    nine = browser.find_element(By.ID, "hour-09")
    ten = browser.find_element(By.ID, "hour-10")
    assert ten.location["y"] - nine.location["y"] == pytest.approx(nine.size["height"], abs=1)
    screenshot(browser, "calendar-week-hours")
    target = browser.find_element(By.CSS_SELECTOR, f'td[data-date="{day}"][data-hour="09"]')
    browser.execute_script(DRAG, item, target)
    wait = WebDriverWait(browser, 15)
    wait.until(lambda b: _dues(web) == {f"{day} 09:40"})
    wait.until(
        lambda b: b.find_elements(
            By.CSS_SELECTOR, f'td[data-date="{day}"][data-hour="09"] .cal-item[data-time="09:40"]'
        )
    )
