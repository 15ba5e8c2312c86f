"""API docs from the package (no CDN), a favicon, and error pages that say things once."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.web.conftest import WebApp

SCRIPT_OR_LINK = re.compile(r"""<(?:script|link)[^>]*(?:src|href)=["']([^"']+)""")


def _assets(html: str) -> list[str]:
    return SCRIPT_OR_LINK.findall(html)


def test_swagger_ui_loads_everything_from_this_server(web: WebApp) -> None:
    c = web.client()
    page = c.get("/api/v1/docs")
    assert page.status_code == 200
    assets = _assets(page.text)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in assets
    assert "/api/v1/docs/assets/swagger-ui.css" in assets
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        got = c.get(asset)
        assert got.status_code == 200 and len(got.content) > 100, asset
    assert "SwaggerUIBundle" in c.get("/api/v1/docs/assets/swagger-ui-bundle.js").text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp and "https:" not in csp and "cdn" not in csp


def test_redoc_loads_everything_from_this_server(web: WebApp) -> None:
    c = web.client()
    page = c.get("/api/v1/redoc")
    assert page.status_code == 200
    assets = _assets(page.text)
    assert "/api/v1/docs/assets/redoc.standalone.js" in assets
    assert "fonts.googleapis" not in page.text
    for asset in assets:
        assert c.get(asset).status_code == 200, asset
    assert "https:" not in page.headers["content-security-policy"]


def test_other_pages_keep_the_strict_policy(web: WebApp) -> None:
    csp = web.client().get("/login").headers["content-security-policy"]
    assert "script-src 'self';" in csp and "sha256" not in csp


def test_favicon_is_an_icon(web: WebApp) -> None:
    icon = web.client().get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    image = Image.open(io.BytesIO(icon.content))
    assert image.format == "ICO" and (32, 32) in image.info["sizes"]
    svg = web.client().get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")


def test_not_found_page_says_it_once_and_helps(web: WebApp) -> None:
    page = web.client().get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404
    main = page.text.split("<main", 1)[1]
    assert main.count("Not Found") == 1  # the heading; the text below says something else
    assert "There is no page at this address" in main
    api = web.client().get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
