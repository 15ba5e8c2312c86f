"""Analytics over the API and on the page, on both databases, from a workspace seeded through
the real models: reports as JSON, roles and workspaces, Problem errors, the page's figures,
and CSV exports that hold the report's rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sociable.analytics.reports import run_report
from sociable.store.models.collect import CollectState
from tests.web import analytics_seed as seed
from tests.web.conftest import WebApp

PERIOD = {"from": seed.START.isoformat(), "to": seed.END.isoformat()}


def _current() -> list[seed.SeedPost]:
    return [p for p in seed.POSTS if seed.in_period(p.local)]


def test_report_api_returns_the_engine_rows_with_bases(web: WebApp) -> None:
    seed.seed(web.db, web.workspace_id)
    viewer = web.as_token("viewer")
    r = viewer.get("/api/v1/analytics/reports/engagement", params={**PERIOD, "by": "network"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["report"] == "engagement" and body["by"] == ["network"]
    rows = {row["network"]: row for row in body["rows"]}
    for network in ("mastodon", "linkedin"):
        posts = [p for p in _current() if p.network == network]
        assert rows[network]["posts"] == len(posts)
        assert rows[network]["engagements"] == sum(seed.engagements(p) for p in posts)
    # LinkedIn gives reach: its rate is over reach, and says so.
    linkedin = [p for p in _current() if p.network == "linkedin"]
    assert rows["linkedin"]["rate_base"] == "reach"
    expected = sum(seed.engagements(p) for p in linkedin) / sum(
        p.metrics["reach"] for p in linkedin
    )
    assert abs(rows["linkedin"]["engagement_rate"] - expected) < 1e-12
    assert any("rate" in n for n in body["notes"])
    # The same as the engine answers directly.
    direct = run_report(
        web.db, web.workspace_id, "engagement", by=["network"], start=seed.START, end=seed.END
    )
    assert body["rows"] == direct.to_json()["rows"]

    # A forced base the network lacks is n/a, never another base.
    forced = viewer.get(
        "/api/v1/analytics/reports/engagement", params={**PERIOD, "by": "network", "base": "reach"}
    ).json()
    mastodon = next(row for row in forced["rows"] if row["network"] == "mastodon")
    assert mastodon["engagement_rate"] is None


def test_report_api_refuses_bad_requests_as_problems(web: WebApp) -> None:
    viewer = web.as_token("viewer")
    bad_kind = viewer.get("/api/v1/analytics/reports/popularity")
    assert bad_kind.status_code == 422
    assert "path kind" in bad_kind.json()["detail"] and "engagement" in bad_kind.json()["detail"]
    bad_dim = viewer.get("/api/v1/analytics/reports/engagement", params={"by": "network,colour"})
    assert bad_dim.status_code == 422 and "'colour'" in bad_dim.json()["detail"]
    bad_date = viewer.get("/api/v1/analytics/reports/engagement", params={"from": "2026-13-01"})
    assert bad_date.status_code == 422 and "from" in bad_date.json()["detail"]
    backwards = viewer.get(
        "/api/v1/analytics/reports/cadence", params={"from": "2026-11-02", "to": "2026-11-01"}
    )
    assert backwards.status_code == 400 and "after" in backwards.json()["detail"]
    zone = viewer.get("/api/v1/analytics/reports/cadence", params={"timezone": "Mars/Olympus"})
    assert zone.status_code == 400 and "Mars/Olympus" in zone.json()["detail"]
    twice = viewer.get("/api/v1/analytics/reports/cadence", params={"by": "network,network"})
    assert twice.status_code == 400


def test_analytics_api_needs_a_member_of_the_workspace(web: WebApp) -> None:
    seed.seed(web.db, web.workspace_id)
    with web.client() as anonymous:
        for path in ("reports/engagement", "collection", "best-times"):
            assert anonymous.get(f"/api/v1/analytics/{path}").status_code == 401
    # owner@acme.example is only a viewer of "Other brand": switched there, it sees none of Acme's.
    owner = web.login("owner@acme.example")
    owner.post("/workspace", data={"workspace_id": web.other_workspace_id})
    other = owner.get("/api/v1/analytics/reports/cadence", params=PERIOD).json()
    assert other["rows"] == [] or all(r["posts"] == 0 for r in other["rows"])
    mine = web.as_token("viewer").get("/api/v1/analytics/reports/cadence", params=PERIOD).json()
    assert mine["rows"][0]["posts"] == len(_current())


def test_collection_status_per_account(web: WebApp) -> None:
    ids = seed.seed(web.db, web.workspace_id)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with web.db.session() as s:
        s.add(
            CollectState(
                account_id=ids["mastodon"],
                kind="post_metrics",
                last_run_at=now,
                last_ok_at=now,
                next_due_at=now + timedelta(hours=1),
                runs=3,
            )
        )
        s.add(
            CollectState(
                account_id=ids["linkedin"],
                kind="account",
                last_run_at=now,
                last_ok_at=now - timedelta(days=1),
                last_error="HTTP 401 from linkedin",
                next_due_at=now + timedelta(minutes=5),
                runs=2,
            )
        )
        s.add(CollectState(account_id=ids["linkedin"], kind="lease", runs=0))
    rows = web.as_token("viewer").get("/api/v1/analytics/collection").json()
    assert [(r["network"], r["kind"], r["ok"]) for r in rows] == [
        ("mastodon", "post_metrics", True),
        ("linkedin", "account", False),
    ]
    assert rows[1]["last_error"] == "HTTP 401 from linkedin"
    assert rows[0]["next_due_at"].startswith("2026-12-01T10:00")


def test_best_times_api(web: WebApp) -> None:
    seed.seed(web.db, web.workspace_id)
    r = web.as_token("viewer").get("/api/v1/analytics/best-times", params={"by": "network"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {row["network"] for row in body["rows"]} == {"mastodon", "linkedin"}
    # Six posts: too few for the brand's own evidence, and the answer says so.
    assert all(row["fallback"] for row in body["rows"])
    assert any("fewer than" in n for n in body["notes"])


def _kpi(html: str, key: str, currency: str | None = None) -> tuple[str, str]:
    extra = f' data-currency="{currency}"' if currency else ""
    found = re.search(
        rf'data-kpi="{key}"{extra} data-value="([^"]*)" data-previous="([^"]*)"', html
    )
    assert found, f"no KPI card {key}"
    return found.group(1), found.group(2)


def test_page_shows_the_period_against_the_previous_one(web: WebApp) -> None:
    seed.seed(web.db, web.workspace_id)
    viewer = web.login("viewer@acme.example")
    page = viewer.get("/analytics", params=PERIOD)
    assert page.status_code == 200, page.text
    html = page.text
    assert 'href="/analytics" aria-current="page"' in html
    before = [p for p in seed.POSTS if seed.in_period(p.local, seed.PREV_START, seed.PREV_END)]
    assert _kpi(html, "posts") == (f"{len(_current()):.1f}", f"{len(before):.1f}")
    engaged = sum(seed.engagements(p) for p in _current())
    assert float(_kpi(html, "engagements")[0]) == engaged
    human = [c for c in seed.CLICKS if not c[2] and seed.in_period(c[1])]
    assert float(_kpi(html, "clicks")[0]) == len(human)
    eur = sum(
        Decimal(m) / 100
        for _, i, m, cur in seed.SALES
        if cur == "EUR" and seed.in_period(seed.CLICKS[i][1])
    )
    assert Decimal(_kpi(html, "revenue", "EUR")[0]) == eur
    # Mastodon's rate is over followers, LinkedIn's over reach: all together it is n/a, said.
    assert _kpi(html, "engagement_rate")[0] == ""
    assert "their bases differ" in html
    assert "rate = engagements / reach" in html  # the engine's notes reach the page
    # The heatmap: the cell of the first post (Tuesday 09:00 Paris) holds its engagements.
    first = seed.POSTS[0]
    cell = re.search(
        r'data-weekday="1" data-hour="9" data-value="([^"]+)" data-posts="(\d+)"', html
    )
    assert cell and float(cell.group(1)) == seed.engagements(first) and cell.group(2) == "1"


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_exports_hold_the_report_rows(web: WebApp) -> None:
    seed.seed(web.db, web.workspace_id)
    viewer = web.login("viewer@acme.example")
    r = viewer.get("/analytics/export/networks.csv", params=PERIOD)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    api = (
        web.as_token("viewer")
        .get("/api/v1/analytics/reports/engagement", params={**PERIOD, "by": "network"})
        .json()
    )
    got = _csv(r.text)
    assert [row["network"] for row in got] == [row["network"] for row in api["rows"]]
    for row, want in zip(got, api["rows"], strict=True):
        for key, value in want.items():
            if value is None:
                assert row[key] == ""
            elif isinstance(value, float):
                assert float(row[key]) == value
            else:
                assert row[key] == str(value)
    trends = _csv(viewer.get("/analytics/export/trends.csv", params=PERIOD).text)
    assert len(trends) == 28
    assert sum(int(t["posts"]) for t in trends) == len(_current())
    assert sum(int(t["clicks"]) for t in trends) == len(
        [c for c in seed.CLICKS if not c[2] and seed.in_period(c[1])]
    )
    by_day = {t["day"]: int(t["engagements"]) for t in trends}
    for post in _current():
        assert by_day[post.local.date().isoformat()] >= seed.engagements(post)
    # Top posts: the top report's rows (by engagements), in the engine's order.
    top = _csv(viewer.get("/analytics/export/top.csv", params=PERIOD).text)
    ranked = sorted(_current(), key=seed.engagements, reverse=True)
    tops = [row for row in top if row["position"] == "top"]
    assert [row["text"] for row in tops] == [p.text for p in ranked]
    assert [float(row["engagements"]) for row in tops] == [seed.engagements(p) for p in ranked]
    page = viewer.get("/analytics", params=PERIOD).text
    listed = page[page.index('id="top-posts"') :]
    assert [listed.index(p.text) for p in ranked] == sorted(listed.index(p.text) for p in ranked)
    funnel = _csv(viewer.get("/analytics/export/funnel.csv", params=PERIOD).text)
    shown = sum(p.metrics.get("impressions", 0) for p in _current())
    assert len(funnel) == 1 and float(funnel[0]["impressions"]) == shown
    svg = viewer.get("/analytics/export/heatmap.svg", params=PERIOD)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<?xml") and "<svg" in svg.text
    assert viewer.get("/analytics/export/secrets.csv").status_code == 404
    assert (
        viewer.get("/analytics", params={"from": "2026-11-05", "to": "2026-11-01"}).status_code
        == 400
    )
    with web.client() as anonymous:
        assert anonymous.get("/analytics/export/networks.csv").status_code == 303  # to /login


def test_home_shows_the_week_with_a_link_to_analytics(web: WebApp) -> None:
    from sociable.store.models import Account
    from sociable.store.models.analytics import SocialPost
    from sociable.store.models.track import Click, ShortLink

    now = datetime.now(UTC) - timedelta(hours=3)
    with web.db.session() as s:
        account = Account(
            workspace_id=web.workspace_id, network="mastodon", handle="a", status="imported"
        )
        link = ShortLink(
            workspace_id=web.workspace_id,
            code="wk",
            url="https://a.example/",
            destination="https://a.example/",
        )
        s.add_all([account, link])
        s.flush()
        s.add(
            SocialPost(
                workspace_id=web.workspace_id,
                account_id=account.id,
                network="mastodon",
                remote_id="w1",
                dedupe_key="w1",
                posted_at=now,
                source="import",
            )
        )
        for i, at in enumerate((now, now - timedelta(days=10))):  # one this week, one before
            s.add(Click(click_id=f"wk{i}", link_id=link.id, code="wk", at=at, visitor="v"))
    html = web.login("viewer@acme.example").get("/").text
    assert re.search(r'data-kpi="posts" data-value="1(\.0)?"', html)
    assert re.search(r'data-kpi="clicks" data-value="1(\.0)?"', html)
    assert 'href="/analytics" id="to-analytics"' in html
