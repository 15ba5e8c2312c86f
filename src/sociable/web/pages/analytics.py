"""The Analytics page: headline figures against the previous period, trends, networks, the
best-time heatmap, top posts and the funnel; a CSV of every table, the heatmap as SVG."""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sociable import locale
from sociable.clock import zone
from sociable.errors import UserError
from sociable.store.models import Workspace
from sociable.web.analytics_tables import PRESETS, Period, choose_period, csv_text, preset
from sociable.web.analytics_view import (
    TABLES,
    Runner,
    analytics_engine,
    heatmap_of,
    overview,
    table_rows,
)
from sociable.web.deps import Principal, principal, session_scope
from sociable.web.pages.render import render, templates

router = APIRouter()


def _today(workspace: Workspace) -> date:
    return datetime.now(zone(workspace.timezone)).date()


def _workspace(session: Session, who: Principal) -> Workspace:
    workspace = session.get(Workspace, who.workspace_id)
    if workspace is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such workspace")
    return workspace


def _period(start: date | None, end: date | None, today: date) -> Period:
    try:
        return choose_period(start, end, today)
    except UserError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None


def _runner(request: Request, who: Principal, workspace: Workspace) -> Runner:
    return Runner(
        request.app.state.db, who.workspace_id, workspace.timezone, analytics_engine(request)
    )


def weekday_names(workspace: Workspace) -> list[str]:
    """Monday first, abbreviated the workspace locale's way ("lun.", "Mon")."""
    loc = locale.effective_locale(workspace.locale, workspace.timezone)
    names = Locale.parse(loc).days["format"]["abbreviated"]
    return [str(names[i]) for i in range(7)]


@router.get("/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request,
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    workspace = _workspace(session, who)
    today = _today(workspace)
    period = _period(start, end, today)
    view = overview(_runner(request, who, workspace), period)
    query = f"from={period.start.isoformat()}&to={period.end.isoformat()}"
    return render(
        request,
        "analytics.html",
        who=who,
        session=session,
        view=view,
        period=period,
        previous=period.previous(),
        presets=[(days, preset(days, today)) for days in PRESETS],
        query=query,
        weekday_names=weekday_names(workspace),
        grid=view.heatmap,
        trend_series=view.trends.series(),
    )


@router.get("/analytics/export/{table}.csv")
def export_csv(
    request: Request,
    table: str,
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    """One table of the page as CSV: the report's rows, the same numbers as the page."""
    if table not in TABLES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no table {table!r}")
    workspace = _workspace(session, who)
    period = _period(start, end, _today(workspace))
    rows = table_rows(_runner(request, who, workspace), period, table)
    name = f"analytics-{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        csv_text(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/analytics/export/heatmap.svg")
def export_heatmap(
    request: Request,
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    """The heatmap as the page draws it, as an SVG file."""
    workspace = _workspace(session, who)
    period = _period(start, end, _today(workspace))
    runner = _runner(request, who, workspace)
    grid = heatmap_of(runner.run("engagement", period, ("weekday", "hour")))
    loc = locale.effective_locale(workspace.locale, workspace.timezone)
    body = templates.get_template("_analytics_heatmap.svg").render(
        grid=grid,
        period=period,
        timezone=workspace.timezone,
        weekday_names=weekday_names(workspace),
        locale=loc,
    )
    name = f"analytics-heatmap-{period.start.isoformat()}-{period.end.isoformat()}.svg"
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
