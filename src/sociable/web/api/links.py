"""Short links over the API: create, list, read, update (disable, expiry), delete, QR codes,
clicks per day, and the attribution table. The domain work is in :mod:`sociable.track`.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sociable.config import Settings
from sociable.errors import UserError
from sociable.money import currency_code
from sociable.rates import RateTable, load_rates
from sociable.store.models import Role
from sociable.store.models.track import Click, ShortLink
from sociable.track.attribution import Model
from sociable.track.links import (
    click_counts,
    create_link,
    get_link,
    list_links,
    parse_expiry,
    short_url,
)
from sociable.track.qr import write_qr
from sociable.track.report import By, Row, link_report
from sociable.web.api.schemas import HTTP_URL_PATTERN, Problem
from sociable.web.deps import Principal, principal, require, session_scope
from sociable.web.idempotency import IdempotencyKey, idempotency_key, idempotent

router = APIRouter(tags=["links"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
}
MAX_DAYS = 366
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2048, pattern=HTTP_URL_PATTERN)
    campaign: str | None = Field(None, max_length=200)
    network: str | None = Field(None, max_length=32)
    slug: str | None = Field(None, pattern=CODE_PATTERN)
    post_id: int | None = Field(None, ge=1, le=2**31 - 1)
    utm: dict[str, str] = Field(
        default_factory=dict, max_length=5, description="source, medium, campaign, content, term"
    )
    expires: str | None = Field(
        None, max_length=40, description="30d, 12h, 90m from now, or an ISO 8601 time"
    )


class LinkPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disabled: StrictBool | None = None
    expires: str | None = Field(None, max_length=40, description="30d, 12h, 90m or ISO time")
    clear_expiry: StrictBool = False


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    short_url: str
    url: str
    destination: str
    campaign: str | None
    network: str | None
    post_id: int | None
    utm: dict[str, str]
    expires_at: datetime | None
    disabled: bool
    created_at: datetime
    clicks: int


class Stats(BaseModel):
    code: str
    days: list[str] = Field(description="UTC days, oldest first (YYYY-MM-DD)")
    clicks: list[int] = Field(description="Clicks by people on each day")
    bot_clicks: list[int] = Field(description="Preview bots on each day")
    total: int


MONEY = "Per ISO 4217 currency code, the exact amount as a decimal string, e.g. {EUR: '49.90'}"


class Amount(BaseModel):
    currency: str
    amount: str = Field(description="Exact decimal string, e.g. '171.15'")


class ReportRow(BaseModel):
    key: str
    clicks: int
    bot_clicks: int
    unique_visitors: int
    conversions: float
    unverified_conversions: float = Field(
        description="The part of conversions reported only by the pixel (no signed postback)"
    )
    revenue: dict[str, str] = Field(description=MONEY + "; never summed across currencies")
    unverified_revenue: dict[str, str] = Field(description=MONEY)
    conversion_rate: float | None
    converted_revenue: Amount | None = Field(
        None, description="With ?currency=: the revenue converted with the configured rates"
    )
    not_converted: dict[str, str] | None = Field(
        None, description="With ?currency=: amounts left out for want of a rate (" + MONEY + ")"
    )


class Report(BaseModel):
    by: By
    model: Model
    window_days: int
    rows: list[ReportRow]
    total: ReportRow
    replaced_pixel: int = Field(
        description="Orders whose pixel figures were replaced by a signed postback"
    )
    convert_to: str | None = None
    rates_used: list[str] = Field(
        default_factory=list, description="Each [[money.rates]] rate used, as given and how"
    )


# -- shared with the pages -----------------------------------------------------------------


def base_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.track.base_url


def link_out(link: ShortLink, base: str, clicks: int) -> LinkOut:
    return LinkOut(
        code=link.code,
        short_url=short_url(base, link.code),
        url=link.url,
        destination=link.destination,
        campaign=link.campaign,
        network=link.network,
        post_id=link.post_id,
        utm=dict(link.utm or {}),
        expires_at=link.expires_at,
        disabled=link.disabled,
        created_at=link.created_at,
        clicks=clicks,
    )


def find_link(session: Session, who: Principal, code: str) -> ShortLink:
    try:
        return get_link(session, code, workspace_id=who.workspace_id)
    except UserError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such link") from None


def daily_clicks(session: Session, link: ShortLink, days: int, today: date) -> Stats:
    """Clicks per UTC day over the last ``days`` days (zeros included, for the chart)."""
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    # PostgreSQL's date() follows the session time zone; the chart's days are UTC days.
    postgres = session.get_bind().dialect.name == "postgresql"
    day = func.date(func.timezone("UTC", Click.at) if postgres else Click.at)
    rows = session.execute(
        select(day, Click.is_bot, func.count())
        .where(Click.link_id == link.id, Click.at >= since)
        .group_by(day, Click.is_bot)
    )
    human: dict[str, int] = {}
    bots: dict[str, int] = {}
    for value, is_bot, n in rows:
        key = str(value)[:10]
        target = bots if is_bot else human
        target[key] = target.get(key, 0) + int(n)
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    clicks = [human.get(d, 0) for d in labels]
    return Stats(
        code=link.code,
        days=labels,
        clicks=clicks,
        bot_clicks=[bots.get(d, 0) for d in labels],
        total=sum(clicks),
    )


def report_row(row: Row, convert_to: str | None = None) -> ReportRow:
    return ReportRow(**row.as_dict(convert_to))


def attribution(
    session: Session,
    workspace_id: int,
    by: By,
    model: Model,
    window_days: int,
    *,
    convert_to: str | None = None,
    rates: RateTable | None = None,
) -> Report:
    report = link_report(
        session,
        workspace_id=workspace_id,
        by=by,
        model=model,
        window=timedelta(days=window_days),
        convert_to=convert_to,
        rates=rates,
    )
    return Report(
        by=by,
        model=model,
        window_days=window_days,
        rows=[report_row(r, convert_to) for r in report.rows],
        total=report_row(report.total, convert_to),
        replaced_pixel=report.replaced_pixel,
        convert_to=convert_to,
        rates_used=report.rates_used,
    )


def qr_bytes(data: str, kind: str, scale: int) -> bytes:
    """The QR code drawn by :func:`sociable.track.qr.write_qr`, read back from a temp file."""
    with tempfile.TemporaryDirectory(prefix="sociable-qr-") as tmp:
        path = write_qr(data, Path(tmp) / f"qr.{kind}", kind=kind, scale=scale)
        return path.read_bytes()


# -- routes --------------------------------------------------------------------------------


@router.get("/links", response_model=list[LinkOut], responses=ERRORS)
def list_links_api(
    request: Request,
    campaign: str | None = Query(None, max_length=200),
    network: str | None = Query(None, max_length=32),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> list[LinkOut]:
    links = list_links(
        session, workspace_id=who.workspace_id, campaign=campaign or None, network=network or None
    )
    counts = click_counts(session, [link.id for link in links])
    base = base_url(request)
    return [link_out(link, base, counts.get(link.id, 0)) for link in links]


@router.post(
    "/links", status_code=201, response_model=LinkOut, responses={**ERRORS, 422: {"model": Problem}}
)
def create_link_api(
    body: LinkIn,
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    base = base_url(request)

    def create() -> LinkOut:
        expires = parse_expiry(body.expires, now=datetime.now(UTC)) if body.expires else None
        link = create_link(
            session,
            body.url,
            workspace_id=who.workspace_id,
            campaign=body.campaign or None,
            network=body.network or None,
            slug=body.slug or None,
            post_id=body.post_id,
            utm={k: v for k, v in body.utm.items() if v} or None,
            expires_at=expires,
        )
        return link_out(link, base, 0)

    return idempotent(request, session, who, idem, create)


@router.get("/links/{code}", response_model=LinkOut, responses=ERRORS)
def get_link_api(
    code: str,
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> LinkOut:
    link = find_link(session, who, code)
    return link_out(link, base_url(request), click_counts(session, [link.id]).get(link.id, 0))


@router.patch("/links/{code}", response_model=LinkOut, responses=ERRORS)
def update_link_api(
    code: str,
    body: LinkPatch,
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> LinkOut:
    """Disable or re-enable a link, or change when it expires. The destination is fixed:
    people may already have the short link, so it must keep meaning the same thing."""
    link = find_link(session, who, code)
    if body.disabled is not None:
        link.disabled = body.disabled
    if body.clear_expiry:
        link.expires_at = None
    elif body.expires:
        link.expires_at = parse_expiry(body.expires, now=datetime.now(UTC))
    session.flush()
    return link_out(link, base_url(request), click_counts(session, [link.id]).get(link.id, 0))


@router.delete("/links/{code}", status_code=204, response_class=Response, responses=ERRORS)
def delete_link_api(
    code: str,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    """Delete a link and its clicks (disable it instead to keep the history)."""
    session.delete(find_link(session, who, code))
    return Response(status_code=204)


@router.get(
    "/links/{code}/qr",
    response_class=Response,
    responses={
        **ERRORS,
        200: {"content": {"image/png": {}, "image/svg+xml": {}}, "description": "The QR code"},
    },
)
def link_qr(
    code: str,
    request: Request,
    format: str = Query("png", pattern="^(png|svg)$"),
    scale: int = Query(8, ge=1, le=40),
    download: bool = False,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    link = find_link(session, who, code)
    data = qr_bytes(short_url(base_url(request), link.code), format, scale)
    media = "image/png" if format == "png" else "image/svg+xml"
    headers = {"Cache-Control": "private, max-age=3600"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{link.code}.{format}"'
    return Response(data, media_type=media, headers=headers)


@router.get("/links/{code}/stats", response_model=Stats, responses=ERRORS)
def link_stats(
    code: str,
    days: int = Query(30, ge=1, le=MAX_DAYS),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> Stats:
    """Clicks per UTC day (what the links page draws with uPlot)."""
    link = find_link(session, who, code)
    return daily_clicks(session, link, days, datetime.now(UTC).date())


@router.get("/attribution", response_model=Report, responses=ERRORS)
def attribution_api(
    request: Request,
    by: By = By.CAMPAIGN,
    model: Model = Model.LAST_CLICK,
    window_days: int = Query(7, ge=1, le=365),
    currency: str | None = Query(
        None,
        pattern="^[A-Za-z]{3}$",
        description="Also convert revenue to this ISO 4217 currency with [[money.rates]]",
    ),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> Report:
    """Clicks, unique visitors, conversions, revenue (per currency) and conversion rate per
    post, campaign, network or link; conversions credited by ``model`` within ``window_days``.
    With ``currency``, revenue is also converted with the configured dated rates only."""
    if currency is None:
        return attribution(session, who.workspace_id, by, model, window_days)
    settings: Settings = request.app.state.settings
    try:
        target = currency_code(currency)
        rates = load_rates(settings.money.rates)
    except UserError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return attribution(
        session, who.workspace_id, by, model, window_days, convert_to=target, rates=rates
    )
