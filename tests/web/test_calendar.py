"""The calendar over HTTP: views in the workspace zone (DST), filters, states, actions, ICS."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from sociable.publish import states
from sociable.publish.ical import validate_ics
from sociable.store.models import Workspace
from sociable.store.models.publish import Publication, PubState
from sociable.store.models.review import CalendarFeed
from tests.web.conftest import WebApp
from tests.web.test_composer import add_accounts

PARIS = ZoneInfo("Europe/Paris")


def _post(web: WebApp, when: str, accounts: list[str], **extra: object) -> dict:  # type: ignore[type-arg]
    with web.as_token("editor") as c:
        r = c.post(
            "/api/v1/posts",
            json={"text": "Beans " + when, "accounts": accounts, "when": when, **extra},
        )
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]


def _next_spring_forward(after: datetime) -> datetime:
    """The first local day after ``after`` when Paris clocks jump from 02:00 to 03:00."""
    day = after.astimezone(PARIS).replace(hour=12, minute=0, second=0, microsecond=0)
    while True:
        day += timedelta(days=1)
        if (day - timedelta(days=1)).utcoffset() != day.utcoffset():
            return day


def _items_by_day(html: str) -> dict[str, list[str]]:
    """{date: [HH:MM ...]} of the calendar cells (a day's hour slots in the week view)."""
    out: dict[str, list[str]] = {}
    for cell in re.finditer(r'data-date="([0-9-]+)"(?: data-hour="\d\d")?>(.*?)</td>', html, re.S):
        found = re.findall(r'data-time="(\d\d:\d\d)"', cell.group(2))
        out.setdefault(cell.group(1), []).extend(found)
    return out


def test_week_across_a_dst_change_shows_local_days_and_times(web: WebApp) -> None:
    add_accounts(web)
    dst = _next_spring_forward(datetime.now(UTC) + timedelta(days=1))
    day = dst.date()
    before = datetime.combine(day, datetime.min.time()).replace(hour=0, minute=30)  # CET
    after = datetime.combine(day, datetime.min.time()).replace(hour=23, minute=30)  # CEST
    monday_after = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(hour=9)
    for local in (before, after, monday_after):
        _post(web, f"{local:%Y-%m-%d %H:%M} Europe/Paris", ["x"])
    c = web.login("viewer@acme.example")
    week = c.get("/calendar", params={"view": "week", "date": day.isoformat()})
    assert week.status_code == 200
    cells = _items_by_day(week.text)
    # 00:30 CET is 23:30 UTC the day before; 23:30 CEST is 21:30 UTC: both on the DST day.
    assert cells[day.isoformat()] == ["00:30", "23:30"]
    nxt = c.get("/calendar", params={"view": "week", "date": (day + timedelta(days=1)).isoformat()})
    assert _items_by_day(nxt.text)[(day + timedelta(days=1)).isoformat()] == ["09:00"]
    month = c.get("/calendar", params={"view": "month", "date": day.isoformat()})
    assert _items_by_day(month.text)[day.isoformat()] == ["00:30", "23:30"]


def test_filters_by_account_state_label_and_campaign(web: WebApp) -> None:
    ids = add_accounts(web)
    soon = (datetime.now(UTC) + timedelta(days=1)).astimezone(PARIS)
    when = f"{soon:%Y-%m-%d} 10:00 Europe/Paris"
    _post(web, when, ["x", "mastodon"], labels=["launch"], campaign="spring")
    _post(web, f"{soon:%Y-%m-%d} 11:00 Europe/Paris", ["x"], labels=["other"])
    c = web.login("viewer@acme.example")
    base = {"view": "week", "date": soon.date().isoformat()}

    def times(**params: str) -> list[str]:
        html = c.get("/calendar", params={**base, **params}).text
        return _items_by_day(html)[soon.date().isoformat()]

    assert times() == ["10:00", "11:00"]
    assert times(label="launch") == ["10:00"]
    assert times(campaign="spring") == ["10:00"]
    assert times(account=str(ids["mastodon"])) == ["10:00"]
    assert times(state="published") == []
    assert times(state="scheduled") == ["10:00", "11:00"]


def _walk(web: WebApp, pub_id: int, *path: tuple[PubState, dict]) -> None:  # type: ignore[type-arg]
    with web.db.session() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        for state, fields in path:
            states.transition(s, pub, state, **fields)


def test_states_are_visible_with_retry_and_cancel(web: WebApp) -> None:
    add_accounts(web)
    soon = datetime.now(UTC) + timedelta(hours=3)
    post = _post(web, soon.isoformat(), ["x", "mastodon"])
    x_pub, m_pub = (p["id"] for p in post["publications"])
    _walk(
        web,
        x_pub,
        (PubState.CLAIMED, {}),
        (PubState.SENDING, {}),
        (PubState.FAILED, {"error": "Rejected: duplicate status"}),
    )
    _walk(
        web,
        m_pub,
        (PubState.CLAIMED, {}),
        (PubState.SENDING, {}),
        (PubState.PUBLISHED, {"url": "https://m.example/@acme/1"}),
    )
    post2 = _post(web, (soon + timedelta(minutes=5)).isoformat(), ["x"])
    unknown = post2["publications"][0]["id"]
    _walk(
        web,
        unknown,
        (PubState.CLAIMED, {}),
        (PubState.SENDING, {}),
        (PubState.UNKNOWN, {"error": "timeout after sending"}),
    )
    editor = web.login("editor@acme.example")
    local = soon.astimezone(PARIS).date().isoformat()
    page = editor.get("/calendar", params={"view": "week", "date": local}).text
    assert "Rejected: duplicate status" in page
    assert 'href="https://m.example/@acme/1"' in page
    assert "awaiting reconciliation" in page
    assert f"/calendar/publications/{x_pub}/retry" in page
    assert f"/calendar/publications/{unknown}/retry" not in page  # never retried by hand

    r = editor.post(f"/calendar/publications/{x_pub}/retry", data={"next": "/calendar"})
    assert r.status_code == 303 and r.headers["location"] == "/calendar"
    r = editor.post(f"/calendar/publications/{unknown}/retry", data={"next": "/calendar"})
    assert r.status_code == 303
    assert "Not retried" in editor.get("/calendar").text
    r = editor.post(f"/calendar/publications/{x_pub}/cancel", data={"next": "//evil.example"})
    assert r.headers["location"] == "/"
    with web.db.session() as s:
        got = {p.id: p.state for p in s.scalars(select(Publication))}
    assert got[x_pub] == "cancelled" and got[m_pub] == "published" and got[unknown] == "unknown"
    viewer = web.login("viewer@acme.example")
    assert viewer.post(f"/calendar/publications/{x_pub}/retry").status_code == 403


def test_move_form_reschedules_in_the_workspace_zone(web: WebApp) -> None:
    add_accounts(web)
    post = _post(web, (datetime.now(UTC) + timedelta(hours=5)).isoformat(), ["x", "mastodon"])
    editor = web.login("editor@acme.example")
    target = (datetime.now(UTC) + timedelta(days=3)).astimezone(PARIS).replace(hour=8, minute=15)
    r = editor.post(
        f"/calendar/posts/{post['id']}/reschedule",
        data={"when": target.strftime("%Y-%m-%dT%H:%M"), "next": "/calendar"},
    )
    assert r.status_code == 303
    with web.db.session() as s:
        due = {
            p.due_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            for p in s.scalars(select(Publication))
        }
    assert due == {target.strftime("%Y-%m-%d %H:%M")}
    r = editor.post(
        f"/calendar/posts/{post['id']}/reschedule",
        data={"when": "2020-01-01T09:00", "next": "/calendar"},
    )
    assert r.status_code == 303
    assert "Not moved" in editor.get("/calendar").text
    with web.db.session() as s:
        assert {
            p.due_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            for p in s.scalars(select(Publication))
        } == due


def test_ics_feed_is_a_secret_revocable_url(web: WebApp) -> None:
    add_accounts(web)
    _post(web, (datetime.now(UTC) + timedelta(hours=5)).isoformat(), ["x", "mastodon"])
    editor = web.login("editor@acme.example")
    assert web.login("viewer@acme.example").post("/calendar/feeds").status_code == 403
    r = editor.post("/calendar/feeds")
    assert r.status_code == 303
    page = editor.get("/calendar").text
    found = re.search(r"(http://[^\s<]+/calendar\.ics\?token=[\w-]+)", page)
    assert found, "the feed URL is shown once"
    url = found.group(1)
    feed = httpx.get(url)  # no session, no token header
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = validate_ics(feed.content)
    assert len(events) == 2 and {e["state"] for e in events} == {"scheduled"}
    assert httpx.get(url + "x").status_code == 404
    assert httpx.get(url.split("?")[0]).status_code == 404
    feed_id = re.search(r"/calendar/feeds/(\d+)/revoke", editor.get("/calendar").text)
    assert feed_id
    assert editor.post(f"/calendar/feeds/{feed_id.group(1)}/revoke").status_code == 303
    assert httpx.get(url).status_code == 404


def test_calendar_needs_a_login(web: WebApp) -> None:
    r = web.client().get("/calendar")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_posts_waiting_for_approval_show_at_the_asked_time(web: WebApp) -> None:
    add_accounts(web)
    day = (datetime.now(UTC) + timedelta(days=2)).astimezone(PARIS).date()
    with web.as_token("editor") as c:
        r = c.post("/api/v1/posts", json={"text": "Needs a yes", "accounts": ["x"], "draft": True})
        post_id = r.json()["id"]
        r = c.post(f"/api/v1/posts/{post_id}/review-request", json={"when": f"{day} 14:20"})
        assert r.status_code == 200
    viewer = web.login("viewer@acme.example")
    page = viewer.get("/calendar", params={"view": "week", "date": day.isoformat()}).text
    assert _items_by_day(page)[day.isoformat()] == ["14:20"]
    assert "waiting for approval" in page
    filtered = viewer.get(
        "/calendar", params={"view": "week", "date": day.isoformat(), "state": "scheduled"}
    ).text
    assert _items_by_day(filtered)[day.isoformat()] == []
    with web.as_token("owner") as c:
        assert (
            c.post(f"/api/v1/posts/{post_id}/review", json={"decision": "approve"}).status_code
            == 200
        )
    page = viewer.get("/calendar", params={"view": "week", "date": day.isoformat()}).text
    assert _items_by_day(page)[day.isoformat()] == ["14:20"]
    assert "waiting for approval" not in page and "scheduled" in page


def test_week_view_is_an_hour_grid_in_the_workspace_zone(web: WebApp) -> None:
    from selectolax.lexbor import LexborHTMLParser

    add_accounts(web)
    dst = _next_spring_forward(datetime.now(UTC) + timedelta(days=1))
    day = dst.date()
    for local in ("00:30", "03:15", "23:30"):  # 02:00-02:59 does not exist that day
        _post(web, f"{day} {local} Europe/Paris", ["x"])
    page = web.login("viewer@acme.example").get(
        "/calendar", params={"view": "week", "date": day.isoformat()}
    )
    tree = LexborHTMLParser(page.text)
    rows = tree.css("table.cal-hours tbody tr")
    assert [r.css_first("th").text(strip=True) for r in rows] == [f"{h:02d}:00" for h in range(24)]
    assert all(len(r.css("td.cal-slot")) == 7 for r in rows)
    placed = {
        (td.attributes["data-date"], td.attributes["data-hour"]): [
            a.attributes["data-time"] for a in td.css(".cal-item")
        ]
        for td in tree.css("td.cal-slot")
        if td.css(".cal-item")
    }
    assert placed == {
        (day.isoformat(), "00"): ["00:30"],
        (day.isoformat(), "03"): ["03:15"],
        (day.isoformat(), "23"): ["23:30"],
    }
    assert tree.css_first(".cal-scroll").attributes["data-first-hour"] == "0"


def test_calendar_dates_follow_the_workspace_locale(web: WebApp) -> None:
    from selectolax.lexbor import LexborHTMLParser

    c = web.login("viewer@acme.example")  # an Europe/Paris workspace: French dates
    month = LexborHTMLParser(c.get("/calendar", params={"date": "2030-03-14"}).text)
    assert month.css_first("h1").text(strip=True) == "Mars 2030"
    heads = [th.text(strip=True) for th in month.css("table.cal thead th")]
    assert heads == ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
    week = LexborHTMLParser(c.get("/calendar", params={"view": "week", "date": "2030-03-14"}).text)
    assert week.css_first("h1").text(strip=True) == "Week of 11 mars 2030"
    first = week.css_first("table.cal-hours thead th a")
    assert first.attributes["aria-label"] == "lundi 11 mars 2030"


def test_calendar_times_follow_the_workspace_locale_and_zone(web: WebApp) -> None:
    """An en_US workspace in Paris: US clock times, still Paris time; the drag data stays HH:MM."""
    from selectolax.lexbor import LexborHTMLParser

    add_accounts(web)
    _post(web, "2030-03-14 09:30 Europe/Paris", ["x"])
    editor = web.login("editor@acme.example")
    assert editor.post("/calendar/feeds").status_code == 303
    with web.db.session() as s:
        feed = s.scalars(select(CalendarFeed)).one()
        feed.last_used_at = datetime(2030, 3, 13, 23, 5, tzinfo=UTC)  # 00:05 on the 14th, CET
        workspace = s.get(Workspace, web.workspace_id)
        assert workspace is not None
        workspace.locale = "en_US"
    page = editor.get("/calendar", params={"view": "week", "date": "2030-03-14"}).text
    week = LexborHTMLParser(page)
    rows = [r.css_first("th").text(strip=True) for r in week.css("table.cal-hours tbody tr")]
    assert (rows[0], rows[9], rows[13]) == ("12:00\u202fAM", "9:00\u202fAM", "1:00\u202fPM")
    item = week.css_first(".cal-item")
    assert item.attributes["data-time"] == "09:30"  # what drag and drop reads
    assert item.css_first("time").text(strip=True) == "9:30\u202fAM"
    assert ">Mar 14, 2030 12:05\u202fAM</time>" in page  # the feed was last read then
