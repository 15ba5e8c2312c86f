"""The calendar: month and week views in the workspace time zone, filters, per-item actions.

Rows come from :func:`sociable.web.api.publications.query_publications` (the API's list),
the view window from :func:`sociable.publish.calendar.window` (local midnights, so a week
across a DST change is 167 or 169 hours). Each post is one item per local day with its
publications and their states. Moving a post is the API's reschedule (drag and drop in
``static/calendar.js``) or, without a mouse or JavaScript, the form under each item.

The ICS feed is served at ``/calendar.ics?token=...`` without a session: a random token
whose SHA-256 is stored per workspace (:class:`CalendarFeed`), revocable from this page.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Form,
    HTTPException,
    Path,
    Query,
    Request,
    status,
)
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable import locale
from sociable.clock import zone
from sociable.errors import UserError
from sociable.publish import posts as domain
from sociable.publish import states
from sociable.publish.calendar import calendar_items, week_start, window
from sociable.publish.ical import build_ics
from sociable.publish.when import parse_when
from sociable.store.models import Account, Role, Workspace
from sociable.store.models.publish import Approval, Post, PubState
from sociable.store.models.review import CalendarFeed, ReviewRequest
from sociable.web.api.publications import get_publication, query_publications, retry
from sociable.web.deps import Principal, principal, require, session_scope, token_use
from sociable.web.pages.compose import is_id
from sociable.web.pages.render import render, safe_next
from sociable.web.security import hash_token, new_api_token

router = APIRouter()
# Ids are 32-bit in the database: a larger one is a 422, not a driver error.
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

VIEWS = ("month", "week")
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 400
MAX_ITEMS = 3000
MOVABLE = domain.EDITABLE - {PubState.CANCELLED.value}


def _day(raw: str | None, today: date) -> date:
    if not raw:
        return today
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return today


def _items(rows: list[dict[str, Any]], tz: Any) -> dict[date, list[dict[str, Any]]]:
    """Publications grouped into one item per (local day, post), in time order."""
    by_day: dict[date, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        local = row["due_at"].astimezone(tz)
        items = by_day[local.date()]
        item = items.get(row["post_id"])
        if item is None:
            item = items[row["post_id"]] = {
                "post_id": row["post_id"],
                "time": local.strftime("%H:%M"),
                "due": local,
                "text": row["text"],
                "labels": row["labels"],
                "campaign": row["campaign"],
                "pubs": [],
            }
        item["pubs"].append(
            {
                **row,
                "account": f"{row['network']}:{row['handle']}" if row["network"] else "(deleted)",
                "local": local,
            }
        )
    out: dict[date, list[dict[str, Any]]] = {}
    for day, items in by_day.items():
        for item in items.values():
            item["movable"] = all(p["state"] in MOVABLE for p in item["pubs"])
            item["states"] = sorted({p["state"] for p in item["pubs"]})
        out[day] = sorted(items.values(), key=lambda i: (i["due"], i["post_id"]))
    return out


HOURS = tuple(range(24))
FIRST_HOUR = 8  # where the week's hour grid opens when nothing is scheduled earlier


def _slots(items: dict[date, list[dict[str, Any]]]) -> dict[tuple[date, int], list[dict[str, Any]]]:
    """The week's hour grid: (local day, local wall-clock hour) -> its items, in time order.

    On the day clocks go back, 02:00-02:59 happens twice; both land in the 02 row, each
    item keeping its own time (and offset in its ``datetime`` attribute).
    """
    out: dict[tuple[date, int], list[dict[str, Any]]] = defaultdict(list)
    for day, day_items in items.items():
        for item in day_items:
            out[(day, item["due"].hour)].append(item)
    return dict(out)


def _in_review(
    session: Session,
    workspace_id: int,
    lo: datetime,
    hi: datetime,
    tz: Any,
    account_id: int | None,
    label: str | None,
    campaign: str | None,
) -> list[tuple[date, dict[str, Any]]]:
    """Posts waiting for approval at the time their author asked for (nothing scheduled)."""
    found = session.execute(
        select(ReviewRequest, Post)
        .join(Post, ReviewRequest.post_id == Post.id)
        .where(
            ReviewRequest.workspace_id == workspace_id,
            ReviewRequest.decision.is_(None),
            ReviewRequest.when >= lo,
            ReviewRequest.when < hi,
            Post.approval == Approval.IN_REVIEW.value,
        )
        .order_by(ReviewRequest.when)
        .limit(MAX_ITEMS)
    ).all()
    out = []
    for round_, post in found:
        if campaign is not None and post.campaign != campaign:
            continue
        if label is not None and label not in (post.labels or []):
            continue
        if account_id is not None and account_id not in {v.account_id for v in post.variants}:
            continue
        assert round_.when is not None
        local = round_.when.astimezone(tz)
        entry = {
            "post_id": post.id,
            "time": local.strftime("%H:%M"),
            "due": local,
            "text": post.source_text,
            "labels": list(post.labels or []),
            "campaign": post.campaign,
            "pubs": [],
            "movable": False,
            "states": ["in_review"],
            "in_review": True,
        }
        out.append((local.date(), entry))
    return out


@router.get("/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request,
    view: str = Query("month", max_length=10),
    day: str | None = Query(None, alias="date", max_length=10),
    account: str | None = Query(None, max_length=20),
    state: str | None = Query(None, max_length=24),
    label: str | None = Query(None, max_length=100),
    campaign: str | None = Query(None, max_length=200),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    workspace = session.get(Workspace, who.workspace_id)
    assert workspace is not None
    tz = zone(workspace.timezone)
    page_locale = locale.effective_locale(workspace.locale, workspace.timezone)
    view = view if view in VIEWS else "month"
    today = datetime.now(UTC).astimezone(tz).date()
    anchor = _day(day, today)
    lo, hi, days = window(view, anchor, tz)
    account_id = int(account) if account and is_id(account) else None
    state = state if state in {s.value for s in PubState} else None
    rows = query_publications(
        session,
        workspace.id,
        start=lo,
        end=hi,
        account_id=account_id,
        state=state,
        label=label or None,
        campaign=campaign or None,
        limit=MAX_ITEMS,
    )
    items = _items(rows, tz)
    if state is None:
        for local_day, entry in _in_review(
            session, workspace.id, lo, hi, tz, account_id, label or None, campaign or None
        ):
            items.setdefault(local_day, []).append(entry)
            items[local_day].sort(key=lambda i: (i["due"], i["post_id"]))
    if view == "month":
        first = week_start(days[0])
        last = days[-1] + timedelta(days=6 - days[-1].weekday())
        grid = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        prev_day = days[0] - timedelta(days=1)
        next_day = days[-1] + timedelta(days=1)
        title = locale.day(anchor, page_locale, "LLLL y").capitalize()
    else:
        grid = days
        prev_day = days[0] - timedelta(days=7)
        next_day = days[0] + timedelta(days=7)
        title = f"Week of {locale.day(days[0], page_locale)}"
    weeks = [grid[i : i + 7] for i in range(0, len(grid), 7)]
    slots = _slots(items) if view == "week" else {}
    filters = {
        "account": account_id or "",
        "state": state or "",
        "label": label or "",
        "campaign": campaign or "",
    }
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    feeds = (
        session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.workspace_id == workspace.id, CalendarFeed.revoked_at.is_(None))
            .order_by(CalendarFeed.id)
        ).all()
        if who.at_least(Role.EDITOR)
        else []
    )
    accounts = session.scalars(
        select(Account).where(Account.workspace_id == workspace.id).order_by(Account.network)
    ).all()
    return render(
        request,
        "calendar.html",
        who=who,
        session=session,
        workspace=workspace,
        view=view,
        title=title,
        weeks=weeks,
        hours=HOURS,
        hour_labels={h: locale.clock(time(h), page_locale) for h in HOURS},
        slots=slots,
        first_hour=min((h for _, h in slots), default=FIRST_HOUR),
        month=anchor.month,
        today=today,
        items=items,
        anchor=anchor,
        prev_day=prev_day,
        next_day=next_day,
        filters=filters,
        query=query,
        accounts=accounts,
        states=[s.value for s in PubState],
        feeds=feeds,
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        count=len(rows),
    )


def _back(request: Request, target: str, message: str) -> RedirectResponse:
    request.session["flash"] = message
    return RedirectResponse(safe_next(target), status_code=303)


@router.post("/calendar/publications/{publication_id}/retry")
def retry_page(
    request: Request,
    publication_id: Id,
    next: str = Form("/calendar", max_length=2000),
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    pub = get_publication(session, who.workspace_id, publication_id)
    try:
        retry(session, pub)
    except HTTPException as exc:
        return _back(request, next, f"Not retried: {exc.detail}")
    return _back(request, next, f"Publication {publication_id} will be sent again now.")


@router.post("/calendar/publications/{publication_id}/cancel")
def cancel_page(
    request: Request,
    publication_id: Id,
    next: str = Form("/calendar", max_length=2000),
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    pub = get_publication(session, who.workspace_id, publication_id)
    if not states.allowed(pub.state, PubState.CANCELLED.value):
        return _back(request, next, f"Not cancelled: a {pub.state} publication cannot be.")
    states.cancel(session, pub, worker="web")
    return _back(request, next, f"Publication {publication_id} cancelled.")


@router.post("/calendar/posts/{post_id}/reschedule")
def reschedule_page(
    request: Request,
    post_id: Id,
    when: str = Form(..., max_length=80),
    next: str = Form("/calendar", max_length=2000),
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    workspace = session.get(Workspace, who.workspace_id)
    post = session.get(Post, post_id)
    if workspace is None or post is None or post.workspace_id != workspace.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such post")
    try:
        moment = parse_when(when, workspace.timezone, "when")
        with session.begin_nested():  # a savepoint of its own: an error moves nothing
            domain.reschedule_post(session, post, moment, now=datetime.now(UTC))
    except UserError as exc:
        return _back(request, next, f"Not moved: {exc}")
    local = moment.astimezone(zone(workspace.timezone))
    return _back(request, next, f"Post {post_id} moved to {local:%a %d %b %Y %H:%M}.")


# -- the ICS feed -----------------------------------------------------------------------------


@router.post("/calendar/feeds")
def create_feed(
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    token, prefix, digest = new_api_token()
    session.add(
        CalendarFeed(
            workspace_id=who.workspace_id,
            created_by=who.user_id,
            name=who.email,
            prefix=prefix,
            token_hash=digest,
        )
    )
    url = str(request.url_for("calendar_feed")) + f"?token={token}"
    return _back(
        request, "/calendar", f"Your calendar feed URL (shown once, keep it secret): {url}"
    )


@router.post("/calendar/feeds/{feed_id}/revoke")
def revoke_feed(
    request: Request,
    feed_id: Id,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None or feed.workspace_id != who.workspace_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such feed")
    feed.revoked_at = datetime.now(UTC)
    return _back(request, "/calendar", f"Feed {feed.prefix}… revoked.")


@router.get("/calendar.ics", name="calendar_feed")
def calendar_ics(
    request: Request,
    tasks: BackgroundTasks,
    token: str = Query("", max_length=200),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    feed = session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    workspace = session.get(Workspace, feed.workspace_id) if feed else None
    if feed is None or workspace is None or not token:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such calendar feed")
    now = datetime.now(UTC)
    token_use(request).note(tasks, request.app.state.db, feed)
    items = calendar_items(
        session,
        workspace,
        now - timedelta(days=FEED_PAST_DAYS),
        now + timedelta(days=FEED_FUTURE_DAYS),
    )
    body = build_ics(items, name=workspace.name, now=now)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
