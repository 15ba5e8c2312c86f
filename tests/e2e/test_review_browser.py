"""Approvals in Chromium: the team's post page and a client approving through the link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from sociable.store.models.publish import Post, Publication
from tests.e2e.conftest import screenshot
from tests.e2e.test_pages import UNLABELLED_FIELDS, _login_with_keyboard
from tests.web.conftest import WebApp
from tests.web.test_composer import add_accounts

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_client_approves_through_the_link(browser, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    add_accounts(web)
    when = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    with web.as_token("editor") as c:
        r = c.post(
            "/api/v1/posts",
            json={
                "text": "Our spring roast lands Monday: bright, floral, fresh. #coffee",
                "accounts": ["x", "mastodon"],
                "draft": True,
                "campaign": "spring",
            },
        )
        post_id = r.json()["id"]
        assert (
            c.post(f"/api/v1/posts/{post_id}/review-request", json={"when": when}).status_code
            == 200
        )
        c.post(f"/api/v1/posts/{post_id}/comments", json={"body": "Ready for the client?"})
    with web.as_token("owner") as c:
        url = c.post(f"/api/v1/posts/{post_id}/review-link", json={}).json()["url"]

    _login_with_keyboard(browser, web, "owner@acme.example")
    browser.get(f"{web.base}/posts/{post_id}")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    screenshot(browser, "review-post")
    browser.get(f"{web.base}/reviews")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    screenshot(browser, "approvals")
    browser.delete_all_cookies()  # the client has no account

    browser.get(url)
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    assert "x:@acme" in browser.page_source
    browser.find_element(By.ID, "client-name").send_keys("Dana from Acme")
    browser.find_element(By.ID, "client-body").send_keys("Lovely, ship it.")
    screenshot(browser, "review-client")
    browser.find_element(By.CSS_SELECTOR, 'button[value="approve"]').click()
    WebDriverWait(browser, 15).until(
        ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "Approved")
    )
    with web.db.session() as s:
        post = s.get(Post, post_id)
        assert post is not None and post.approval == "approved"
        assert len(s.scalars(select(Publication)).all()) == 2
    browser.get(url)
    assert "already decided" in browser.find_element(By.TAG_NAME, "main").text
