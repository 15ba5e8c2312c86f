"""The redirect server, over real HTTP on loopback, against SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount

from sociable.config import TrackSettings
from sociable.store.db import Database
from sociable.store.models.track import Click, Conversion
from sociable.track.conversions import sign
from sociable.track.links import create_link
from sociable.track.server import TrackApp
from tests.track.conftest import LiveServer, run_server


def _link(db: Database, workspace_id: int, **kw) -> str:  # type: ignore[no-untyped-def]
    with db.session() as session:
        link = create_link(
            session,
            kw.pop("url", "https://shop.example.com/p?x=1#buy"),
            workspace_id=workspace_id,
            **kw,
        )
        return link.code


def _clicks(db: Database) -> list[Click]:
    with db.session() as session:
        return list(session.scalars(select(Click).order_by(Click.id)))


def test_redirects_with_utm_and_click_id(live: LiveServer, workspace_id: int) -> None:
    code = _link(live.db, workspace_id, network="linkedin", campaign="spring", post_id=7)
    with live.client() as client:
        r = client.get(
            f"/{code}",
            headers={
                "user-agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0",
                "referer": "https://www.linkedin.com/feed/",
            },
        )
    assert r.status_code == 302
    loc = urlsplit(r.headers["location"])
    assert (loc.netloc, loc.path, loc.fragment) == ("shop.example.com", "/p", "buy")
    q = parse_qs(loc.query)
    assert q["utm_source"] == ["linkedin"] and q["utm_medium"] == ["social"]
    assert q["utm_campaign"] == ["spring"] and q["utm_content"] == ["post-7"]
    assert q["x"] == ["1"]
    assert r.headers["cache-control"] == "no-store"
    live.flush()
    [click] = _clicks(live.db)
    assert click.click_id == q["sc_cid"][0]
    assert click.code == code and click.referrer_host == "www.linkedin.com"
    assert click.ua_family == "Chrome" and click.device == "desktop" and not click.is_bot
    assert click.country is None  # no trusted header configured


def test_base_url_path_prefix_and_head(live: LiveServer, workspace_id: int) -> None:
    code = _link(live.db, workspace_id)
    with live.client() as client:
        a = client.get(f"/l/{code}")  # base_url is http://127.0.0.1:8000/l by default
        b = client.head(
            f"/{code}",
            headers={
                "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                "Mobile/15E148 Safari/604.1"
            },
        )
    assert a.status_code == b.status_code == 302
    assert b.content == b""
    assert live.clicks() == 2
    head_click = _clicks(live.db)[1]
    assert head_click.is_bot  # a HEAD is not a person following a link


def test_preview_bots_redirected_but_counted_as_bots(live: LiveServer, workspace_id: int) -> None:
    code = _link(live.db, workspace_id)
    bots = [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    ]
    with live.client() as client:
        for ua in bots:
            assert client.get(f"/{code}", headers={"user-agent": ua}).status_code == 302
        client.get(
            f"/{code}",
            headers={"user-agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"},
        )
    live.flush()
    clicks = _clicks(live.db)
    assert [c.is_bot for c in clicks] == [True] * 5 + [False]
    assert clicks[-1].device == "mobile"


def test_unknown_disabled_expired_and_bad_codes_404(live: LiveServer, workspace_id: int) -> None:
    gone = _link(live.db, workspace_id, slug="gone")
    old = _link(
        live.db, workspace_id, slug="old", expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    from sociable.track.links import set_disabled

    with live.db.session() as session:
        set_disabled(session, gone, workspace_id=workspace_id)
    with live.client() as client:
        for path in (
            "/nope",
            f"/{gone}",
            f"/{old}",
            "/" + "a" * 65,
            "/a%2Fb",
            "/../etc/passwd",
            "/%00",
            "/",
            "/https://evil.example.com",
            "/x?url=https://evil.example.com",
        ):
            r = client.get(path)
            assert r.status_code == 404, path
            assert "location" not in r.headers
        assert client.post("/nope").status_code == 405
    assert live.clicks() == 0


def _status_within(client: httpx.Client, path: str, status: int, seconds: float = 8.0) -> int:
    """Poll until ``path`` answers ``status`` or the time is up; the last status seen."""
    deadline = time.monotonic() + seconds
    while True:
        got = client.get(path).status_code
        if got == status or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def test_disabling_or_deleting_a_cached_link_stops_it_long_before_the_cache_ttl(
    make_server, workspace_id: int
) -> None:  # type: ignore[no-untyped-def]
    from sociable.track.links import get_link, set_disabled

    live = make_server(cache_ttl=3600.0)  # only the change watcher can drop these entries
    paused, doomed, kept = (_link(live.db, workspace_id, slug=s) for s in ("pau", "doom", "kept"))
    with live.client() as client:
        for code in (paused, doomed, kept):
            assert client.get(f"/{code}").status_code == 302  # now cached
            assert client.get(f"/{code}").status_code == 302
        with live.db.session() as session:
            set_disabled(session, paused, workspace_id=workspace_id)
            session.delete(get_link(session, doomed))
        assert _status_within(client, f"/{paused}", 404) == 404
        assert client.get(f"/{doomed}").status_code == 404
        assert client.get(f"/{kept}").status_code == 302
        with live.db.session() as session:
            set_disabled(session, paused, workspace_id=workspace_id, disabled=False)
        assert _status_within(client, f"/{paused}", 302) == 302


def test_country_and_client_ip_from_trusted_headers_no_ip_stored(
    make_server,
    workspace_id: int,  # type: ignore[no-untyped-def]
) -> None:
    live = make_server(country_header="CF-IPCountry", client_ip_header="X-Forwarded-For")
    code = _link(live.db, workspace_id)
    with live.client() as client:
        client.get(
            f"/{code}", headers={"cf-ipcountry": "de", "x-forwarded-for": "203.0.113.9, 10.0.0.1"}
        )
        client.get(f"/{code}", headers={"cf-ipcountry": "XX", "x-forwarded-for": "203.0.113.9"})
        client.get(
            f"/{code}", headers={"cf-ipcountry": "<script>", "x-forwarded-for": "198.51.100.1"}
        )
    live.flush()
    clicks = _clicks(live.db)
    assert [c.country for c in clicks] == ["DE", None, None]
    assert clicks[0].visitor == clicks[1].visitor != clicks[2].visitor
    for c in clicks:
        assert "203.0.113" not in repr(vars(c)) and "198.51" not in repr(vars(c))
    for segment in live.app.log.segments():
        assert b"203.0.113" not in segment.read_bytes()


def test_hostile_referrers_are_not_stored(live: LiveServer, workspace_id: int) -> None:
    code = _link(live.db, workspace_id)
    hostile = [
        "javascript:alert(1)",
        "https://evil.example.com\\@x",
        "http://" + "a" * 300 + ".com/",
        "https://bad host.com/",
        "data:text/html,<b>",
        "x" * 5000,
        "https://ex%00ample.com/",
    ]
    with live.client() as client:
        for ref in hostile:
            assert client.get(f"/{code}", headers={"referer": ref}).status_code == 302
    live.flush()
    hosts = [c.referrer_host for c in _clicks(live.db)]
    assert len(hosts) == len(hostile)
    for host in hosts:
        assert host is None or (len(host) <= 253 and all(ch.isalnum() or ch in ".-" for ch in host))


def test_enumeration_rate_limited_without_5xx(make_server, workspace_id: int) -> None:  # type: ignore[no-untyped-def]
    live = make_server(not_found_per_minute=20)
    code = _link(live.db, workspace_id)
    statuses = []
    with live.client() as client:
        assert client.get(f"/{code}").status_code == 302  # cached before the scan
        for i in range(60):
            statuses.append(client.get(f"/guess{i}").status_code)
        assert client.get(f"/{code}").status_code == 302  # known links still work
    assert statuses[:20] == [404] * 20
    assert set(statuses[20:]) == {429}
    assert live.clicks() == 2


def test_postback_signed_and_deduplicated(make_server, workspace_id: int) -> None:  # type: ignore[no-untyped-def]
    live = make_server(postback_secret="s3cret")
    code = _link(live.db, workspace_id)
    with live.client() as client:
        cid = parse_qs(urlsplit(client.get(f"/{code}").headers["location"]).query)["sc_cid"][0]
        body = json.dumps(
            {"order_id": "A-1", "value": "49.90", "currency": "eur", "click_id": cid}
        ).encode()
        assert client.post("/c", content=body).status_code == 401
        assert (
            client.post(
                "/c", content=body, headers={"x-sociable-signature": "sha256=00"}
            ).status_code
            == 401
        )
        ok = client.post("/c", content=body, headers={"x-sociable-signature": sign("s3cret", body)})
        assert ok.status_code == 202
        again = client.post("/c", content=body, headers={"authorization": "Bearer s3cret"})
        assert again.status_code == 202
        bad = client.post(
            "/c",
            content=b'{"order_id": "A-2", "value": "lots"}',
            headers={"authorization": "Bearer s3cret"},
        )
        assert bad.status_code == 400 and "value" in bad.json()["error"]
        assert (
            client.post(
                "/c", content=b"x" * 20000, headers={"authorization": "Bearer s3cret"}
            ).status_code
            == 413
        )
    live.flush()
    with live.db.session() as session:
        [conv] = session.scalars(select(Conversion)).all()
    assert (conv.order_id, conv.amount_minor, conv.currency, conv.click_ids, conv.source) == (
        "A-1",
        4990,
        "EUR",
        [cid],
        "postback",
    )


def test_postback_refused_when_not_configured(live: LiveServer) -> None:
    with live.client() as client:
        r = client.post("/c", content=b'{"order_id": "1"}', headers={"authorization": "Bearer x"})
    assert r.status_code == 403


def test_pixel_and_script(live: LiveServer) -> None:
    with live.client() as client:
        js = client.get("/s.js")
        assert js.status_code == 200 and "sc_cid" in js.text and "p.gif" in js.text
        gif = client.get("/p.gif", params={"o": "B-7", "v": "10", "ids": "abcdefgh1,abcdefgh2"})
        assert gif.status_code == 200 and gif.content.startswith(b"GIF89a")
        client.get("/p.gif", params={"o": "B-7", "v": "10"})  # duplicate order id
        bad = client.get("/p.gif", params={"o": "", "v": "x"})
        assert bad.status_code == 200 and "x-sociable-error" in bad.headers
    live.flush()
    with live.db.session() as session:
        convs = session.scalars(select(Conversion)).all()
    assert [(c.order_id, c.source, c.click_ids) for c in convs] == [
        ("B-7", "pixel", ["abcdefgh1", "abcdefgh2"])
    ]


def test_mountable_in_another_app(db: Database, workspace_id: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    track = TrackApp(
        db,
        TrackSettings(base_url="https://go.example.com/"),
        workspace_id=workspace_id,
        log_dir=tmp_path / "mlog",
    )
    parent = Starlette(routes=[Mount("/l", app=track)])
    server, thread, port = run_server(parent)
    try:
        code = _link(db, workspace_id)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            r = client.get(f"/l/{code}")
            assert r.status_code == 302 and r.headers["location"].startswith(
                "https://shop.example.com/p?x=1"
            )
            assert client.get("/l/unknown").status_code == 404
        track.flusher.flush_now()
        assert len(_clicks(db)) == 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        track.stop()


def test_a_signed_postback_beats_a_pixel_that_came_first(make_server, workspace_id: int) -> None:  # type: ignore[no-untyped-def]
    """Issue #11.5: ``/p.gif?o=ORDER-1001&v=0.01`` must not pre-empt the shop's signed 149.90,
    whether the two are flushed apart or in the same batch."""
    from sociable.track.report import link_report

    live = make_server(postback_secret="s3cret")
    with live.client() as client:
        for order, flush_between in (("ORDER-1001", True), ("ORDER-1002", False)):
            client.get("/p.gif", params={"o": order, "v": "0.01"})
            if flush_between:
                live.flush()
            body = json.dumps({"order_id": order, "value": "149.90", "currency": "EUR"}).encode()
            signed = client.post("/c", content=body, headers={"authorization": "Bearer s3cret"})
            assert signed.status_code == 202
            # A later pixel for a verified order changes nothing either.
            client.get("/p.gif", params={"o": order, "v": "0.02", "cur": "USD"})
        client.get("/p.gif", params={"o": "ORDER-1003", "v": "5", "cur": "EUR"})  # pixel only
    live.flush()
    with live.db.session() as session:
        convs = {c.order_id: c for c in session.scalars(select(Conversion))}
        report = link_report(session, workspace_id=workspace_id)
    for order in ("ORDER-1001", "ORDER-1002"):
        conv = convs[order]
        assert (conv.amount_minor, conv.currency, conv.source) == (14990, "EUR", "postback")
        assert conv.replaced_pixel
    assert not convs["ORDER-1003"].verified
    # The report says what was replaced and what is still unverified.
    assert report.replaced_pixel == 2
    assert report.total.unverified == 1 and dict(report.total.unverified_revenue) == {"EUR": 500}
    assert dict(report.total.revenue) == {"EUR": 2 * 14990 + 500}
