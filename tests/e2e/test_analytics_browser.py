"""The Analytics page in Chromium: the trends chart drawn from the page's numbers, the
heatmap's cells, the notes on bases, and a PNG download that is a PNG."""

from __future__ import annotations

import base64
import csv
import io

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import screenshot
from tests.e2e.test_audit_browser import login
from tests.e2e.test_pages import UNLABELLED_FIELDS
from tests.web import analytics_seed as seed
from tests.web.conftest import WebApp

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_analytics_page_draws_its_charts(browser, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    seed.seed(web.db, web.workspace_id)
    login(browser, web, "viewer@acme.example")
    query = f"from={seed.START.isoformat()}&to={seed.END.isoformat()}"
    browser.get(f"{web.base}/analytics?{query}")
    assert browser.execute_script(UNLABELLED_FIELDS) == []
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.ID, "trends-chart").get_attribute("data-drawn") == "true"
    )
    # What uPlot drew is the trends table's export, day by day.
    drawn = browser.execute_script(
        "const u = window.sociableCharts['trends-chart'];"
        "return {labels: u.series.slice(1).map(s => s.label), eng: u.data[1], clicks: u.data[2],"
        " posts: u.data[3], n: u.data[0].length};"
    )
    assert drawn["labels"] == ["engagements", "clicks", "posts"]
    # The CSV as the signed-in browser would fetch it (same cookies).
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    text = httpx.get(f"{web.base}/analytics/export/trends.csv?{query}", cookies=cookies).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert drawn["n"] == len(rows) == seed.END.day - seed.START.day + 1
    assert drawn["posts"] == [int(r["posts"]) for r in rows]
    assert drawn["eng"] == [int(r["engagements"]) for r in rows]
    assert drawn["clicks"] == [int(r["clicks"]) for r in rows]
    assert sum(drawn["posts"]) == len([p for p in seed.POSTS if seed.in_period(p.local)])
    x_ticks = browser.find_element(By.ID, "trends-chart").get_attribute("data-x-ticks")
    assert x_ticks and "nov." in x_ticks  # a Europe/Paris workspace: French day ticks

    # Heatmap: 7 x 24 cells; the filled ones are exactly the slots the posts were made in.
    cells = browser.find_elements(By.CSS_SELECTOR, "#heatmap-svg rect.cell")
    assert len(cells) == 7 * 24
    filled = {
        (int(c.get_attribute("data-weekday")), int(c.get_attribute("data-hour")))
        for c in cells
        if c.get_attribute("data-value")
    }
    local = [p.local for p in seed.POSTS if seed.in_period(p.local)]
    assert filled == {(t.weekday(), t.hour) for t in local}

    # The engagement rate's base is shown, and n/a where it cannot be one.
    rate = browser.find_element(By.CSS_SELECTOR, '[data-kpi="engagement_rate"]').text
    assert "n/a" in rate and "bases differ" in rate
    notes = browser.find_element(By.ID, "analytics-notes").text
    assert "rate = engagements / reach" in notes

    # The PNG download: the link's href becomes the chart as a PNG when clicked.
    png = browser.find_element(By.CSS_SELECTOR, 'a[data-png-for="trends-chart"]')
    assert png.is_displayed()
    png.click()
    href = png.get_attribute("href")
    assert href.startswith("data:image/png;base64,")
    data = base64.b64decode(href.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    svg = browser.find_element(By.ID, "heatmap-download").get_attribute("href")
    assert "/analytics/export/heatmap.svg?" in svg
    screenshot(browser, "analytics")
