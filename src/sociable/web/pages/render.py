"""One place that renders a page with what every page needs (nav, CSRF, workspaces)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable import locale
from sociable.clock import zone
from sociable.content.utm import is_http_url
from sociable.store.models import Membership, Workspace
from sociable.web.deps import Principal
from sociable.web.security import new_csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))


def _in_locale(fn: Callable[..., str]) -> Callable[..., str]:
    """A Jinja filter that writes its value in the page's ``locale`` (the workspace's)."""

    @pass_context
    def filt(ctx: Context, value: Any, *args: Any) -> str:
        return fn(value, ctx.get("locale") or locale.FALLBACK, *args)

    return filt


def _in_zone(fn: Callable[..., str]) -> Callable[..., str]:
    """A date/time filter in the page's locale that first moves an aware datetime (UTC from
    the store) to the page's ``timezone`` (the workspace's IANA zone)."""

    @pass_context
    def filt(ctx: Context, value: Any, *args: Any) -> str:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(zone(ctx.get("timezone") or "UTC"))
        return fn(value, ctx.get("locale") or locale.FALLBACK, *args)

    return filt


def http_href(url: object) -> str:
    """``url`` when it is http(s), else ``#``: a stored ``javascript:`` link never becomes one."""
    return url if isinstance(url, str) and is_http_url(url) else "#"


templates.env.filters.update(
    number=_in_locale(locale.number),
    percent=_in_locale(locale.percent),
    money=_in_locale(locale.money),
    day=_in_zone(locale.day),
    moment=_in_zone(locale.moment),
    clock=_in_zone(locale.clock),
    http_href=http_href,
)

# (path, label) of the main navigation; features add themselves here.
NAV: list[tuple[str, str]] = [
    ("/", "Home"),
    ("/compose", "Compose"),
    ("/calendar", "Calendar"),
    ("/reviews", "Approvals"),
    ("/audits", "Audits"),
    ("/links", "Links"),
    ("/analytics", "Analytics"),
    ("/settings", "Settings"),
]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


def render(
    request: Request,
    name: str,
    *,
    who: Principal | None = None,
    session: Session | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    workspaces: list[Workspace] = []
    # The workspace the page is about: the member's, or the one a client's review link names.
    current = context.get("workspace")
    if who is not None and session is not None:
        current = session.get(Workspace, who.workspace_id)
        workspaces = list(
            session.scalars(
                select(Workspace)
                .join(Membership, Membership.workspace_id == Workspace.id)
                .where(Membership.user_id == who.user_id)
                .order_by(Workspace.name)
            )
        )
    page_locale, page_zone = locale.FALLBACK, "UTC"
    if isinstance(current, Workspace):
        page_locale = locale.effective_locale(current.locale, current.timezone)
        page_zone = current.timezone
    return templates.TemplateResponse(
        request,
        name,
        {
            "who": who,
            "csrf": csrf_token(request),
            "nav": NAV,
            "workspaces": workspaces,
            "flash": request.session.pop("flash", None),
            "locale": page_locale,
            "lang": locale.bcp47(page_locale),
            "timezone": page_zone,
            **context,
        },
        status_code=status_code,
    )


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target
