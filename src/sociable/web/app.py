"""The FastAPI application: pages, the REST API, static files, security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, status
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from sociable import __version__
from sociable.config import Settings
from sociable.errors import UserError
from sociable.store.db import Database
from sociable.web import api, docs, pages
from sociable.web.bodylimit import BodyLimit
from sociable.web.deps import TokenUse
from sociable.web.idempotency import Purger
from sociable.web.pages.compose import MAX_UPLOAD
from sociable.web.pages.render import render
from sociable.web.problems import refuse_nul, validation_problem
from sociable.web.security import derive_key
from sociable.web.session_cookie import SchemeSessions
from sociable.web.throttle import LoginThrottle

STATIC = Path(__file__).resolve().parent / "static"
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


# What a person reads when the error carries nothing beyond its status phrase.
_PLAIN_DETAIL = {
    status.HTTP_404_NOT_FOUND: "There is no page at this address. Check the link, or start "
    "again from the home page.",
    status.HTTP_405_METHOD_NOT_ALLOWED: "This page cannot be opened that way.",
}


def _page_detail(exc: StarletteHTTPException) -> str:
    if exc.status_code == status.HTTP_403_FORBIDDEN:
        return f"You cannot open this page: {exc.detail}. Ask an owner of the workspace."
    detail = str(exc.detail)
    if exc.status_code in _PHRASES and detail == HTTPStatus(exc.status_code).phrase:
        return _PLAIN_DETAIL.get(exc.status_code, "")  # not the title a second time
    return detail


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
    secure_cookies: bool | None = None,
    demo_receiver: bool = False,
) -> FastAPI:
    """The whole web app over ``db``; ``secret`` is the workspace's master key.

    ``settings`` (platform overrides, handles, track base URL) default to the built-in
    ones; uploaded media go to ``media_dir`` (default: ``media/`` beside the config).
    ``secure_cookies``: None marks the session cookie ``Secure`` on HTTPS requests only.
    """
    app = FastAPI(
        title="Sociable API",
        version=__version__,
        docs_url=None,  # served by web/docs.py, assets from the package (no CDN)
        redoc_url=None,
        openapi_url=docs.OPENAPI_URL,
        swagger_ui_oauth2_redirect_url=docs.OAUTH2_REDIRECT_URL,
        dependencies=[Depends(refuse_nul)],  # every route: API, pages, docs
    )
    app.state.db = db
    app.state.token_use = TokenUse()
    app.state.idempotency_purger = Purger()
    app.state.link_key = derive_key(secret, "review-link")  # signed client review links
    app.state.settings = settings or Settings()
    app.state.media_dir = media_dir or app.state.settings.media_dir
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(
        SchemeSessions, secure=secure_cookies, secret_key=derive_key(secret, "web-session")
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
        response.headers.setdefault("Content-Security-Policy", CSP)  # docs pages set theirs
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
    async def healthz() -> dict[str, str]:
        """Answered on the event loop itself: it shows the loop is free, and it does not
        queue for the thread pool behind requests waiting for the database."""
        return {"status": "ok"}

    @app.get(docs.FAVICON_URL, include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(
            STATIC / "favicon.ico",
            media_type="image/vnd.microsoft.icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    docs.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    if demo_receiver:
        from sociable.web.demo_receiver import Inbox
        from sociable.web.demo_receiver import router as demo_router

        app.state.demo_inbox = Inbox()
        app.include_router(demo_router)
    return app
