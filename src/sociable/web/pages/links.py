"""Link pages: short links with their QR codes, clicks over time, and the attribution table."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.store.models import Role
from sociable.track.attribution import Model
from sociable.track.links import (
    click_counts,
    create_link,
    list_links,
    parse_expiry,
    set_disabled,
    short_url,
)
from sociable.track.report import By
from sociable.web.api.links import attribution, base_url, daily_clicks, find_link
from sociable.web.deps import Principal, principal, require, session_scope
from sociable.web.pages.render import render

router = APIRouter()
LIST_LIMIT = 200  # newest links on the page; the API lists them all
UTM_FIELDS = ("source", "medium", "campaign", "content", "term")
BY_LABELS = {By.POST: "Post", By.CAMPAIGN: "Campaign", By.NETWORK: "Network", By.LINK: "Link"}
MODEL_LABELS = {
    Model.LAST_CLICK: "Last click",
    Model.FIRST_CLICK: "First click",
    Model.LINEAR: "Linear",
}


def _links_page(
    request: Request,
    who: Principal,
    session: Session,
    *,
    by: By = By.CAMPAIGN,
    model: Model = Model.LAST_CLICK,
    window: int = 7,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    everything = list_links(session, workspace_id=who.workspace_id)
    links = everything[::-1][:LIST_LIMIT]  # newest first
    counts = click_counts(session, [link.id for link in links])
    base = base_url(request)
    return render(
        request,
        "links.html",
        who=who,
        session=session,
        links=links,
        total_links=len(everything),
        counts=counts,
        short={link.code: short_url(base, link.code) for link in links},
        report=attribution(session, who.workspace_id, by, model, window),
        by_labels=BY_LABELS,
        model_labels=MODEL_LABELS,
        window=window,
        error=error,
        form=form or {},
        utm_fields=UTM_FIELDS,
        now=datetime.now(UTC),
        can_write=who.at_least(Role.EDITOR),
        status_code=status_code,
    )


@router.get("/links", response_class=HTMLResponse)
def links_page(
    request: Request,
    by: By = By.CAMPAIGN,
    model: Model = Model.LAST_CLICK,
    window: int = Query(7, ge=1, le=365),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    return _links_page(request, who, session, by=by, model=model, window=window)


@router.post("/links", response_class=HTMLResponse)
def create_link_page(
    request: Request,
    url: str = Form(..., max_length=2048),
    campaign: str = Form("", max_length=200),
    network: str = Form("", max_length=32),
    slug: str = Form("", max_length=64),
    expires: str = Form("", max_length=40),
    utm_source: str = Form("", max_length=200),
    utm_medium: str = Form("", max_length=200),
    utm_campaign: str = Form("", max_length=200),
    utm_content: str = Form("", max_length=200),
    utm_term: str = Form("", max_length=200),
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    utm = {
        "source": utm_source,
        "medium": utm_medium,
        "campaign": utm_campaign,
        "content": utm_content,
        "term": utm_term,
    }
    try:
        expires_at = parse_expiry(expires, now=datetime.now(UTC)) if expires.strip() else None
        link = create_link(
            session,
            url.strip(),
            workspace_id=who.workspace_id,
            campaign=campaign.strip() or None,
            network=network.strip() or None,
            slug=slug.strip() or None,
            utm={k: v.strip() for k, v in utm.items() if v.strip()} or None,
            expires_at=expires_at,
        )
    except UserError as exc:
        form = {"url": url, "campaign": campaign, "network": network, "slug": slug}
        form |= {"expires": expires} | {f"utm_{k}": v for k, v in utm.items()}
        return _links_page(request, who, session, error=str(exc), form=form, status_code=400)
    request.session["flash"] = f"Created {short_url(base_url(request), link.code)}"
    return RedirectResponse(f"/links/{link.code}", status_code=303)


@router.get("/links/{code}", response_class=HTMLResponse)
def link_page(
    request: Request,
    code: str,
    days: int = Query(30, ge=1, le=366),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    link = find_link(session, who, code)
    stats = daily_clicks(session, link, days, datetime.now(UTC).date())
    return render(
        request,
        "link_detail.html",
        who=who,
        session=session,
        link=link,
        short=short_url(base_url(request), link.code),
        stats=stats,
        days=days,
        now=datetime.now(UTC),
        can_write=who.at_least(Role.EDITOR),
    )


@router.post("/links/{code}/disable")
def disable_link_page(
    request: Request,
    code: str,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    find_link(session, who, code)  # 404 for another workspace's code
    set_disabled(session, code, workspace_id=who.workspace_id, disabled=True)
    request.session["flash"] = f"{code} is disabled: the short link no longer redirects."
    return RedirectResponse(f"/links/{code}", status_code=303)


@router.post("/links/{code}/enable")
def enable_link_page(
    request: Request,
    code: str,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    find_link(session, who, code)
    set_disabled(session, code, workspace_id=who.workspace_id, disabled=False)
    request.session["flash"] = f"{code} redirects again."
    return RedirectResponse(f"/links/{code}", status_code=303)
