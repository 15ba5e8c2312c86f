"""Analytics over the API: any report (engagement, cadence, growth, funnel, top) grouped by
the dimensions asked for, the best posting times, and how collection is doing per account.

The figures come from :mod:`sociable.analytics.reports` (the one engine the CLI and the
pages use); this module only reads the query, checks it and shapes the answer. Every
figure keeps its base: an engagement rate names the base it was computed on, or says
``n/a`` where the network gives none, and ``notes`` carries every caveat.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.analytics import reports
from sociable.clock import zone
from sociable.errors import UserError
from sociable.store.db import Database
from sociable.store.models import Account, Role
from sociable.store.models.collect import CollectState
from sociable.web.analytics_view import analytics_engine, best_times_available, run_best_times
from sociable.web.api.schemas import Problem
from sociable.web.deps import Principal, database, require, session_scope

router = APIRouter(prefix="/analytics", tags=["analytics"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    401: {"model": Problem},
    403: {"model": Problem},
    422: {"model": Problem},
}
MAX_LIMIT = 1000
BASES = ("reach", "impressions", "followers")


class ReportOut(BaseModel):
    report: str = Field(description="The report's kind, e.g. `engagement`.")
    by: list[str] = Field(default_factory=list, description="The dimensions rows are grouped by.")
    start: date | None = Field(None, description="First day of the period (inclusive).")
    end: date | None = Field(None, description="Last day of the period (inclusive).")
    timezone: str | None = Field(None, description="The IANA zone days and hours are read in.")
    engine: str | None = Field(None, description="The engine that ran it (duckdb, spark).")
    rows: list[dict[str, Any]] = Field(
        description="One per group: a key per dimension in `by`, then the metrics. An "
        "engagement row names its base (`rate_base`: reach, impressions, followers, or null "
        "for n/a) beside `engagement_rate` and its interval `rate_low`..`rate_high`."
    )
    notes: list[str] = Field(
        default_factory=list, description="Bases and caveats a reader must see."
    )
    comparisons: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Differences between groups with their test, p-value or interval, and posts.",
    )


class BestTimesOut(BaseModel):
    by: str
    rows: list[dict[str, Any]]
    notes: list[str] = Field(default_factory=list)


class CollectionOut(BaseModel):
    account_id: int
    network: str
    handle: str
    kind: str = Field(description="The collection job (account counts, post metrics, timeline).")
    last_run_at: datetime | None
    last_ok_at: datetime | None
    ok: bool = Field(description="The last run succeeded.")
    next_due_at: datetime | None
    last_error: str | None
    runs: int


_DIM = "(" + "|".join(reports.DIMENSIONS) + ")"
#: ``network`` or ``network,content_type``: only known dimensions fit the documented schema.
BY_PATTERN = f"^{_DIM}(,{_DIM})*$"


def _unfit(field: str, message: str) -> HTTPException:
    """A 422 Problem: the request does not fit the documented schema."""
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field}: {message}")


def _refused(field: str, message: str) -> HTTPException:
    """A 400 Problem: it fits the schema, a rule refuses it."""
    return HTTPException(status.HTTP_400_BAD_REQUEST, f"{field}: {message}")


def parse_by(value: str | None) -> list[str]:
    """``network,content_type`` -> the dimensions, each known (422), each once (400)."""
    if not value:
        return []
    names = value.split(",")
    for name in names:
        if name not in reports.DIMENSIONS:
            known = ", ".join(reports.DIMENSIONS)
            raise _unfit("query by", f"unknown dimension {name!r} (known: {known})")
    if len(set(names)) != len(names):
        raise _refused("query by", "a dimension is named twice")
    return names


def check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise _refused("query from", f"{start.isoformat()} is after to={end.isoformat()}")


def check_zone(name: str | None) -> None:
    if name is None:
        return
    try:
        zone(name)
    except UserError as exc:
        raise _refused("query timezone", str(exc)) from None


@router.get("/reports/{kind}", response_model=ReportOut, responses=ERRORS)
def report_api(
    request: Request,
    kind: str = Path(
        description="One of " + ", ".join(reports.KINDS),
        json_schema_extra={"enum": list(reports.KINDS)},
    ),
    by: str | None = Query(
        None,
        max_length=200,
        json_schema_extra={"pattern": BY_PATTERN},  # checked by parse_by, in plain words
        description="Dimensions, comma-separated: " + ", ".join(reports.DIMENSIONS),
    ),
    start: date | None = Query(None, alias="from", description="First day, YYYY-MM-DD"),
    end: date | None = Query(None, alias="to", description="Last day, YYYY-MM-DD (inclusive)"),
    timezone: str | None = Query(
        None, max_length=64, description="IANA zone for days and hours (default: the workspace's)"
    ),
    base: str | None = Query(
        None,
        pattern="^(reach|impressions|followers)$",
        description="The engagement-rate base; n/a where a network lacks it (never swapped).",
    ),
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT, description="At most this many rows"),
    who: Principal = Depends(require(Role.VIEWER)),
    db: Database = Depends(database),
) -> ReportOut:
    """A report as JSON: its rows, the notes on their bases, and group comparisons."""
    if kind not in reports.KINDS:
        raise _unfit("path kind", f"unknown report {kind!r} (known: {', '.join(reports.KINDS)})")
    dims = parse_by(by)
    check_period(start, end)
    check_zone(timezone)
    options: dict[str, Any] = {}
    if base is not None:
        options["base"] = base
    report = reports.run_report(
        db,
        who.workspace_id,
        kind,
        by=dims,
        start=start,
        end=end,
        timezone=timezone,
        engine=analytics_engine(request),
        **options,
    )
    body = report.to_json()
    rows = list(body.get("rows", []))
    notes = list(body.get("notes", []))
    if limit is not None and len(rows) > limit:
        notes.append(f"showing the first {limit} of {len(rows)} rows (limit={limit})")
        rows = rows[:limit]
    return ReportOut(
        report=str(body.get("report", kind)),
        by=list(report.by),
        start=report.start,
        end=report.end,
        timezone=report.timezone,
        engine=report.engine,
        rows=rows,
        notes=notes,
        comparisons=list(body.get("comparisons", [])),
    )


if best_times_available():

    @router.get("/best-times", response_model=BestTimesOut, responses=ERRORS)
    def best_times_api(
        by: str = Query("network", pattern="^(network|segment)$"),
        timezone: str | None = Query(None, max_length=64),
        who: Principal = Depends(require(Role.VIEWER)),
        db: Database = Depends(database),
    ) -> BestTimesOut:
        """The best weekday and hour slots to post, per network or segment."""
        check_zone(timezone)
        rows, notes = run_best_times(db, who.workspace_id, by=by, timezone=timezone)
        return BestTimesOut(by=by, rows=rows, notes=notes)


@router.get("/collection", response_model=list[CollectionOut], responses=ERRORS)
def collection_api(
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> list[CollectionOut]:
    """Each account's collection jobs: last run, whether it went well, next due, last error."""
    rows = session.execute(
        select(Account.id, Account.network, Account.handle, CollectState)
        .join(CollectState, CollectState.account_id == Account.id)
        .where(Account.workspace_id == who.workspace_id, CollectState.kind != "lease")
        .order_by(Account.id, CollectState.kind)
    ).all()
    return [
        CollectionOut(
            account_id=account_id,
            network=network,
            handle=handle,
            kind=st.kind,
            last_run_at=st.last_run_at,
            last_ok_at=st.last_ok_at,
            ok=st.last_run_at is not None and st.last_error is None,
            next_due_at=st.next_due_at,
            last_error=st.last_error,
            runs=st.runs,
        )
        for account_id, network, handle, st in rows
    ]
