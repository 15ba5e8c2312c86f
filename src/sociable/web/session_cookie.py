"""The session cookie: signed by Starlette, ``Secure`` whenever the request came over HTTPS."""

from __future__ import annotations

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from sociable.web.login_sessions import SESSION_MAX_AGE


class SchemeSessions:
    """Starlette's signed-cookie sessions, ``Secure`` when the request came over HTTPS.

    ``secure=None`` (the default) decides per request from the scheme, which is ``https``
    behind a trusted proxy that says so (``X-Forwarded-Proto``, see ``[web] trusted_proxies``);
    True always marks the cookie ``Secure``, False never does.
    """

    def __init__(self, app: ASGIApp, *, secure: bool | None, secret_key: str) -> None:
        def sessions(https_only: bool) -> SessionMiddleware:
            return SessionMiddleware(
                app,
                secret_key=secret_key,
                session_cookie="sociable_session",
                max_age=SESSION_MAX_AGE,
                same_site="lax",
                https_only=https_only,
            )

        self._auto = secure is None
        self._plain = sessions(bool(secure))
        self._secure = sessions(True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        https = scope.get("scheme") in {"https", "wss"}
        sessions = self._secure if self._auto and https else self._plain
        await sessions(scope, receive, send)
