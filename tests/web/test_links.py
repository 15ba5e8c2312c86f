"""Links from the web: create/read/update/delete over the API and the pages, QR codes,
clicks per day after real redirects, the attribution table, roles, on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sociable.config import TrackSettings
from sociable.store.db import Database
from sociable.store.models import Workspace
from sociable.store.models.track import Click, Conversion, ShortLink
from sociable.track.server import TrackApp
from tests.track.conftest import run_server
from tests.web.conftest import WebApp


@pytest.fixture
def tracker(web: WebApp, tmp_path: Path) -> Iterator[tuple[TrackApp, str]]:
    """The real redirect server for the web fixture's workspace, on its own loopback port."""
    app = TrackApp(
        web.db,
        TrackSettings(flush_interval=60.0),
        workspace_id=web.workspace_id,
        log_dir=tmp_path / "log",
    )
    server, thread, port = run_server(app)
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def configured_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    """[[money.rates]] as the environment gives it (read when the web app starts)."""
    rates = '[{"date": "2026-01-01", "from": "EUR", "to": "USD", "rate": "1.25"}]'
    monkeypatch.setenv("SOCIABLE_MONEY__RATES", rates)


def test_attribution_converts_only_with_configured_rates(configured_rates, web: WebApp) -> None:  # type: ignore[no-untyped-def]
    with web.db.session() as s:
        for order, minor, code in (("o1", 4000, "EUR"), ("o2", 5000, "JPY")):
            s.add(Conversion(workspace_id=web.workspace_id, order_id=order, amount_minor=minor,
                             currency=code, click_ids=[], source="postback",
                             at=datetime(2026, 2, 1, tzinfo=UTC)))  # fmt: skip
    viewer = web.as_token("viewer")
    plain = viewer.get("/api/v1/attribution").json()
    assert plain["total"]["revenue"] == {"EUR": "40.00", "JPY": "5000"}
    assert plain["total"]["converted_revenue"] is None
    conv = viewer.get("/api/v1/attribution", params={"currency": "usd"}).json()
    assert conv["total"]["converted_revenue"] == {"currency": "USD", "amount": "50.00"}
    assert conv["total"]["not_converted"] == {"JPY": "5000"}  # no rate: left apart, said so
    assert conv["rates_used"] == ["1 EUR = 1.25 USD on 2026-01-01 (sociable.toml money.rates[0])"]
    bad = viewer.get("/api/v1/attribution", params={"currency": "EUX"})
    assert bad.status_code == 400 and "EUX" in bad.text


def test_link_crud_over_the_api(web: WebApp) -> None:
    editor = web.as_token("editor")
    body = {
        "url": "https://acme.example/launch",
        "campaign": "Spring Launch",
        "network": "mastodon",
        "slug": "spring",
        "utm": {"term": "shoes"},
        "expires": "30d",
    }
    made = editor.post("/api/v1/links", json=body, headers={"Idempotency-Key": "k1"})
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["code"] == "spring" and link["short_url"].endswith("/l/spring")
    assert link["campaign"] == "spring_launch" and link["clicks"] == 0
    assert "utm_source=mastodon" in link["destination"] and "utm_term=shoes" in link["destination"]
    assert link["expires_at"] is not None
    again = editor.post("/api/v1/links", json=body, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 201 and again.json() == link
    taken = editor.post("/api/v1/links", json=body)
    assert taken.status_code == 400 and "already taken" in taken.json()["detail"]
    bad_utm = editor.post("/api/v1/links", json={"url": "https://a.example/", "utm": {"x": "1"}})
    assert bad_utm.status_code == 400 and "UTM" in bad_utm.json()["detail"]

    viewer = web.as_token("viewer")
    assert [x["code"] for x in viewer.get("/api/v1/links").json()] == ["spring"]
    assert viewer.get("/api/v1/links", params={"network": "bluesky"}).json() == []
    assert viewer.get("/api/v1/links/spring").json()["destination"] == link["destination"]

    patched = editor.patch("/api/v1/links/spring", json={"disabled": True, "clear_expiry": True})
    assert patched.status_code == 200
    assert patched.json()["disabled"] is True and patched.json()["expires_at"] is None

    png = viewer.get("/api/v1/links/spring/qr")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = viewer.get("/api/v1/links/spring/qr", params={"format": "svg", "download": "true"})
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    assert 'filename="spring.svg"' in svg.headers["content-disposition"]
    assert viewer.get("/api/v1/links/spring/qr", params={"format": "gif"}).status_code == 422

    assert editor.delete("/api/v1/links/spring").status_code == 204
    assert viewer.get("/api/v1/links/spring").status_code == 404


def test_link_roles_and_workspaces(web: WebApp) -> None:
    anon = web.client()
    assert anon.get("/api/v1/links").status_code == 401
    assert anon.get("/api/v1/attribution").status_code == 401
    assert anon.get("/links").status_code == 303
    viewer = web.as_token("viewer")
    assert viewer.post("/api/v1/links", json={"url": "https://a.example/"}).status_code == 403
    with web.db.session() as s:
        s.add(ShortLink(workspace_id=web.other_workspace_id, code="theirs",
                        url="https://o.example/", destination="https://o.example/"))  # fmt: skip
    owner = web.as_token("owner")
    for path in ("/api/v1/links/theirs", "/api/v1/links/theirs/qr", "/api/v1/links/theirs/stats"):
        assert owner.get(path).status_code == 404
    assert owner.patch("/api/v1/links/theirs", json={"disabled": True}).status_code == 404
    assert owner.delete("/api/v1/links/theirs").status_code == 404
    assert viewer.delete("/api/v1/links/theirs").status_code == 403
    page = web.login("viewer@acme.example")
    assert page.get("/links/theirs").status_code == 404
    assert page.post("/links", data={"url": "https://a.example/"}).status_code == 403
    assert 'action="/links"' not in page.get("/links").text  # no create form for viewers


FRENCH_MONTHS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip


def test_clicks_per_day_after_real_redirects(web: WebApp, tracker: tuple[TrackApp, str]) -> None:
    app, base = tracker
    editor = web.as_token("editor")
    link = editor.post(
        "/api/v1/links", json={"url": "https://acme.example/a", "network": "bluesky"}
    ).json()
    with web.client() as c:
        c.base_url = base  # type: ignore[misc]
        for agent in ("Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", "Twitterbot/1.0"):
            hit = c.get(f"/l/{link['code']}", headers={"User-Agent": agent})
            assert hit.status_code in (301, 302, 307, 308)
            assert hit.headers["location"].startswith("https://acme.example/a")
    app.flusher.flush_now()
    stats = editor.get(f"/api/v1/links/{link['code']}/stats", params={"days": 7}).json()
    today = datetime.now(UTC).date()
    assert stats["days"][-1] == today.isoformat() and len(stats["days"]) == 7
    assert stats["clicks"] == [0] * 6 + [1] and stats["bot_clicks"] == [0] * 6 + [1]
    assert stats["total"] == 1
    assert editor.get(f"/api/v1/links/{link['code']}").json()["clicks"] == 1
    html = web.login("viewer@acme.example").get(f"/links/{link['code']}").text
    assert 'id="clicks-chart"' in html and f"/api/v1/links/{link['code']}/stats" in html
    assert "<script>" not in html  # CSP: no inline script
    # A Europe/Paris workspace reads its days in French (CLDR's abbreviated months).
    month = FRENCH_MONTHS[today.month - 1]
    assert (
        f'<th scope="row"><time datetime="{today}">{today.day} {month} {today.year}</time>' in html
    )
    assert 'data-locale="fr-FR"' in html
    # Deleting a link deletes its clicks (disabling keeps them).
    assert editor.delete(f"/api/v1/links/{link['code']}").status_code == 204
    with web.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Click)) == 0


def _click(db: Database, link_id: int, code: str, cid: str, at: datetime, visitor: str) -> None:
    with db.session() as s:
        s.add(Click(click_id=cid, link_id=link_id, code=code, at=at, visitor=visitor))


def test_attribution_table_with_and_without_javascript(web: WebApp) -> None:
    editor = web.as_token("editor")
    editor.post("/api/v1/links", json={"url": "https://acme.example/", "campaign": "spring",
                                           "network": "mastodon", "slug": "aa"}).json()  # fmt: skip
    editor.post("/api/v1/links", json={"url": "https://acme.example/", "campaign": "autumn",
                                       "network": "bluesky", "slug": "bb"})  # fmt: skip
    now = datetime.now(UTC)
    with web.db.session() as s:
        ids = {link.code: link.id for link in s.query(ShortLink)}
    _click(web.db, ids["aa"], "aa", "c1", now - timedelta(days=3), "v1")
    _click(web.db, ids["aa"], "aa", "c2", now - timedelta(days=1, hours=1), "v2")
    _click(web.db, ids["bb"], "bb", "c3", now - timedelta(days=2), "v1")
    with web.db.session() as s:
        s.add(
            Conversion(
                workspace_id=web.workspace_id,
                order_id="o1",
                amount_minor=4000,
                currency="EUR",
                click_ids=["c3", "c2"],
                source="postback",
                at=now,
            )
        )
        s.add(Conversion(workspace_id=web.workspace_id, order_id="o2", amount_minor=5000,
                         currency="JPY", click_ids=[], source="pixel", at=now))  # fmt: skip
    viewer = web.as_token("viewer")
    last = viewer.get("/api/v1/attribution", params={"by": "campaign"}).json()
    rows = {r["key"]: r for r in last["rows"]}
    assert rows["spring"]["clicks"] == 2 and rows["spring"]["conversions"] == 1.0
    assert (
        rows["spring"]["revenue"] == {"EUR": "40.00"} and rows["spring"]["conversion_rate"] == 0.5
    )
    assert rows["(unattributed)"]["revenue"] == {"JPY": "5000"}
    assert rows["(unattributed)"]["unverified_conversions"] == 1.0
    assert last["total"]["clicks"] == 3
    # Totals stay per currency: never "5040.00".
    assert last["total"]["revenue"] == {"EUR": "40.00", "JPY": "5000"}
    assert last["total"]["unverified_revenue"] == {"JPY": "5000"}

    linear = viewer.get("/api/v1/attribution", params={"by": "network", "model": "linear"}).json()
    by_net = {r["key"]: r for r in linear["rows"]}
    assert by_net["mastodon"]["conversions"] == 0.5
    assert by_net["bluesky"]["revenue"] == {"EUR": "20.00"}
    # A window shorter than the clicks' ages leaves the conversion unattributed.
    short = viewer.get("/api/v1/attribution", params={"window_days": 1, "by": "campaign"}).json()
    assert {r["key"] for r in short["rows"]} >= {"(unattributed)"}
    assert viewer.get("/api/v1/attribution", params={"model": "nope"}).status_code == 422

    page = web.login("viewer@acme.example").get(
        "/links", params={"by": "network", "model": "first_click", "window": 7}
    )
    assert page.status_code == 200
    html = page.text
    assert "<caption>Per network: conversions credited by first click within 7 day(s)" in html
    # first click: c3 (bluesky) two days ago gets the order.
    assert '<th scope="row">bluesky</th><td class="num">1</td><td class="num">1</td>' in html
    # Money: the ISO code first, then the amount as French writes it (decimal comma, a
    # narrow no-break space between thousands, JPY without decimals); never one sum.
    assert "EUR\u00a040,00" in html and "JPY\u00a05\u202f000" in html and "5040" not in html
    assert "EUR 40.00" not in html and "JPY 5000" not in html
    assert re.search(r"100,0\s%", html)  # French: comma, space before %


def test_link_pages_read_in_the_workspace_zone_and_locale(web: WebApp) -> None:
    """Europe/Paris: the link's times in Paris time (across the spring DST change), money
    with the code first and French separators; a workspace locale changes the format only."""
    made = web.as_token("editor").post("/api/v1/links", json={"url": "https://acme.example/"})
    code = made.json()["code"]
    with web.db.session() as s:
        link = s.query(ShortLink).filter_by(code=code).one()
        # 29 March 2026: Paris moves from UTC+1 to UTC+2 at 01:00 UTC.
        link.created_at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
        link.expires_at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
        sales = (("o1", 123450, "EUR"), ("o2", 1234567, "JPY"), ("o3", 1234, "KWD"))
        for order, minor, currency in sales:
            s.add(
                Conversion(
                    workspace_id=web.workspace_id,
                    order_id=order,
                    amount_minor=minor,
                    currency=currency,
                    click_ids=[],
                    source="postback",
                    at=link.created_at,
                )
            )
    viewer = web.login("viewer@acme.example")
    detail = viewer.get(f"/links/{code}").text
    assert ">29 mars 2026 01:30</time> (Europe/Paris)" in detail
    assert ">29 mars 2026 03:30</time> (Europe/Paris)" in detail
    assert '<time datetime="2026-03-29T00:30:00+00:00">' in detail and " UTC</dd>" not in detail
    listing = viewer.get("/links").text
    assert "EUR\u00a01\u202f234,50" in listing
    assert "JPY\u00a01\u202f234\u202f567" in listing  # JPY has no minor unit
    assert "KWD\u00a01,234" in listing  # three decimals
    assert "1234.50" not in listing and "1234567" not in listing

    with web.db.session() as s:
        ws = s.get(Workspace, web.workspace_id)
        assert ws is not None
        ws.locale = "en_US"
    detail = viewer.get(f"/links/{code}").text
    assert ">Mar 29, 2026 1:30\u202fAM</time> (Europe/Paris)" in detail  # still Paris time
    listing = viewer.get("/links").text
    assert "EUR\u00a01,234.50" in listing and "JPY\u00a01,234,567" in listing
    assert "KWD\u00a01.234" in listing


def test_link_pages_create_disable_and_errors(web: WebApp) -> None:
    editor = web.login("editor@acme.example")
    made = editor.post("/links", data={"url": "https://acme.example/x", "campaign": "c",
                                       "network": "linkedin", "utm_term": "t"})  # fmt: skip
    assert made.status_code == 303
    code = made.headers["location"].rsplit("/", 1)[1]
    detail = editor.get(f"/links/{code}").text
    assert "utm_term=t" in detail and f"/api/v1/links/{code}/qr?format=svg" in detail
    listing = editor.get("/links").text
    assert f'href="/links/{code}"' in listing and "live" in listing
    assert editor.post(f"/links/{code}/disable").status_code == 303
    assert "disabled" in editor.get("/links").text
    with web.db.session() as s:
        assert s.query(ShortLink).filter_by(code=code).one().disabled
    assert editor.post(f"/links/{code}/enable").status_code == 303
    bad = editor.post("/links", data={"url": "https://acme.example/", "slug": "c"})
    assert bad.status_code == 400 and "reserved" in bad.text and 'role="alert"' in bad.text
    assert 'value="https://acme.example/"' in bad.text  # the form keeps what was typed
    no_csrf = web.login("editor@acme.example")
    del no_csrf.headers["X-CSRF-Token"]
    assert no_csrf.post("/links", data={"url": "https://acme.example/"}).status_code == 403
