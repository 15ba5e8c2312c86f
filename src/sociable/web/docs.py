"""The API's docs pages (Swagger UI and ReDoc), served with their assets from the package.

FastAPI's default docs load Swagger UI from a CDN, so they are a blank page offline or
behind a strict firewall. The assets come from ``fastapi-offline`` (pinned, MIT; it ships
Swagger UI 5 and ReDoc 2 as static files); we use only its files and FastAPI's own
page builders. Each page gets its own Content-Security-Policy: scripts and styles from this
server only, plus the hashes of the inline scripts FastAPI's page builders write.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/api/v1/docs"
REDOC_URL = "/api/v1/redoc"
OPENAPI_URL = "/api/v1/openapi.json"
OAUTH2_REDIRECT_URL = f"{DOCS_URL}/oauth2-redirect"
ASSETS_URL = f"{DOCS_URL}/assets"
FAVICON_URL = "/favicon.ico"
PATHS = (DOCS_URL, REDOC_URL)  # these pages set their own CSP

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def assets_dir() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


def _with_csp(page: HTMLResponse) -> HTMLResponse:
    """Allow exactly the inline scripts this page carries, nothing from other origins."""
    body = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(body)
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    return page


def install(app: FastAPI) -> None:
    """Mount the assets and add the Swagger UI, ReDoc and OAuth2 redirect pages to ``app``
    (created with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
    router = APIRouter(include_in_schema=False)
    title = app.title

    @router.get(DOCS_URL)
    def swagger_ui() -> HTMLResponse:
        return _with_csp(
            get_swagger_ui_html(
                openapi_url=OPENAPI_URL,
                title=f"{title} - Swagger UI",
                oauth2_redirect_url=OAUTH2_REDIRECT_URL,
                swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=FAVICON_URL,
            )
        )

    @router.get(OAUTH2_REDIRECT_URL)
    def swagger_ui_redirect() -> HTMLResponse:
        return _with_csp(get_swagger_ui_oauth2_redirect_html())

    @router.get(REDOC_URL)
    def redoc() -> HTMLResponse:
        return _with_csp(
            get_redoc_html(
                openapi_url=OPENAPI_URL,
                title=f"{title} - ReDoc",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=FAVICON_URL,
                with_google_fonts=False,
            )
        )

    app.include_router(router)
