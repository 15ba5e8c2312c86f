"""The whole product as a person meets it: `sociable serve` (with its in-process worker) in a
real process, Chromium in front of it, a signed webhook receiver on loopback behind it.

Log in, compose for two networks and see a lint finding, schedule, watch the worker publish
to the receiver and the calendar turn to "published", then open the site's audit report.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from sociable.demo.setup import SITE
from sociable.store.db import open_database
from sociable.store.models import Account
from sociable.store.models.publish import Publication
from sociable.store.secrets import SecretBox, load_key, use_box
from sociable.web.jobs import audit_folder
from tests.e2e.conftest import screenshot
from tests.e2e.serve import start_serve
from tests.publish.receiver import Receiver

pytestmark = pytest.mark.browser
PASSWORD = "journey password"


@pytest.fixture
def served(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path, Receiver]]:  # type: ignore[no-untyped-def]
    receiver = Receiver().start()
    monkeypatch.chdir(tmp_path)
    assert cli("init", "shop", "--name", "Journey Shop", "--timezone", "UTC").code == 0
    config = tmp_path / "shop" / "sociable.toml"
    config.write_text(
        config.read_text() + "\n[publish]\nallow_private = true\npoll_seconds = 0.5\n"
    )
    monkeypatch.setenv("SOCIABLE_PASSWORD", PASSWORD)
    base = ("--config", str(config))
    assert cli(*base, "users", "add", "owner@shop.example", "--role", "owner").code == 0
    hook = cli(
        *base,
        "accounts",
        "add",
        "webhook",
        "--name",
        "hook",
        "--url",
        receiver.url,
        "--secret",
        receiver.secret,
    )
    assert hook.code == 0, hook.err
    assert cli(*base, "accounts", "add", "x", "--name", "@shop", "--token", "t").code == 0
    db = open_database(f"sqlite:///{tmp_path / 'shop' / 'sociable.db'}")
    use_box(SecretBox(load_key(None, tmp_path / "shop" / ".sociable.key")))
    with db.session() as s:
        workspace_id = s.scalars(select(Account.workspace_id)).first()
    assert workspace_id is not None
    audit_folder(db, workspace_id, SITE, "https://demo.example", networks=["x", "mastodon"])
    db.dispose()

    proc, url = start_serve(base, tmp_path / "serve.log")
    try:
        yield url, tmp_path / "shop", receiver
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        receiver.stop()


def _login(browser, url: str) -> None:  # type: ignore[no-untyped-def]
    browser.get(f"{url}/login")
    browser.find_element(By.ID, "email").send_keys("owner@shop.example")
    browser.find_element(By.ID, "password").send_keys(PASSWORD + "\n")
    WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "header.top"))
    )


def test_compose_schedule_publish_and_audit(browser, served) -> None:  # type: ignore[no-untyped-def]
    url, folder, receiver = served
    _login(browser, url)
    screenshot(browser, "journey-home")

    browser.get(f"{url}/compose")
    for box in browser.find_elements(By.CSS_SELECTOR, 'input[id^="account-"]'):
        box.click()
    browser.find_element(By.ID, "text").send_keys("Winter roast is out. " * 15)  # over X's 280
    wait = WebDriverWait(browser, 30)
    wait.until(lambda b: "POST101" in b.find_element(By.ID, "live").get_attribute("textContent"))
    screenshot(browser, "journey-compose-finding")
    text = browser.find_element(By.ID, "text")
    text.clear()
    text.send_keys("Winter roast is out: cocoa, cherry, warmth. Order yours today!")
    wait.until(
        lambda b: "POST101" not in b.find_element(By.ID, "live").get_attribute("textContent")
    )
    due = datetime.now(UTC) + timedelta(minutes=1)
    browser.execute_script(
        "document.getElementById('when').value = arguments[0];", due.strftime("%Y-%m-%dT%H:%M")
    )
    browser.find_element(By.CSS_SELECTOR, 'button[value="schedule"]').click()
    wait.until(ec.url_contains("/calendar"))

    # The in-process worker sends it when due: the receiver gets one signed request, once.
    deadline = time.monotonic() + 240
    while not [h for h in receiver.hits if h.signed]:
        assert time.monotonic() < deadline, "the worker never published the post"
        time.sleep(1)
    hit = receiver.hits[0]
    assert hit.body["text"].startswith("Winter roast is out")
    db = open_database(f"sqlite:///{folder / 'sociable.db'}")
    try:
        deadline = time.monotonic() + 30
        while True:
            with db.session() as s:
                states = {
                    a.network: p.state
                    for p, a in s.execute(
                        select(Publication, Account).join(
                            Account, Account.id == Publication.account_id
                        )
                    )
                }
            if states.get("webhook") == "published":
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.5)
    finally:
        db.dispose()
    browser.get(f"{url}/calendar")
    wait.until(lambda b: "published" in b.find_element(By.TAG_NAME, "main").text)
    screenshot(browser, "journey-calendar-published")
    assert len(receiver.raw()) == 1  # exactly one request for the webhook publication

    browser.get(f"{url}/audits")
    reports = browser.find_elements(By.CSS_SELECTOR, "main a[href*='/audits/']")
    assert reports, "the seeded audit is not listed"
    browser.get(str(reports[0].get_attribute("href")))
    wait.until(lambda b: "SMO" in b.find_element(By.TAG_NAME, "main").text)
    assert browser.find_elements(By.CSS_SELECTOR, "main [class*='card']")
    screenshot(browser, "journey-audit-report")
