"""One listening port for everything: the web app, and the redirect server under its prefix.

The redirect server (``sociable.track``) is a bare ASGI app tuned for speed; it is put in
front of FastAPI here rather than mounted as a route, so short-link hits never pay for
FastAPI's routing and middleware.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class PrefixDispatch:
    """Send ``{prefix}/...`` to ``inner`` and everything else to ``outer``."""

    def __init__(self, outer: ASGIApp, inner: ASGIApp, prefix: str) -> None:
        self.outer = outer
        self.inner = inner
        self.prefix = prefix.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            await self.inner(scope, receive, send)
        else:
            await self.outer(scope, receive, send)
