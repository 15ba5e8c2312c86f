"""The FastAPI application: pages, the REST API, static files, security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from sociable import __version__
from sociable.config import Settings
from sociable.errors import UserError
from sociable.store.db import Database
from sociable.web import api, pages
from sociable.web.bodylimit import BodyLimit
from sociable.web.pages.compose import MAX_UPLOAD
from sociable.web.pages.render import render
from sociable.web.problems import validation_problem
from sociable.web.security import derive_key

STATIC = Path(__file__).resolve().parent / "static"
SESSION_MAX_AGE = 14 * 24 * 3600
CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


_PHRASES = {s.value for s in HTTPStatus}


def _wants_page(request: Request) -> bool:
    """A person's browser navigating (not the API, not an HTMX fragment, not a script)."""
    return (
        not _is_api(request)
        and request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "hx-request" not in request.headers
    )


def _page_detail(exc: StarletteHTTPException) -> str:
    if exc.status_code == status.HTTP_403_FORBIDDEN:
        return f"You cannot open this page: {exc.detail}. Ask an owner of the workspace."
    return str(exc.detail)


_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _template_matches(template: str, path: str) -> bool:
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(
        w == g or (w.startswith("{") and w.endswith("}")) for w, g in zip(want, got, strict=True)
    )


def _allowed_methods(request: Request) -> str:
    """The documented methods of this API path (Starlette names only its first route's)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if _template_matches(template, request.url.path):
            methods |= {m.upper() for m in operations if m in _HTTP_METHODS}
    return ", ".join(sorted(methods))


def create_app(
    db: Database,
    secret: bytes,
    *,
    settings: Settings | None = None,
    media_dir: Path | None = None,
    secure_cookies: bool = False,
    demo_receiver: bool = False,
) -> FastAPI:
    """The whole web app over ``db``; ``secret`` is the workspace's master key.

    ``settings`` (platform overrides, handles, track base URL) default to the built-in
    ones; uploaded media go to ``media_dir`` (default: ``media/`` beside the config).
    """
    app = FastAPI(
        title="Sociable API",
        version=__version__,
        docs_url="/api/v1/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.db = db
    app.state.link_key = derive_key(secret, "review-link")  # signed client review links
    app.state.settings = settings or Settings()
    app.state.media_dir = media_dir or app.state.settings.media_dir
    app.add_middleware(
        SessionMiddleware,
        secret_key=derive_key(secret, "web-session"),
        session_cookie="sociable_session",
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=secure_cookies,
    )

    # Uploads may be as large as the composer takes, plus room for the form around them.
    app.add_middleware(BodyLimit, limits={"/compose": MAX_UPLOAD + 1024 * 1024})

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/api/v1/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED and not _is_api(request):
            target = quote(request.url.path)
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if _wants_page(request):
            title = HTTPStatus(exc.status_code).phrase if exc.status_code in _PHRASES else "Error"
            detail = _page_detail(exc)
            return render(
                request, "error.html", status_code=exc.status_code, title=title, detail=detail
            )
        headers = dict(exc.headers or {})
        if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED and _is_api(request):
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if not _is_api(request):
            return await request_validation_exception_handler(request, exc)
        return JSONResponse(
            validation_problem(exc.errors()), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_400_BAD_REQUEST)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    if demo_receiver:
        from sociable.web.demo_receiver import Inbox
        from sociable.web.demo_receiver import router as demo_router

        app.state.demo_inbox = Inbox()
        app.include_router(demo_router)
    return app
