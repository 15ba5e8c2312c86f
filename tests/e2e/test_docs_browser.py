"""The API docs in a real Chromium with no network: Swagger UI and ReDoc list the operations."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import screenshot
from tests.web.conftest import WebApp

pytestmark = pytest.mark.browser

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def _operations(web: WebApp) -> int:
    spec = web.client().get("/api/v1/openapi.json").json()
    return sum(1 for ops in spec["paths"].values() for method in ops if method in METHODS)


def test_the_browser_really_is_offline(offline_browser) -> None:  # type: ignore[no-untyped-def]
    """Guard for the test below: a CDN address does not load in this browser."""
    with pytest.raises(WebDriverException):
        offline_browser.get("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css")


def test_swagger_ui_lists_every_operation_offline(offline_browser, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    expected = _operations(web)
    assert expected > 20
    offline_browser.get(f"{web.base}/api/v1/docs")
    count = "return document.querySelectorAll('.opblock').length"
    WebDriverWait(offline_browser, 20).until(lambda d: d.execute_script(count) > 0)
    screenshot(offline_browser, "api-docs-offline")
    assert offline_browser.execute_script(count) == expected
    paths = offline_browser.execute_script(
        "return Array.from(document.querySelectorAll('.opblock-summary-path'))"
        ".map(e => e.getAttribute('data-path'))"
    )
    assert "/api/v1/posts" in paths


def test_redoc_lists_every_operation_offline(offline_browser, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    expected = _operations(web)
    offline_browser.get(f"{web.base}/api/v1/redoc")
    # ReDoc gives each operation a section "operation/<operationId>" (the menu repeats the id)
    count = (
        "return new Set(Array.from(document.querySelectorAll('[data-section-id^=\"operation/\"]'))"
        ".map(e => e.getAttribute('data-section-id'))).size"
    )
    WebDriverWait(offline_browser, 30).until(lambda d: d.execute_script(count) > 0)
    screenshot(offline_browser, "api-redoc-offline")
    assert offline_browser.execute_script(count) == expected
